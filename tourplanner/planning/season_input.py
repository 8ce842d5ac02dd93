"""Season rows -> the optimizer's instance (formats.md section 2): the one mapper every caller uses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Plan, Request, Season, Team, Visit
from ..optimize import Instance
from ..optimize.calendar import WEEKDAYS

PLANNABLE_STATUSES = ("approved", "scheduled", "confirmed")
# Solver parameters that change the result; anything else in a job's params does not count for the hash.
RESULT_PARAMS = ("time_limit_s", "seed", "steps", "previous_plan_id")


class PlanningError(ValueError):
    """Rows that cannot become an instance, or a plan that cannot become rows; the message says which."""


def instance_dict(season: Season) -> dict:
    """The season's optimizer input: approved, scheduled and confirmed requests; local wall-clock windows.

    Requests a coordinator dropped by hand stay out until put back (save_plan lists them as unserved)."""
    return season_instance(season)


def season_instance(season: Season, *, team_slugs: set[str] | None = None, refs: set[str] | None = None,
                    except_ref: str | None = None) -> dict:
    """The optimizer input of the whole season, or of the part an edit touches.

    Whole season (refs None): every plannable request not dropped by hand, a date its venue confirmed
    pinned. Part (refs given, for checking an edit of a plan): those requests as the plan holds them,
    dropped or not, with no confirmed-date pins (the plan being edited carries them), and only the teams
    in team_slugs; except_ref's own pin is lifted (it is the request being moved).
    """
    rules = season.effective_rules
    first, last = season.start_date, season.end_date
    query = select(Request).where(Request.season_id == season.id, Request.status.in_(PLANNABLE_STATUSES))
    query = query.where(Request.dropped_dt.is_(None)) if refs is None else query.where(Request.ref.in_(refs))
    requests = db.session.scalars(
        query.options(
            selectinload(Request.venue),
            selectinload(Request.windows),
            selectinload(Request.blackouts),
            selectinload(Request.refused_dates),
            selectinload(Request.pinned_team),
        )
        .order_by(Request.ref)
    ).all()
    confirmed = confirmed_dates(season) if refs is None else {}
    rows = [request_dict(r, season, first, last, rules, confirmed.get(r.id)) for r in requests]
    for row in rows:
        if except_ref is not None and row["id"] == except_ref:
            row["team"], row["fixed_start"] = None, None
    teams = [t for t in season.teams if team_slugs is None or t.slug in team_slugs]
    return {
        "name": season.name,
        "start_date": first.isoformat(),
        "days": 7 * season.weeks,
        "rules": rules,
        "teams": [team_dict(team) for team in teams],
        "requests": rows,
    }


def confirmed_dates(season: Season) -> dict[int, tuple[Team, dt.datetime]]:
    """Request id -> (team, start) of the published visits their venues confirmed: every plan keeps them there."""
    plan = season.published_plan()
    if plan is None:
        return {}
    rows = db.session.execute(
        select(Visit.request_id, Visit.team_id, Visit.start_dt).join(Request, Visit.request_id == Request.id)
        .where(Visit.plan_id == plan.id, Visit.cancelled.is_(False), Request.status == "confirmed")).all()
    teams = {t.id: t for t in season.teams}
    return {request_id: (teams[team_id], start) for request_id, team_id, start in rows if team_id in teams}


def team_dict(team: Team) -> dict:
    """A team as the optimizer sees it: where the van starts and (optionally) must end."""
    end = None
    if team.end_lat is not None and team.end_lon is not None:
        end = {"lat": team.end_lat, "lon": team.end_lon, "tz": team.end_tz or team.base_tz}
    data = {
        "id": team.slug,
        "name": team.name,
        "start": {"lat": team.base_lat, "lon": team.base_lon, "tz": team.base_tz},
        "end": end,
    }
    regions = region_codes(team.region_hint)
    if regions:
        data["regions"] = regions  # optional hint (formats.md allows added fields)
    return data


def region_codes(hint: str) -> list[str]:
    """'WA, OR; ca' -> ['CA', 'OR', 'WA']: the states or provinces a coordinator wants a team to cover."""
    codes = {part.strip().upper() for part in hint.replace(";", ",").replace(" ", ",").split(",")}
    return sorted(c for c in codes if c)


def request_dict(r: Request, season: Season, first: dt.date, last: dt.date, rules: dict,
                 confirmed: tuple[Team, dt.datetime] | None = None) -> dict:
    """One request as the optimizer reads it; a date its venue confirmed is pinned like a coordinator's lock."""
    venue = r.venue
    if venue.lat is None or venue.lon is None or not venue.tz:
        raise PlanningError(
            f"request {r.ref} ({venue.name}): the venue has no coordinates or time zone yet; "
            "correct its location before planning"
        )
    pinned = r.pinned_team.slug if r.pinned_team is not None and r.pinned_team.season_id == season.id else None
    fixed_dt = r.fixed_start_dt
    if fixed_dt is None and pinned is None and confirmed is not None:
        pinned, fixed_dt = confirmed[0].slug, confirmed[1]
    fixed = None
    if fixed_dt is not None:
        fixed = fixed_dt.astimezone(ZoneInfo(venue.tz)).strftime("%Y-%m-%dT%H:%M")
    return {
        "id": r.ref,
        "name": venue.name,
        "type": venue.type,
        "lat": venue.lat,
        "lon": venue.lon,
        "tz": venue.tz,
        "country": venue.country,
        "region": venue.region,
        "audience": r.audience,
        "duration_minutes": r.duration_minutes or rules["default_duration_minutes"],
        "priority": r.priority,
        # a date the venue refused is blacked out for this request ("ask for another date")
        "windows": expand_windows(r.windows, {b.day for b in r.blackouts} | {d.day for d in r.refused_dates},
                                  first, last),
        "team": pinned,
        "fixed_start": fixed,
    }


