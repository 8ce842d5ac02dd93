"""Coordinators' edits of a draft plan: pins, moves, drops, put-backs, copies and the pins of a re-plan from a date.

Every edit is checked by the optimizer's own checker on the routes it touches, and refused (nothing
saved) when it breaks a rule those routes kept before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select

from ..conflicts import check_version, commit_or_conflict
from ..extensions import db
from ..models import Overnight, Plan, Request, Season, Team, UnservedRequest, Visit, now_utc
from ..optimize import Plan as OptPlan
from ..optimize import check
from ..optimize.model import country_of_zone
from ..optimize.solve import route_schedule
from ..planning.season_input import build_instance, instance_dict, season_instance
from ..planning.storage import DROPPED_DETAIL, ferry_columns, save_plan
from .exports import plan_dict, plan_dict_kpis
from .itinerary import leg, town_of
from ..zones import zone
from .readmodel import NotFound, plan_visit_rows, plan_visits, team_by_slug

class EditRefused(ValueError):
    """An edit that would break a rule of the plan; `reasons` says which, in plain words."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        super().__init__(message)
        self.reasons = reasons or []


RULE_WORDS = {  # optimize.check's rule names in a coordinator's words; its message follows with the detail
    "window": "outside the venue's hours on that day",
    "day_off": "on a rest day of the tour",
    "holiday": "on a public holiday at the venue",
    "events_per_day": "one event too many that day",
    "overlap": "it overlaps another event of the team",
    "leg_too_short": "the team cannot drive there in time",
    "daily_drive": "more driving in one day than the rules allow",
    "night_rest": "the drive would run into the night or a rest day",
    "day_hours": "the event falls outside the tour's day hours",
    "season": "outside the tour dates",
    "pin_team": "a visit pinned to a team would change team",
    "pin_start": "a visit pinned to a start time would move",
    "end_unreachable": "the team could no longer reach its end point",
    "duration": "the event would not last as long as the request says",
}


def lock_visit(visit: Visit, version) -> None:
    """Pin a visit's team and start: the optimizer keeps them in every later plan.

    On a draft, the team's legs and nights are re-derived from the exact schedule as well, so a plan whose
    nights went stale (stored before edits re-derived them) is put right by the next edit of that team."""
    check_version(visit, version)
    visit.locked = True
    visit.request.pinned_team_id = visit.team_id
    visit.request.fixed_start_dt = visit.start_dt
    plan = visit.plan
    if plan.status == "draft":
        rederive_team(plan.season, plan, visit.team.slug)
    commit_or_conflict()


def rederive_team(season: Season, plan: Plan, slug: str) -> None:
    """Store one team's legs and nights as the exact schedule of its visits gives them (no time changes)."""
    full = plan_dict(season, plan)
    route = next(r for r in full["routes"] if r["team"] == slug)
    instance = _edit_instance(season, {slug}, {v["request"] for v in route["visits"]}, except_ref="")
    if {v["request"] for v in route["visits"]} - {r.id for r in instance.requests}:
        return  # a request cancelled since: its visit stays until dropped or re-planned, legs as they are
    before = json.dumps(route, sort_keys=True)
    reschedule(route, instance)
    if json.dumps(route, sort_keys=True) == before:
        return
    full["routes"] = [route if r["team"] == slug else r for r in full["routes"]]
    audience = {v.request.ref: v.request.audience for v in plan_visits(plan)}
    full["kpis"] = plan_dict_kpis(full, audience, full["kpis"]["requests"])
    store_edit(season, plan, full, {slug})


def unlock_visit(visit: Visit, version) -> None:
    """Let the optimizer move the visit again."""
    check_version(visit, version)
    visit.locked = False
    visit.request.pinned_team_id = None
    visit.request.fixed_start_dt = None
    commit_or_conflict()


