"""The venue's request form and page, and the coordinators' request edits: WTForms, lengths as the columns."""

import math as _math
import re as _re

import phonenumbers as _phonenumbers
from email_validator import EmailNotValidError as _EmailNotValidError
from email_validator import validate_email as _validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms import widgets as _widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from ..geo import names
from ..optimize.calendar import WEEKDAYS

MAX_WINDOWS = 12
BLANK_WINDOWS = 3
def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs, kept as plain data for templates and lookups, as the options wtforms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


WEEKDAY_CHOICES = tuple((code, code.title()) for code in WEEKDAYS)  # ("mon", "Mon"), ...
VENUE_TYPE_CHOICES = (
    ("high_school", "High school"),
    ("college", "College or university"),
    ("church", "Church or faith community"),
    ("community", "Community group or library"),
    ("other", "Other"),
)
COUNTRY_CHOICES = (("US", "United States"), ("CA", "Canada"))
US_TERRITORIES = ("PR", "GU", "VI", "AS", "MP")  # geo.names knows them; no road or car ferry reaches them
US_STATES = tuple((code, name) for code, name in names.US_STATES.items() if code not in US_TERRITORIES)
CA_PROVINCES = tuple(names.CA_PROVINCES.items())
REGIONS = {"US": US_STATES, "CA": CA_PROVINCES}
POSTAL_FORMATS = {
    "US": (_re.compile(r"^\d{5}(-\d{4})?$"), "a US ZIP code has 5 digits, like 85004 or 85004-1234"),
    "CA": (
        _re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$"),
        "a Canadian postal code looks like J3B 1A1",
    ),
}
SLOT_CHOICES = ((60, "1 hour"), (75, "1 hour 15 minutes"), (90, "1 hour 30 minutes"), (105, "1 hour 45 minutes"),
                (120, "2 hours"), (150, "2 hours 30 minutes"), (180, "3 hours"))


def _strip(value):
    """Trim what people paste; a field missing from the post is "" (the columns are NOT NULL), not None."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def normal_postal_code(country: str, value: str) -> str:
    """The postal code in its usual written form (Canadian codes upper-case with one space)."""
    value = " ".join((value or "").upper().split())
    if country == "CA" and len(value) == 6 and " " not in value:
        value = f"{value[:3]} {value[3:]}"
    return value


class WholeNumberField(IntegerField):
    """A count typed by a person: '1,200' and ' 120 ' are fine; anything else gets one plain message."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).replace(",", "").replace(" ", "").strip()
        if not (text.isascii() and text.isdigit()):  # '²' is a digit to Python but not a number to int()
            self.data = None
            raise ValueError("Enter a whole number, like 120.")
        self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:  # one message is enough: skip the range check of an unreadable number
            raise StopValidation()


class CoordinateField(StringField):
    """A latitude or longitude in decimal degrees; NaN, infinities and other oddities get a plain message."""

    def process_formdata(self, valuelist):
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not _math.isfinite(value):
            self.data = None
            raise ValueError("Enter degrees as a decimal number, like 45.3234 or -73.2662.")
        self.data = value

    def _value(self):
        return self.raw_data[0] if self.raw_data else ("" if self.data is None else str(self.data))

    pre_validate = WholeNumberField.pre_validate


class MultiCheckboxField(SelectMultipleField):
    """Weekday boxes: a list of checkboxes, all visible at once (easier than a multi-select on a phone)."""

    widget = _widgets.ListWidget(prefix_label=False)
    option_widget = _widgets.CheckboxInput()


