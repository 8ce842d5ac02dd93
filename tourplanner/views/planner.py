"""Coordinators set up a season and its teams, plan it in a background job, and publish a version."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import jobs, planning
from ..extensions import db
from ..models import DEFAULT_RULES, Job, Plan, Season, Team

bp = Blueprint("planner", __name__, url_prefix="/admin")

WEEKDAYS = [("mon", "Mon"), ("tue", "Tue"), ("wed", "Wed"), ("thu", "Thu"), ("fri", "Fri"), ("sat", "Sat"),
            ("sun", "Sun")]
WEEKDAY_CHOICES = [SelectChoice(value, label) for value, label in WEEKDAYS]
RULE_MINUTES = ("max_drive_minutes_per_day", "setup_minutes", "teardown_minutes", "default_duration_minutes",
                "border_crossing_minutes")
WEIGHTS = ("audience_weight", "priority_weight", "km_weight")
CONFLICT = ("{what} was changed by someone else while you were editing. Your changes were not saved: "
            "reload the page to see theirs, then make yours again.")


@bp.before_request
@login_required
def require_login():
    """Every planner page is for coordinators only."""


# ---------------------------------------------------------------- forms


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


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
    days_off = CheckboxesField("Rest days (no event, no driving)", choices=WEEKDAY_CHOICES)
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
        rules = {**DEFAULT_RULES, **planning.objective_defaults(), **(season.rules if season else {})}
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
        rules["days_off"] = [d for d, _ in WEEKDAYS if d in (self.days_off.data or [])]
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


# ---------------------------------------------------------------- helpers


def season_named(name: str) -> Season:
    return db.session.scalar(select(Season).where(Season.name == name)) or abort(404)


def team_of(season: Season, slug: str) -> Team:
    return next((t for t in season.teams if t.slug == slug), None) or abort(404)


def conflict(what: str, back: str):
    return render_template("planner/conflict.html", message=CONFLICT.format(what=what), back=back), 409


def review_url(season: Season, plan: Plan) -> str | None:
    """The plan review page (part of the review area), when it is installed."""
    from flask import current_app

    if "review.plan" not in current_app.view_functions:
        return None
    return url_for("review.plan", name=season.name, plan=plan.number)


def locate_base(form: TeamForm):
    """Where the van starts: a geocoded town, ZIP or postal code, else the given coordinates."""
    from ..geo import GeocodeError, locate

    country = form.base_country.data
    try:
        if form.base_city.data or form.base_postal_code.data:
            place = locate(country=country, region=form.base_region.data or "", city=form.base_city.data or "",
                           postal_code=form.base_postal_code.data or "")
            return place, place.label
        if form.base_lat.data is not None and form.base_lon.data is not None:
            place = locate(country=country, lat=form.base_lat.data, lon=form.base_lon.data)
            return place, place.label
    except GeocodeError as exc:
        form.base_city.errors = list(form.base_city.errors) + [str(exc)]
        return None, ""
    form.base_city.errors = list(form.base_city.errors) + [
        "give a town (with its state or province), a ZIP or postal code, or coordinates"]
    return None, ""


# ---------------------------------------------------------------- season setup


@bp.route("/seasons/new", methods=["GET", "POST"])
def season_new():
    form = SeasonForm()
    if request.method == "GET":
        form.fill(None, dt.date.today())
    elif form.validate_on_submit():
        try:
            season = planning.save_season(None, name=form.name.data, start_date=form.start_date.data,
                                          weeks=form.weeks.data, rules=form.rules())
        except planning.PlanningError as exc:
            form.name.errors = list(form.name.errors) + [str(exc)]
        else:
            flash(f"Season {season.name} created. Add its teams next.")
            return redirect(url_for("planner.season_setup", name=season.name))
    return render_template("planner/season_form.html", form=form, season=None,
                           weights=planning.objective_defaults()), 200 if request.method == "GET" else 400


@bp.route("/seasons/<name>/setup", methods=["GET", "POST"])
def season_setup(name: str):
    season = season_named(name)
    form = SeasonForm()
    if request.method == "GET":
        form.fill(season, dt.date.today())
    elif form.validate_on_submit():
        try:
            planning.save_season(season, name=form.name.data, start_date=form.start_date.data,
                                 weeks=form.weeks.data, rules=form.rules(), version=form.version.data)
        except planning.EditConflict:
            db.session.rollback()
            return conflict(f"Season {name}", url_for("planner.season_setup", name=name))
        except planning.PlanningError as exc:
            form.name.errors = list(form.name.errors) + [str(exc)]
        else:
            flash(f"Season {season.name} saved.")
            return redirect(url_for("planner.season_setup", name=season.name))
    status = 200 if request.method == "GET" else 400
    return render_template("planner/season_form.html", form=form, season=season,
                           weights=planning.objective_defaults()), status


@bp.route("/seasons/<name>/teams/new", methods=["GET", "POST"])
def team_new(name: str):
    return team_form(season_named(name), None)


@bp.route("/seasons/<name>/teams/<slug>/edit", methods=["GET", "POST"])
def team_edit(name: str, slug: str):
    season = season_named(name)
    return team_form(season, team_of(season, slug))


def team_form(season: Season, team: Team | None):
    """Add a team (team=None) or edit one; the base is geocoded only when it is new or moved."""
    form = TeamForm()
    if request.method == "GET" and team is not None:
        form.fill(team)
    elif form.validate_on_submit():
        moved = team is None or bool(form.base_city.data or form.base_postal_code.data) or (
            form.base_lat.data, form.base_lon.data) != (team.base_lat, team.base_lon)
        place, label = locate_base(form) if moved else (None, team.base_name)
        if place is not None or not moved:
            try:
                saved = planning.save_team(
                    season, team, name=form.name.data, slug=form.slug.data, colour=form.colour.data, place=place,
                    base_name=label, region_hint=form.region_hint.data or "",
                    members=planning.parse_members(form.members.data), version=form.version.data)
            except planning.EditConflict:
                db.session.rollback()
                return conflict(f"Team {team.name}", url_for("planner.team_edit", name=season.name, slug=team.slug))
            except planning.PlanningError as exc:
                db.session.rollback()
                form.members.errors = list(form.members.errors) + [str(exc)]
            else:
                flash(f"Team {saved.name} saved, starting from {saved.base_name}.")
                return redirect(url_for("planner.season_setup", name=season.name))
    status = 200 if request.method == "GET" else 400
    return render_template("planner/team_form.html", form=form, season=season, team=team), status


@bp.route("/seasons/<name>/teams/<slug>/delete", methods=["GET", "POST"])
def team_delete(name: str, slug: str):
    """Deleting a team is two steps: a page that says what goes, then the confirmed POST."""
    season = season_named(name)
    team = team_of(season, slug)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("planner/confirm.html", season=season, title=f"Delete team {team.name}?",
                               what=[f"Team {team.name} ({team.base_name}) and its {len(team.members)} member(s) are "
                                     "deleted, with their calendar links.",
                                     "A team that is in a saved plan cannot be deleted; that stays as it is."],
                               action=url_for("planner.team_delete", name=season.name, slug=team.slug),
                               button=f"Delete team {team.name}", danger=True,
                               back=url_for("planner.season_setup", name=season.name))
    try:
        planning.delete_team(team)
    except planning.PlanningError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Team {team.name} deleted.")
    return redirect(url_for("planner.season_setup", name=season.name))


# ---------------------------------------------------------------- plans and jobs


def plan_form(season: Season) -> PlanForm:
    form = PlanForm()
    form.previous_plan.choices = [SelectChoice(0, "nothing (a fresh plan)")] + [
        SelectChoice(p.id, f"version {p.number}{' (published)' if p.status == 'published' else ''}")
        for p in reversed(season.plans)
    ]
    return form


def plans_page(season: Season, form: PlanForm, status: int = 200):
    jobs.reap_stale_jobs()
    recent = db.session.scalars(
        select(Job).where(Job.season_id == season.id).order_by(Job.id.desc()).limit(10)
    ).all()
    published = season.published_plan()
    plans = list(reversed(season.plans))
    return render_template(
        "planner/plans.html", season=season, plans=plans, published=published, jobs=recent, form=form,
        review_urls={p.id: review_url(season, p) for p in plans},
        statuses={j.id: jobs.job_status(j) for j in recent},
    ), status


@bp.route("/seasons/<name>/plans")
def plans(name: str):
    season = season_named(name)
    return plans_page(season, plan_form(season))


@bp.route("/seasons/<name>/plan", methods=["POST"])
def plan_season(name: str):
    """Queue a solve and answer at once: 202 with the job page (the solve never runs in this request)."""
    season = season_named(name)
    form = plan_form(season)
    if not form.validate_on_submit():
        return plans_page(season, form, 400)
    try:
        params = jobs.job_params(time_limit_s=form.time_limit_s.data, seed=form.seed.data, steps=form.steps.data,
                                 previous_plan_id=form.previous_plan.data or None)
        job = jobs.submit_job(season, params)
    except (jobs.JobError, ValueError) as exc:  # PlanningError and the optimizer's InstanceError are ValueErrors
        db.session.rollback()
        flash(f"Nothing was queued: {exc}", "error")
        return plans_page(season, form, 422)
    response = job_page(job, 202)
    response.headers["Location"] = url_for("planner.job", job_id=job.id)
    return response


def job_page(job: Job, status: int = 200):
    from flask import make_response

    info = jobs.job_status(job)
    plan_url = review_url(job.season, job.plan) if job.plan is not None else None
    return make_response(render_template("planner/job.html", job=job, info=info, plan_url=plan_url), status)


def job_or_404(job_id: int) -> Job:
    jobs.reap_stale_jobs()
    return db.session.get(Job, job_id) or abort(404)


@bp.route("/jobs/<int:job_id>")
def job(job_id: int):
    job = job_or_404(job_id)
    if job.status in jobs.ACTIVE:
        jobs.start_embedded_worker()  # after a restart of the app, queued jobs get a worker again
    return job_page(job)


@bp.route("/jobs/<int:job_id>.json")
def job_json(job_id: int):
    job = job_or_404(job_id)
    info = jobs.job_status(job)
    info["plan_url"] = review_url(job.season, job.plan) if job.plan is not None else None
    info["plans_url"] = url_for("planner.plans", name=job.season.name)
    response = jsonify(info)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/jobs/<int:job_id>/cancel", methods=["POST"])
def job_cancel(job_id: int):
    job = job_or_404(job_id)
    jobs.cancel_job(job)
    flash("Cancelled." if job.status == "cancelled" else
          "Asked the optimizer to stop; nothing from this run will be stored." if job.status == "running" else
          f"The job had {job.status} already.")
    return redirect(url_for("planner.job", job_id=job.id))


@bp.route("/jobs/<int:job_id>/rerun", methods=["POST"])
def job_rerun(job_id: int):
    old = job_or_404(job_id)
    try:
        new = jobs.rerun_job(old)
    except (jobs.JobError, ValueError) as exc:
        db.session.rollback()
        flash(f"Not re-run: {exc}", "error")
        return redirect(url_for("planner.job", job_id=old.id))
    response = job_page(new, 202)
    response.headers["Location"] = url_for("planner.job", job_id=new.id)
    return response


@bp.route("/plans/<int:plan_id>/publish", methods=["GET", "POST"])
def plan_publish(plan_id: int):
    """Publishing emails venues: a page first says what will happen, the confirmed POST does it."""
    plan = db.session.get(Plan, plan_id) or abort(404)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        preview = planning.publish_preview(plan)
        return render_template("planner/confirm.html", season=plan.season, title=f"Publish version {plan.number}?",
                               what=[preview.words()], blocked=preview.blocked,
                               action=url_for("planner.plan_publish", plan_id=plan.id),
                               button=(f"Publish v{plan.number} and email {preview.emails} venue"
                                       f"{'s' if preview.emails != 1 else ''}"),
                               back=url_for("planner.plans", name=plan.season.name), danger=False)
    try:
        result = planning.publish(plan)
    except planning.PublishError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("planner.plans", name=plan.season.name))
    if result.previous is not None and result.previous.id == plan.id:
        flash(f"Version {plan.number} is the published version already.")
    else:
        flash(f"Published version {plan.number}: {len(result.new)} new, {len(result.changed)} changed, "
              f"{len(result.cancelled)} withdrawn; {len(result.emailed) + len(result.queued)} venue(s) "
              f"{'being ' if result.queued else ''}emailed.")
    for ref, error in result.email_failures:
        flash(f"Email to the venue of request {ref} failed: {error}", "error")
    return redirect(url_for("planner.plans", name=plan.season.name))


@bp.route("/plans/<int:plan_id>/compare")
def plan_compare(plan_id: int):
    plan = db.session.get(Plan, plan_id) or abort(404)
    season = plan.season
    other_id = request.args.get("with", type=int)
    if other_id is not None:
        other = db.session.get(Plan, other_id)
        if other is None or other.season_id != season.id:
            abort(404)
    else:
        published = season.published_plan()
        other = published if published is not None and published.id != plan.id else next(
            (p for p in reversed(season.plans) if p.number < plan.number), None)
    if other is None:
        flash(f"Version {plan.number} is the first plan of {season.name}; there is nothing to compare it with.")
        return redirect(url_for("planner.plans", name=season.name))
    older, newer = (other, plan) if other.number < plan.number else (plan, other)
    comparison = planning.compare(older, newer)
    return render_template("planner/compare.html", season=season, c=comparison, zone=_zone)


def _zone(name):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name or "UTC")