def require_draft(plan: Plan, visit: Visit) -> None:
    """Edits change drafts only. They take the plan's row lock first, so two edits of one plan run one
    after the other and each is checked against the other's result (PostgreSQL; SQLite's BEGIN
    IMMEDIATE serialises writers already), and they read the visit again under that lock."""
    db.session.execute(select(Plan.id).where(Plan.id == plan.id).with_for_update())
    db.session.refresh(plan)
    db.session.refresh(visit)
    if plan.status != "draft":
        raise EditRefused(f"plan v{plan.number} is published and stays as venues and Nomads saw it; "
                          "make an editable copy (or re-plan) and change that")


def parse_local_start(date_text: str, time_text: str, tz: str) -> dt.datetime:
    """A start the coordinator typed in the venue's local time -> aware local datetime."""
    try:
        day = dt.date.fromisoformat((date_text or "").strip())
    except ValueError:
        raise EditRefused(f"date must look like 2027-02-03, got {date_text!r}") from None
    try:
        clock = dt.time.fromisoformat((time_text or "").strip())
    except ValueError:
        raise EditRefused(f"time must look like 14:30, got {time_text!r}") from None
    return dt.datetime.combine(day, clock, tzinfo=zone(tz))


def plain_reason(violation) -> str:
    """One checker violation in a coordinator's words, with the checker's own detail after it."""
    rule = getattr(violation, "rule", "") or ""
    message = getattr(violation, "message", "") or str(violation)
    words = RULE_WORDS.get(rule)
    who = " ".join(x for x in (getattr(violation, "request", None) and f"request {violation.request}",
                               getattr(violation, "team", None) and f"team {violation.team}") if x)
    text = f"{words}: {message}" if words and message else (words or message)
    return f"{text} ({who})" if who else text


def _violation_key(v) -> tuple:
    return (getattr(v, "rule", ""), getattr(v, "request", None), getattr(v, "team", None))


def _point_of(ref_or_team: str, instance, team_start: bool = False):
    """(lat, lon, country) of a request id, or of a team's start when team_start."""
    if team_start:
        team = next(t for t in instance.teams if t.id == ref_or_team)
        return team.start.lat, team.start.lon, country_of_zone(team.start.tz)
    r = instance.request(ref_or_team)
    return r.lat, r.lon, r.country


def _relink(route: dict, instance) -> None:
    """Sort a route by start and recompute each drive leg the travel model gives."""
    route["visits"].sort(key=lambda v: dt.datetime.fromisoformat(v["start"]))
    here = _point_of(route["team"], instance, team_start=True)
    border = instance.rules.border_crossing_minutes
    for v in route["visits"]:
        there = _point_of(v["request"], instance)
        minutes, km = leg(here, there, border)
        v["drive_minutes_before"], v["drive_km_before"] = minutes, round(km, 1)
        here = there


def reschedule(route: dict, instance) -> None:
    """Re-derive a route's drive legs and nights from the exact schedule of its visits (optimize.route_schedule).

    Nights run from the first tour day to the last event's day, at the day's last venue or on the road: a
    dropped or moved visit leaves no night behind. When the schedule cannot keep a visit at its start the
    legs come from the travel model and the nights of the edited days are guessed, and the checker says
    what is wrong.
    """
    scheduled = route_schedule(instance, route["team"], [(v["request"], v["start"]) for v in route["visits"]])
    if scheduled is None:
        _relink(route, instance)
        _renight(route, instance, {dt.datetime.fromisoformat(v["start"]).date() for v in route["visits"]})
        return
    legs = {v.request: v for v in scheduled.visits}
    route["visits"].sort(key=lambda v: dt.datetime.fromisoformat(v["start"]))
    for v in route["visits"]:
        v["drive_minutes_before"] = legs[v["request"]].drive_minutes_before
        v["drive_km_before"] = legs[v["request"]].drive_km_before
        v.pop("ferry", None)
        if legs[v["request"]].ferry is not None:
            v["ferry"] = legs[v["request"]].ferry.to_dict()
    route["nights"] = [{"date": n.date, "lat": n.lat, "lon": n.lon} for n in scheduled.nights]


