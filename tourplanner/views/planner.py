"""Coordinators set up a season and its teams, plan it in a background job, and publish a version."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from .. import jobs, planning
from ..extensions import db
from ..forms import PlanForm, SeasonForm, TeamForm
from ..geo import GeocodeError, locate
from ..models import Job, Plan, Season, Team
from ..zones import zone

bp = Blueprint("planner", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_login():
    """Every planner page is for coordinators only."""


# ---------------------------------------------------------------- helpers


def season_named(name: str) -> Season:
    return db.session.scalar(select(Season).where(Season.name == name)) or abort(404)


def team_of(season: Season, slug: str) -> Team:
    return next((t for t in season.teams if t.slug == slug), None) or abort(404)


def review_url(season: Season, plan: Plan) -> str | None:
    """The plan review page (part of the review area), when it is installed."""
    from flask import current_app

    if "review.plan" not in current_app.view_functions:
        return None
    return url_for("review.plan", name=season.name, plan=plan.number)


def locate_base(form: TeamForm):
    """Where the van starts: a geocoded town, ZIP or postal code, else the given coordinates."""
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
    jobs.queue_publish_mail(result)  # a worker sends them; the page does not wait for the mail server
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
    return render_template("planner/compare.html", season=season, c=comparison, zone=zone)