class AvailabilityRowForm(Form):
    """One row of availability: a date range, some weekdays, and hours in the venue's local time."""

    first_date = DateField("First day", validators=[Optional()], invalid_value_message="Enter a date like 2027-02-01.")
    last_date = DateField("Last day", validators=[Optional()], invalid_value_message="Enter a date like 2027-02-26.")
    weekdays = MultiCheckboxField("Days", choices=select_choices(WEEKDAY_CHOICES), default=list(WEEKDAYS[:5]))
    start_time = TimeField("Hours from", validators=[Optional()], invalid_value_message="Enter a time like 09:00.")
    end_time = TimeField("Hours until", validators=[Optional()], invalid_value_message="Enter a time like 15:00.")

    def is_blank(self) -> bool:
        """A row with no dates and no hours was left empty on purpose; weekday boxes alone don't count."""
        return not any(
            (f.data or f.raw_data and any(_strip(v) for v in f.raw_data))
            for f in (self.first_date, self.last_date, self.start_time, self.end_time)
        )


class AvailabilityForm(FlaskForm):
    """Availability rows and blackout dates: on the request form and on the venue's own page."""

    windows = FieldList(FormField(AvailabilityRowForm), min_entries=BLANK_WINDOWS, max_entries=MAX_WINDOWS)
    blackouts = TextAreaField(
        "Dates you cannot host after all (optional)",
        filters=[_strip],
        validators=[Length(max=1000, message="Keep the list of dates under 1000 characters.")],
        description="One date per line or separated by commas, like 2027-02-14.",
    )
    add_row = SubmitField("Add another row")