def _renight(route: dict, instance, dates: set[dt.date]) -> None:
    """On the dates touched by an edit, the team sleeps where that day's last event was (or stays put)."""
    nights = {n["date"]: n for n in route.get("nights", [])}
    last_by_day = {}
    for v in route["visits"]:
        last_by_day[dt.datetime.fromisoformat(v["start"]).date()] = v["request"]
    for day in sorted(dates):
        if day in last_by_day:
            r = instance.request(last_by_day[day])
            nights[day.isoformat()] = {"date": day.isoformat(), "lat": r.lat, "lon": r.lon}
        else:
            earlier = [d for d in last_by_day if d < day]
            if earlier:
                r = instance.request(last_by_day[max(earlier)])
                here = (r.lat, r.lon)
            else:
                team = next(t for t in instance.teams if t.id == route["team"])
                here = (team.start.lat, team.start.lon)
            if day.isoformat() in nights:
                nights[day.isoformat()] = {"date": day.isoformat(), "lat": here[0], "lon": here[1]}
    route["nights"] = [nights[k] for k in sorted(nights)]


def _check(instance, data: dict) -> list:
    for_check = json.loads(json.dumps(data))
    for u in for_check.get("unserved", []):  # the checker knows the optimizer's reasons only
        if u["reason"] == "dropped_by_coordinator":
            u["reason"] = "dropped_for_value"
    return list(check(instance, OptPlan.from_dict(for_check)))


def _edit_instance(season: Season, team_slugs: set[str], refs: set[str], except_ref: str):
    """The instance of the touched teams and their requests, by planning's own mapper.

    Every rule the checker applies is a rule of one route (plus "each request once", which the
    touched routes contain), so checking the touched routes alone gives the same verdict as the
    whole season, at a fraction of the cost. The edited request's own pin is lifted (it is moving).
    """
    data = season_instance(season, team_slugs=team_slugs, refs=refs, except_ref=except_ref)
    return build_instance(season, data)


def _only_known(data: dict, instance) -> dict:
    """Leave out visits and unserved entries of requests the instance no longer has (cancelled since)."""
    known = {r.id for r in instance.requests}
    for route in data["routes"]:
        route["visits"] = [v for v in route["visits"] if v["request"] in known]
    data["unserved"] = [u for u in data["unserved"] if u["request"] in known]
    return data


def try_edit(season: Season, plan: Plan, visit: Visit, *, team: Team | None, start: dt.datetime | None) -> dict:
    """Apply a move (team and local start) or, with team None, a drop to the plan; refuse new violations.

    Returns the whole edited plan dict (formats.md section 3). The checker sees the routes the edit
    touches; violations they had before the edit do not count against it: only what the edit breaks
    is refused.
    """
    full = plan_dict(season, plan)
    ref = visit.request.ref
    old_team = visit.team.slug
    new_team = old_team if team is None else team.slug
    slugs = {old_team, new_team}
    routes = {r["team"]: r for r in full["routes"] if r["team"] in slugs}
    refs = {v["request"] for r in routes.values() for v in r["visits"]} | {ref}
    instance = _edit_instance(season, slugs, refs, except_ref=ref)
    before = _only_known({"instance": season.name, "status": "feasible", "solver": {},
                          "routes": json.loads(json.dumps(list(routes.values()))), "unserved": []}, instance)
    audience = {r.id: r.audience for r in instance.requests}
    before["kpis"] = plan_dict_kpis(before, audience, len(instance.requests))
    after = json.loads(json.dumps(before))
    edited = {r["team"]: r for r in after["routes"]}
    moved = next((v for v in edited[old_team]["visits"] if v["request"] == ref), None)
    if moved is None and team is not None:  # the request is cancelled or declined since the plan was made
        raise EditRefused(f"request {ref} is {visit.request.status} now: drop it from the plan or re-plan")
    if moved is not None:
        edited[old_team]["visits"].remove(moved)
    dropped = []
    if team is None:
        dropped = [{"request": ref, "reason": "dropped_by_coordinator", "detail": DROPPED_DETAIL}]
        after["unserved"] = dropped
    else:
        moved["start"] = start.isoformat(timespec="seconds")
        moved["end"] = (start + (visit.end_dt - visit.start_dt)).isoformat(timespec="seconds")
        edited[new_team]["visits"].append(moved)
    for slug in slugs:
        reschedule(edited[slug], instance)
    after["kpis"] = plan_dict_kpis(after, audience, len(instance.requests))
    old = {_violation_key(v) for v in _check(instance, before)}
    new = [v for v in _check(instance, after) if _violation_key(v) not in old]
    if new:
        raise EditRefused("the change was refused; nothing was saved", [plain_reason(v) for v in new])
    audience.update({v.request.ref: v.request.audience for v in plan_visits(plan)})
    full["routes"] = [edited.get(r["team"], r) for r in full["routes"]]
    full["unserved"] += dropped
    full["kpis"] = plan_dict_kpis(full, audience, full["kpis"]["requests"])
    return full


