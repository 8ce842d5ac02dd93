"""The coordinators' season, team and planning forms."""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..models import DEFAULT_RULES, Season, Team
from ..optimize.calendar import WEEKDAYS
from ..optimize.instance import DEFAULT_WEIGHTS
from .intake import MultiCheckboxField

DAYS_OFF_CHOICES = [SelectChoice(code, code.title()) for code in WEEKDAYS]
RULE_MINUTES = ("max_drive_minutes_per_day", "setup_minutes", "teardown_minutes", "default_duration_minutes",
                "border_crossing_minutes")
WEIGHTS = ("audience_weight", "priority_weight", "km_weight")


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


class SeasonForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80), Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", message="use letters, digits, '-', '_' or '.', like spring-2027")])
    start_date = DateField("First day (a Monday)", validators=[InputRequired()])
    weeks = IntegerField("Weeks", default=11, validators=[InputRequired(), NumberRange(1, 52)])
    day_start = TimeField("Day starts", validators=[InputRequired()])
    day_end = TimeField("Day ends", validators=[InputRequired()])
    max_drive_minutes_per_day = IntegerField("Most driving per day (minutes)", validators=[InputRequired(), NumberRange(0, 1440)])
    days_off = MultiCheckboxField("Rest days (no event, no driving)", choices=DAYS_OFF_CHOICES)
    max_events_per_day = IntegerField("Most events per team and day", validators=[InputRequired(), NumberRange(1, 10)])
    setup_minutes = IntegerField("Setup before an event (minutes)", validators=[InputRequired(), NumberRange(0, 600)])
    teardown_minutes = IntegerField("Teardown after an event (minutes)", validators=[InputRequired(), NumberRange(0, 600)])
    default_duration_minutes = IntegerField("Event length unless the venue says (minutes)",
                                            validators=[InputRequired(), NumberRange(15, 600)])
    border_crossing_minutes = IntegerField("US-Canada border delay (minutes)", validators=[InputRequired(), NumberRange(0, 600)])
    holidays = BooleanField("No events on public holidays at the venue")
    audience_weight = FloatField("Value of one person in the audience", validators=[InputRequired(), NumberRange(0, 1e6)])
    priority_weight = FloatField("Value of priority (times priority squared)", validators=[InputRequired(), NumberRange(0, 1e6)])
    km_weight = FloatField("Cost of one km driven", validators=[InputRequired(), NumberRange(0, 1e6)])
    version = HiddenField()

    def validate_day_end(self, field):
        if self.day_start.data and field.data and field.data <= self.day_start.data:
            raise ValidationError("the day must end after it starts")

    def validate_days_off(self, field):
        if len(field.data or []) == 7:
            raise ValidationError("at least one day of the week must be a working day")

    def fill(self, season: Season | None, today: dt.date) -> None:
        rules = {**DEFAULT_RULES, **DEFAULT_WEIGHTS, **(season.rules if season else {})}
        self.name.data = season.name if season else ""
        self.start_date.data = season.start_date if season else next_monday(today)
        self.weeks.data = season.weeks if season else 11
        self.day_start.data = dt.time.fromisoformat(rules["day_start"])
        self.day_end.data = dt.time.fromisoformat(rules["day_end"])
        for key in RULE_MINUTES + ("max_events_per_day",) + WEIGHTS:
            getattr(self, key).data = rules[key]
        self.days_off.data = list(rules["days_off"])
        self.holidays.data = bool(rules["holidays"])
        self.version.data = str(season.version) if season else ""

    def rules(self) -> dict:
        rules = {key: getattr(self, key).data for key in RULE_MINUTES + ("max_events_per_day",)}
        rules.update({key: float(getattr(self, key).data) for key in WEIGHTS})
        rules["day_start"] = self.day_start.data.strftime("%H:%M")
        rules["day_end"] = self.day_end.data.strftime("%H:%M")
        rules["days_off"] = [d for d in WEEKDAYS if d in (self.days_off.data or [])]
        rules["holidays"] = bool(self.holidays.data)
        return rules


class TeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    slug = StringField("Short id (in feeds and exports)", validators=[Optional(), Length(max=40), Regexp(
        r"^[a-z0-9][a-z0-9-]*$", message="lower-case letters, digits and '-'")])
    colour = StringField("Colour", default="#1f77b4", validators=[DataRequired(), Regexp(
        r"^#[0-9a-fA-F]{6}$", message="a colour like #1f77b4")])
    base_city = StringField("Base: town or city", validators=[Optional(), Length(max=120)])
    base_region = StringField("State or province", validators=[Optional(), Length(max=3)])
    base_postal_code = StringField("ZIP or postal code", validators=[Optional(), Length(max=10)])
    base_country = SelectField("Country", choices=[SelectChoice("US", "United States"), SelectChoice("CA", "Canada")],
                               default="US")
    base_lat = FloatField("or latitude", validators=[Optional(), NumberRange(-90, 90)])
    base_lon = FloatField("and longitude", validators=[Optional(), NumberRange(-180, 180)])
    region_hint = StringField("Region hint (states or provinces, e.g. WA, OR, CA)", validators=[Optional(), Length(max=200)])
    members = TextAreaField("Members, one per line: Name <email>", validators=[Optional(), Length(max=5000)])
    version = HiddenField()

    def fill(self, team: Team) -> None:
        self.name.data, self.slug.data, self.colour.data = team.name, team.slug, team.colour
        self.base_lat.data, self.base_lon.data = team.base_lat, team.base_lon
        self.region_hint.data = team.region_hint
        self.members.data = "\n".join(f"{m.name} <{m.email}>" if m.email else m.name for m in team.members)
        self.version.data = str(team.version)


class PlanForm(FlaskForm):
    time_limit_s = IntegerField("Time limit (seconds)", default=60, validators=[InputRequired(), NumberRange(1, 3600)])
    seed = IntegerField("Seed", default=1, validators=[InputRequired(), NumberRange(0, 2**31 - 1)])
    steps = IntegerField("Search steps (optional, for a reproducible run)", validators=[Optional(), NumberRange(1, 10**9)])
    previous_plan = SelectField("Start from", coerce=int, default=0)