def expand_windows(windows, blackouts: set[dt.date], first: dt.date, last: dt.date) -> list[dict]:
    """Availability rows (date range, weekdays, local hours) -> one local window per day inside the season.

    Blackout days are left out; overlapping hours of one day are merged; days outside first..last are
    dropped (a request with nothing left gets an empty list, which the optimizer reports as
    outside_tour_dates).
    """
    by_day: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
    for w in windows:
        days = {d.strip().lower() for d in (w.weekdays or "").split(",") if d.strip()}
        day = max(w.first_date, first)
        while day <= min(w.last_date, last):
            if WEEKDAYS[day.weekday()] in days and day not in blackouts:
                by_day.setdefault(day, []).append((w.start_time, w.end_time))
            day += dt.timedelta(days=1)
    out = []
    for day in sorted(by_day):
        merged: list[list[dt.time]] = []
        for start, end in sorted(by_day[day]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            out.append({"start": f"{day.isoformat()}T{start:%H:%M}", "end": f"{day.isoformat()}T{end:%H:%M}"})
    return out


def build_instance(season: Season, data: dict | None = None) -> Instance:
    """The optimizer's Instance of a season (InstanceError names the request that is wrong)."""
    return Instance.from_dict(data if data is not None else instance_dict(season))


def input_hash(instance: dict, params: dict) -> str:
    """SHA-256 of the instance and the solver parameters that matter: same input, same hash, one plan."""
    relevant = {k: params.get(k) for k in RESULT_PARAMS if params.get(k) is not None}
    text = json.dumps({"instance": instance, "params": relevant}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_for_input(season: Season, digest: str) -> Plan | None:
    """An existing plan of the season made from exactly this input, if any."""
    return db.session.scalar(
        select(Plan).where(Plan.season_id == season.id, Plan.input_hash == digest).order_by(Plan.number).limit(1)
    )