def store_edit(season: Season, plan: Plan, data: dict, teams_touched: set[str]) -> None:
    """Write an edited plan dict back into the plan's rows (only the teams it touched) and its JSON."""
    teams = {t.slug: t for t in season.teams}
    visits = {v.request.ref: v for v in plan_visit_rows(plan)}
    for route in data["routes"]:
        if route["team"] not in teams_touched:
            continue
        team = teams[route["team"]]
        for order, item in enumerate(route["visits"]):
            v = visits[item["request"]]
            start = dt.datetime.fromisoformat(item["start"]).astimezone(dt.timezone.utc)
            end = dt.datetime.fromisoformat(item["end"]).astimezone(dt.timezone.utc)
            ferry = ferry_columns(item.get("ferry"))
            changed = (v.team_id, v.start_dt, v.end_dt, v.order, v.drive_minutes_before, v.drive_km_before,
                       v.ferry_name, v.ferry_depart_dt) != (
                team.id, start, end, order, item["drive_minutes_before"], item["drive_km_before"],
                ferry["ferry_name"], ferry["ferry_depart_dt"])
            if changed:
                v.team, v.start_dt, v.end_dt, v.order = team, start, end, order
                v.drive_minutes_before, v.drive_km_before = item["drive_minutes_before"], item["drive_km_before"]
                v.ferry_name, v.ferry_minutes, v.ferry_depart_dt = (
                    ferry["ferry_name"], ferry["ferry_minutes"], ferry["ferry_depart_dt"])
        existing = {n.day: n for n in plan.overnights if n.team_id == team.id}
        wanted = {dt.date.fromisoformat(n["date"]) for n in route["nights"]}
        for day, row in existing.items():
            if day not in wanted:  # a night of the old schedule (after the last event, or where a drop was)
                plan.overnights.remove(row)
        for night in route["nights"]:
            day = dt.date.fromisoformat(night["date"])
            row = existing.get(day)
            if row is None:
                plan.overnights.append(Overnight(team=team, day=day, lat=night["lat"], lon=night["lon"],
                                                 town=town_of(night["lat"], night["lon"], list(visits.values()))))
            elif (row.lat, row.lon) != (night["lat"], night["lon"]):
                row.lat, row.lon = night["lat"], night["lon"]
                row.town = town_of(night["lat"], night["lon"], list(visits.values()))
    plan.kpis = data["kpis"]
    plan.plan_json = json.dumps(data, ensure_ascii=False)


def move_visit(season: Season, plan: Plan, visit: Visit, *, team_slug: str, date_text: str, time_text: str,
               version) -> None:
    """Move a visit to another day, time or team if the plan stays feasible; else refuse and change nothing."""
    require_draft(plan, visit)
    check_version(visit, version)
    if visit.locked or visit.request.fixed_start_dt is not None or visit.request.pinned_team_id is not None:
        raise EditRefused("this visit is locked (a pinned team and start); unlock it first")
    team = team_by_slug(season, team_slug) if team_slug else visit.team
    start = parse_local_start(date_text, time_text, visit.request.venue.tz)
    if not season.start_date <= start.date() <= season.end_date:
        raise EditRefused("the change was refused; nothing was saved",
                          [f"{start:%a %b %-d, %Y} is outside the tour ({season.start_date:%b %-d} to "
                           f"{season.end_date:%b %-d, %Y})"])
    old_team = visit.team.slug
    data = try_edit(season, plan, visit, team=team, start=start)
    store_edit(season, plan, data, {old_team, team.slug})
    commit_or_conflict()


