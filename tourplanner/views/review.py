"""Plan review for coordinators: KPIs, itineraries, the week grid, unserved requests, edits, exports."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import jobs, review
from ..extensions import db
from ..planning import PlanningError, compare
from ..requests_csv import export_requests
from ..web import record_number

bp = Blueprint("review", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_login():
    """Every route in this blueprint is for coordinators only."""


@bp.errorhandler(review.NotFound)
def not_found(error):
    return render_template("review/message.html", title="Not found", message=str(error)), 404


def plan_number() -> int | None:
    raw = request.args.get("plan", "")
    if not raw:
        return None
    number = record_number(raw)
    if number is None:
        abort(400, description=f"plan must be a version number, got {raw!r}")
    return number


class NoPlan(Exception):
    """The season has no plan yet: the page says so (404) and points to the season page."""

    def __init__(self, season):
        self.season = season


@bp.errorhandler(NoPlan)
def no_plan(error: NoPlan):
    return render_template("review/no_plan.html", season=error.season), 404


def season_and_plan(name: str):
    """The season named in the URL and its plan (?plan=N, else the latest)."""
    season = review.season_named(name)
    plan = review.plan_version(season, plan_number())
    if plan is None:
        raise NoPlan(season)
    return season, plan


@bp.route("/seasons/<name>/review")
def plan(name: str):
    season, plan = season_and_plan(name)
    visits = review.plan_visits(plan)
    overnights = review.plan_overnights(plan)
    unserved = review.plan_unserved(plan)
    positions = review.TeamPositions(season, visits, overnights)
    comparison = None
    other = request.args.get("compare", "") or str((plan.solver or {}).get("previous_plan") or "")
    other_number = record_number(other)
    if other_number is not None and other_number != plan.number:
        comparison = compare(review.plan_version(season, other_number), plan)
    return render_template(
        "review/plan.html", season=season, plan=plan, kpis=review.kpis(season, plan, visits, len(unserved)),
        unserved=review.unserved_rows(season, unserved, positions), comparison=comparison,
        held_out=review.held_out(season), repaired=(plan.solver or {}).get("repaired_requests") or [],
        plans_page=url_for("planner.plans", name=season.name),
        season_map=url_for("maps.season_map", name=season.name, plan=plan.number),
        team_maps={t.id: url_for("maps.team_map", name=season.name, slug=t.slug, plan=plan.number) for t in season.teams},
    )


@bp.route("/seasons/<name>/review/teams/<slug>")
def team(name: str, slug: str):
    season, plan = season_and_plan(name)
    team = review.team_by_slug(season, slug)
    visits = review.plan_visits(plan, team.id)
    days = review.team_itinerary(season, team, visits, review.plan_overnights(plan, team.id))
    return render_template(
        "review/team.html", season=season, plan=plan, team=team, days=days,
        team_map=url_for("maps.team_map", name=season.name, slug=team.slug, plan=plan.number),
    )


@bp.route("/seasons/<name>/review/weeks")
def weeks(name: str):
    season, plan = season_and_plan(name)
    grid = review.week_grid(season, review.plan_visits(plan), review.plan_overnights(plan))
    return render_template("review/weeks.html", season=season, plan=plan, weeks=grid)


@bp.route("/seasons/<name>/teams/<slug>/days/<date>")
def day_sheet(name: str, slug: str, date: str):
    season = review.season_named(name)
    team = review.team_by_slug(season, slug)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        abort(404)
    plan = review.sheet_plan(season, plan_number())
    if plan is None:
        raise NoPlan(season)
    sheet = review.day_sheet(season, plan, team, day)
    day_map = url_for("maps.day_map", name=season.name, slug=team.slug, day=day.isoformat(), plan=plan.number)
    return render_template("review/day_sheet.html", season=season, plan=plan, team=team, day_map=day_map, **sheet)


# --- exports -----------------------------------------------------------------------------------------


def download(body: str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/seasons/<name>/export/requests.csv")
def requests_csv(name: str):
    season = review.season_named(name)
    loaded = review.preload_requests(season)  # noqa: F841 (kept alive so the export finds them loaded)
    return download(export_requests(season), "text/csv", f"{season.name}-requests.csv")


@bp.route("/seasons/<name>/export/plan.json")
def plan_json(name: str):
    season, plan = season_and_plan(name)
    body = json.dumps(review.plan_dict(season, plan), indent=2, ensure_ascii=False)
    return download(body, "application/json", f"{season.name}-plan-{plan.number}.json")


@bp.route("/seasons/<name>/export/itinerary.csv")
def itinerary_csv(name: str):
    season, plan = season_and_plan(name)
    return download(review.itinerary_csv(season, plan), "text/csv", f"{season.name}-itinerary-{plan.number}.csv")


# --- edits -------------------------------------------------------------------------------------------


def refused(season, plan, visit, error: review.EditRefused):
    return render_template("review/visit.html", season=season, plan=plan, visit=visit,
                           event=review.local_event(visit), error=error), 422


def edit_plan_of(name: str):
    """Season and plan of an edit form: the plan number travels in the form, never guessed."""
    season = review.season_named(name)
    number = record_number(request.form.get("plan", ""))
    if number is None:
        abort(400, description="the form names no plan version")
    return season, review.plan_version(season, number)


@bp.route("/seasons/<name>/review/visits/<int:visit_id>")
def visit(name: str, visit_id: int):
    season, plan = season_and_plan(name)
    v = review.visit_in(plan, visit_id)
    return render_template("review/visit.html", season=season, plan=plan, visit=v, event=review.local_event(v))


@bp.route("/seasons/<name>/review/visits/<int:visit_id>/<action>", methods=["POST"])
def edit_visit(name: str, visit_id: int, action: str):
    season, plan = edit_plan_of(name)
    v = review.visit_in(plan, visit_id)
    version = request.form.get("version")
    ref, team_slug = v.request.ref, v.team.slug
    try:
        if action == "lock":
            review.lock_visit(v, version)
            flash(f"Locked {ref}: the optimizer keeps its team and start.", "info")
        elif action == "unlock":
            review.unlock_visit(v, version)
            flash(f"Unlocked {ref}.", "info")
        elif action == "move":
            review.move_visit(season, plan, v, team_slug=request.form.get("team", ""),
                              date_text=request.form.get("date", ""), time_text=request.form.get("time", ""),
                              version=version)
            team_slug = v.team.slug
            flash(f"Moved {ref}; the plan checker accepts the change.", "info")
        elif action == "drop":
            review.drop_visit(season, plan, v, version)
            flash(f"Dropped {ref} from plan v{plan.number}.", "info")
        else:
            abort(404)
    except review.EditRefused as error:
        db.session.rollback()
        return refused(season, plan, db.session.get(type(v), visit_id), error)
    return redirect(url_for("review.team", name=season.name, slug=team_slug, plan=plan.number))


@bp.route("/seasons/<name>/review/requests/<ref>/put-back", methods=["POST"])
def put_back(name: str, ref: str):
    """A request dropped by hand goes back into planning: the next plan or re-plan considers it."""
    season, plan = edit_plan_of(name)
    try:
        review.put_back(season, ref, request.form.get("version"))
    except review.EditRefused as error:
        db.session.rollback()
        return render_template("review/message.html", title="Not put back", message=str(error)), 422
    flash(f"Put {ref} back: the next plan or re-plan considers it again.", "info")
    return redirect(url_for("review.plan", name=season.name, plan=plan.number))


@bp.route("/seasons/<name>/review/copy", methods=["POST"])
def copy(name: str):
    season, plan = edit_plan_of(name)
    try:
        row = review.copy_plan(season, plan)
    except PlanningError as error:
        db.session.rollback()
        return render_template("review/message.html", title="Not copied", message=str(error)), 422
    flash(f"Version {row.number} is an editable copy of version {plan.number}.", "info")
    return redirect(url_for("review.plan", name=season.name, plan=row.number))


@bp.route("/seasons/<name>/review/replan", methods=["POST"])
def replan(name: str):
    """Pin what comes before the date and queue a re-plan: the solve never runs in this request."""
    season, plan = edit_plan_of(name)
    try:
        from_date = dt.date.fromisoformat(request.form.get("from_date", "").strip())
    except ValueError:
        given = request.form.get("from_date")
        return render_template("review/message.html", title="Not re-planned",
                               message=f"from date must look like 2027-03-01, got {given!r}"), 422
    try:
        job = jobs.start_replan(season, plan, from_date,
                                time_limit_s=current_app.config.get("REVIEW_REPLAN_SECONDS", 4))
    except (review.EditRefused, jobs.JobError, ValueError) as error:
        db.session.rollback()
        return render_template("review/message.html", title="Not re-planned", message=str(error)), 422
    flash(f"Re-planning from {from_date:%b %-d}: visits before it are pinned; the new version appears when the "
          "job is done.", "info")
    return redirect(url_for("planner.job", job_id=job.id), code=303)