class RequestForm(AvailabilityForm):
    """The public request form: who and where the venue is, and when it can host."""

    venue_name = StringField(
        "Name of the venue",
        filters=[_strip],
        validators=[InputRequired("Enter the name of the venue."), Length(max=200, message="Keep the name under 200 characters.")],
    )
    venue_type = SelectField("Kind of venue", choices=select_choices(VENUE_TYPE_CHOICES), validators=[InputRequired("Choose the kind of venue.")])
    contact_name = StringField(
        "Your name",
        filters=[_strip],
        validators=[InputRequired("Enter your name."), Length(max=120, message="Keep your name under 120 characters.")],
    )
    contact_email = StringField(
        "Email",
        filters=[_strip],
        validators=[InputRequired("Enter your email address."), Length(max=254, message="An email address has at most 254 characters.")],
    )
    contact_phone = StringField(
        "Phone (optional)",
        filters=[_strip],
        validators=[Length(max=40, message="Keep the phone number under 40 characters.")],
    )
    country = SelectField("Country", choices=select_choices(COUNTRY_CHOICES), validators=[InputRequired("Choose the country.")])
    region = SelectField(
        "State or province",
        choices=select_choices([("", "Choose…"), *US_STATES, *CA_PROVINCES]),  # the template groups them by country
        validate_choice=False,
    )
    city = StringField(
        "City or town",
        filters=[_strip],
        validators=[InputRequired("Enter the city or town."), Length(max=120, message="Keep the city under 120 characters.")],
    )
    street = StringField(
        "Street address (optional)",
        filters=[_strip],
        validators=[Length(max=200, message="Keep the street address under 200 characters.")],
    )
    postal_code = StringField(
        "ZIP or postal code",
        filters=[_strip],
        validators=[InputRequired("Enter the ZIP or postal code."), Length(max=10, message="A postal code has at most 10 characters.")],
    )
    audience = WholeNumberField(
        "Expected audience (people)",
        default=50,
        validators=[InputRequired("Enter how many people you expect, as a number."),
                    NumberRange(min=1, max=100000, message="Enter a number of people between 1 and 100000.")],
    )
    duration_minutes = SelectField("Time you can give us for the screening and Q&A", choices=select_choices(SLOT_CHOICES), coerce=int, default=90)
    notes = TextAreaField(
        "Notes: projector, screen, sound, parking, anything we should know (optional)",
        filters=[_strip],
        validators=[Length(max=4000, message="Keep the notes under 4000 characters.")],
    )
    list_on_tour_page = BooleanField(
        "List our screening on the public tour page (venue name, town and date only; never your contact details)",
        default=False,
    )
    # The honeypot: hidden from people by CSS, filled by naive bots.
    website = StringField("Leave this field empty", filters=[_strip])

    def validate_contact_email(self, field):
        try:
            field.data = _validate_email(field.data, check_deliverability=False).normalized
        except _EmailNotValidError as exc:
            raise ValidationError(f"This email address does not look right: {exc}") from None

    def validate_region(self, field):
        country = self.country.data
        codes = {code for code, _ in REGIONS.get(country, ())}
        if not field.data:
            raise ValidationError("Choose the state or province.")
        if field.data not in codes:
            where = "state" if country == "US" else "province or territory"
            raise ValidationError(f"Choose a {where} of {dict(COUNTRY_CHOICES).get(country, 'the country')}.")

    def validate_postal_code(self, field):
        country = self.country.data
        if country not in POSTAL_FORMATS:
            return
        field.data = normal_postal_code(country, field.data)
        pattern, example = POSTAL_FORMATS[country]
        if not pattern.match(field.data):
            raise ValidationError(f"“{field.data}” is not a valid code: {example}.")

    def validate_contact_phone(self, field):
        if not field.data:
            return
        try:
            number = _phonenumbers.parse(field.data, self.country.data or "US")
        except _phonenumbers.NumberParseException:
            number = None
        if number is None or not _phonenumbers.is_valid_number(number):
            raise ValidationError("This phone number does not look right; write it like 602 555 0142.")
        field.data = _phonenumbers.format_number(number, _phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class MessageForm(FlaskForm):
    """A short message with an action: a coordinator's approve/decline note, a venue's 'another date' note."""

    message = TextAreaField(
        "Message", filters=[_strip], validators=[Length(max=2000, message="Keep the message under 2000 characters.")]
    )


class RequestEditForm(FlaskForm):
    """A coordinator's edit of a request; `version` catches a colleague's save in between."""

    version = HiddenField()
    venue_name = StringField("Venue", filters=[_strip], validators=[InputRequired("Enter the venue name."), Length(max=200)])
    venue_type = SelectField("Kind of venue", choices=select_choices(VENUE_TYPE_CHOICES))
    contact_name = StringField("Contact name", filters=[_strip], validators=[Length(max=120)])
    contact_email = StringField("Contact email", filters=[_strip], validators=[InputRequired("Enter an email address."), Length(max=254)])
    contact_phone = StringField("Contact phone", filters=[_strip], validators=[Length(max=40)])
    audience = WholeNumberField("Audience", validators=[InputRequired("Enter the audience."), NumberRange(min=0, max=100000)])
    duration_minutes = WholeNumberField("Slot length (minutes)", validators=[Optional(), NumberRange(min=15, max=600, message="Between 15 and 600 minutes.")])
    priority = WholeNumberField("Priority (1 low - 5 must serve)", validators=[InputRequired(), NumberRange(min=1, max=5, message="Priority is 1 to 5.")])
    notes = TextAreaField("Notes", filters=[_strip], validators=[Length(max=4000)])

    validate_contact_email = RequestForm.validate_contact_email


class LocationForm(FlaskForm):
    """A coordinator's correction of where a venue is: coordinates, or a different address."""

    latitude = CoordinateField("Latitude", validators=[Optional(), NumberRange(min=-90, max=90, message="Latitude is between -90 and 90.")])
    longitude = CoordinateField("Longitude", validators=[Optional(), NumberRange(min=-180, max=180, message="Longitude is between -180 and 180.")])
    street = StringField("Street", filters=[_strip], validators=[Length(max=200)])
    city = StringField("City", filters=[_strip], validators=[Length(max=120)])
    region = StringField("State/province code", filters=[_strip], validators=[Length(max=3)])
    postal_code = StringField("Postal code", filters=[_strip], validators=[Length(max=10)])

    def validate_longitude(self, field):
        if (self.latitude.data is None) != (field.data is None):
            raise ValidationError("Enter both latitude and longitude, or neither.")