def drop_visit(season: Season, plan: Plan, visit: Visit, version) -> None:
    """Take a request out of this plan; it shows as unserved, dropped by a coordinator."""
    require_draft(plan, visit)
    check_version(visit, version)
    if visit.locked:
        raise EditRefused("this visit is locked; unlock it first")
    team = visit.team.slug
    data = try_edit(season, plan, visit, team=None, start=None)
    request = visit.request
    db.session.delete(visit)
    db.session.flush()
    plan.unserved.append(UnservedRequest(request=request, reason="dropped_by_coordinator", detail=DROPPED_DETAIL))
    request.dropped_dt = now_utc()  # every later plan leaves it out until a coordinator puts it back
    store_edit(season, plan, data, {team})
    commit_or_conflict()


def put_back(season: Season, ref: str, version) -> Request:
    """Undo a drop by hand: the next plan (or re-plan) considers the request again."""
    request = db.session.scalar(select(Request).where(Request.season_id == season.id, Request.ref == ref))
    if request is None:
        raise NotFound(f"season {season.name} has no request {ref!r}")
    check_version(request, version)
    if request.dropped_dt is None:
        raise EditRefused(f"request {ref} is not dropped; nothing to put back")
    request.dropped_dt = None
    commit_or_conflict()
    return request


def held_out(season: Season) -> dict[str, int]:
    """Refs of the season's requests dropped by hand and still kept out, with their row version (for the form)."""
    return dict(db.session.execute(select(Request.ref, Request.version).where(
        Request.season_id == season.id, Request.dropped_dt.is_not(None))).all())


def pin_before(season: Season, plan: Plan, from_date: dt.date) -> None:
    """Pin every visit of the plan before from_date (pins already set stay): the first step of a re-plan
    from a date (jobs.start_replan queues the solve that keeps them)."""
    if not season.start_date <= from_date <= season.end_date:
        raise EditRefused(f"{from_date} is outside the tour ({season.start_date} to {season.end_date})")
    for v in plan_visit_rows(plan):
        if v.start_dt.astimezone(zone(v.request.venue.tz)).date() < from_date:
            v.request.pinned_team_id = v.team_id
            v.request.fixed_start_dt = v.start_dt
            v.locked = True
    commit_or_conflict()


def copy_plan(season: Season, plan: Plan) -> Plan:
    """A new draft version with the same visits, so a published plan can be edited without touching it."""
    data = plan_dict(season, plan)
    dropped = [u for u in data["unserved"] if u["reason"] == "dropped_by_coordinator"]
    data["unserved"] = [u for u in data["unserved"] if u["reason"] != "dropped_by_coordinator"]
    instance_data = instance_dict(season)
    instance_data["requests"] = [r for r in instance_data["requests"] if r["id"] not in {u["request"] for u in dropped}]
    digest = hashlib.sha256(f"copy of plan {plan.id} at {now_utc().isoformat()}".encode()).hexdigest()
    instance = build_instance(season, instance_data)
    data = _only_known(data, instance)
    data["kpis"] = plan_dict_kpis(data, {r.id: r.audience for r in instance.requests}, len(instance.requests))
    row = save_plan(season, data, params={"copy_of": plan.number}, instance=instance, previous=plan,
                    instance_data=instance_data, digest=digest,
                    note=f"editable copy of version {plan.number}")
    requests = {r.ref: r for r in season.requests}
    listed = {u.request_id for u in row.unserved}  # save_plan listed those still kept out already
    for u in dropped:
        if requests[u["request"]].id not in listed:
            row.unserved.append(UnservedRequest(request=requests[u["request"]], reason=u["reason"],
                                                detail=u["detail"]))
    db.session.commit()
    return row
