"""Plan review: what a coordinator reads off a plan (KPIs, itineraries, grid, unserved) and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .models import Overnight, Plan, Request, Season, Team, UnservedRequest, Visit

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_PLURAL = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
REASONS = {  # formats.md section 3 reasons, in a coordinator's words
    "no_reachable_window": "no team can reach it inside its windows",
    "outside_tour_dates": "its dates lie outside the tour",
    "holiday_or_day_off": "its only days are public holidays or rest days",
    "dropped_for_value": "left out: the driving it needs outweighs its audience and priority",
    "pinned_conflict": "its pin (team or start time) cannot be kept",
    "dropped_by_coordinator": "dropped from the plan by a coordinator",
}
ITINERARY_COLUMNS = ("team", "date", "local_start", "local_end", "zone", "venue", "city", "region",
                     "drive_km", "drive_minutes", "overnight_town")
NEAR_TOWN_KM = 30.0


class NotFound(LookupError):
    """A season, plan, team or visit named in a URL that does not exist."""


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def road_km(lat: float, lon: float, lats, lons) -> np.ndarray:
    """Road km from one point to many, by the optimizer's travel model (great circle x circuity)."""
    try:
        from .optimize.travel import CIRCUITY, great_circle_km
    except ImportError:  # the optimizer is not installed: plain great circle
        CIRCUITY = 1.25
        great_circle_km = _great_circle_km
    return great_circle_km(lat, lon, np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)) * CIRCUITY


def _great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((np.radians(lon2) - np.radians(lon1)) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --- loading -----------------------------------------------------------------------------------------


def season_named(name: str) -> Season:
    season = db.session.scalar(select(Season).where(Season.name == name).options(selectinload(Season.teams)))
    if season is None:
        raise NotFound(f"no season named {name!r}")
    return season


def plan_version(season: Season, number: int | None = None) -> Plan | None:
    """The plan with that version number, or the latest; None when the season has no plan."""
    query = select(Plan).where(Plan.season_id == season.id)
    if number is not None:
        plan = db.session.scalar(query.where(Plan.number == number))
        if plan is None:
            raise NotFound(f"season {season.name} has no plan version {number}")
        return plan
    return db.session.scalar(query.order_by(Plan.number.desc()).limit(1))


def sheet_plan(season: Season, number: int | None = None) -> Plan | None:
    """The plan a day sheet prints: the one asked for, else the published one, else the latest."""
    if number is not None:
        return plan_version(season, number)
    return season.published_plan() or plan_version(season)


def team_by_slug(season: Season, slug: str) -> Team:
    for team in season.teams:
        if team.slug == slug:
            return team
    raise NotFound(f"season {season.name} has no team {slug!r}")


def plan_visits(plan: Plan, team_id: int | None = None) -> list[Visit]:
    """The plan's live visits (cancelled ones skipped) with request and venue, in route order."""
    query = (
        select(Visit)
        .where(Visit.plan_id == plan.id, Visit.cancelled.is_(False))
        .options(joinedload(Visit.request).joinedload(Request.venue))
        .order_by(Visit.team_id, Visit.start_dt)
    )
    if team_id is not None:
        query = query.where(Visit.team_id == team_id)
    return list(db.session.scalars(query).unique())


def plan_overnights(plan: Plan, team_id: int | None = None) -> list[Overnight]:
    query = select(Overnight).where(Overnight.plan_id == plan.id).order_by(Overnight.team_id, Overnight.day)
    if team_id is not None:
        query = query.where(Overnight.team_id == team_id)
    return list(db.session.scalars(query))


def plan_unserved(plan: Plan) -> list[UnservedRequest]:
    return list(db.session.scalars(
        select(UnservedRequest)
        .where(UnservedRequest.plan_id == plan.id)
        .options(joinedload(UnservedRequest.request).joinedload(Request.venue),
                 joinedload(UnservedRequest.request).selectinload(Request.windows),
                 joinedload(UnservedRequest.request).selectinload(Request.blackouts))
        .order_by(UnservedRequest.id)
    ).unique())


# --- what a page shows ------------------------------------------------------------------------------


@dataclass
class Event:
    """One visit as the itinerary shows it: local times in the venue's zone and the leg before it."""

    visit: Visit
    start: dt.datetime  # local, aware
    end: dt.datetime
    drive_km: float
    drive_minutes: int
    came_from: str = ""

    @property
    def request(self) -> Request:
        return self.visit.request

    @property
    def venue(self):
        return self.visit.request.venue

    @property
    def zone_abbr(self) -> str:
        return self.start.tzname() or ""

    @property
    def drive_hours(self) -> float:
        return self.drive_minutes / 60


@dataclass
class Day:
    """One date of a team's season."""

    date: dt.date
    events: list[Event] = field(default_factory=list)
    night: Overnight | None = None
    night_town: str = ""
    day_off: bool = False

    @property
    def drive_km(self) -> float:
        return sum(e.drive_km for e in self.events)

    @property
    def drive_minutes(self) -> int:
        return sum(e.drive_minutes for e in self.events)

    @property
    def kind(self) -> str:
        """'events', 'rest day' (a season day off), or 'no event' (a free or travel day)."""
        if self.events:
            return "events"
        return "rest day" if self.day_off else "no event"


def local_event(visit: Visit, came_from: str = "") -> Event:
    tz = zone(visit.request.venue.tz)
    return Event(visit=visit, start=visit.start_dt.astimezone(tz), end=visit.end_dt.astimezone(tz),
                 drive_km=visit.drive_km_before or 0.0, drive_minutes=visit.drive_minutes_before or 0,
                 came_from=came_from)


def season_days(season: Season) -> list[dt.date]:
    return [season.start_date + dt.timedelta(days=i) for i in range(season.weeks * 7)]


def days_off(season: Season) -> set[int]:
    return {WEEKDAYS.index(d) for d in season.effective_rules.get("days_off", []) if d in WEEKDAYS}


def town_of(lat: float, lon: float, visits: list[Visit]) -> str:
    """A name for a night's place: the town of a venue within a short drive, else the coordinates."""
    best, best_km = None, NEAR_TOWN_KM
    for v in visits:
        venue = v.request.venue
        if venue.lat is None:
            continue
        km = float(_great_circle_km(lat, lon, venue.lat, venue.lon))
        if km <= best_km:
            best, best_km = venue, km
    if best is not None:
        return f"{best.city}, {best.region}" if best.region else best.city
    return f"{lat:.3f}, {lon:.3f}"


def night_town(night: Overnight | None, visits: list[Visit]) -> str:
    if night is None:
        return ""
    return night.town or town_of(night.lat, night.lon, visits)


def team_itinerary(season: Season, team: Team, visits: list[Visit], overnights: list[Overnight]) -> list[Day]:
    """Every day of the season for one team: events with local times, legs, the night's town, rest days."""
    off = days_off(season)
    days = {d: Day(date=d, day_off=d.weekday() in off) for d in season_days(season)}
    visits = [v for v in visits if v.team_id == team.id]
    previous = team.base_name or "the base"
    for visit in sorted(visits, key=lambda v: v.start_dt):
        event = local_event(visit, came_from=previous)
        days.setdefault(event.start.date(), Day(date=event.start.date())).events.append(event)
        previous = f"{visit.request.venue.city}, {visit.request.venue.region}"
    for night in overnights:
        if night.team_id == team.id and night.day in days:
            days[night.day].night = night
            days[night.day].night_town = night_town(night, visits)
    return [days[d] for d in sorted(days)]


def kpis(season: Season, plan: Plan, visits: list[Visit], unserved_count: int) -> dict:
    """The plan's headline figures, recomputed from its rows (cancelled visits left out)."""
    per_team = defaultdict(lambda: {"events": 0, "audience": 0, "drive_km": 0.0, "drive_minutes": 0})
    regions = set()
    for v in visits:
        row = per_team[v.team_id]
        row["events"] += 1
        row["audience"] += v.request.audience
        row["drive_km"] += v.drive_km_before or 0.0
        row["drive_minutes"] += v.drive_minutes_before or 0
        venue = v.request.venue
        if venue.region:
            regions.add((venue.country, venue.region))
    teams = [{"team": t, **per_team[t.id], "drive_hours": per_team[t.id]["drive_minutes"] / 60}
             for t in season.teams]
    served = len(visits)
    return {
        "served": served,
        "requests": served + unserved_count,
        "audience": sum(t["audience"] for t in teams),
        "drive_km": sum(t["drive_km"] for t in teams),
        "drive_hours": sum(t["drive_minutes"] for t in teams) / 60,
        "km_per_event": (sum(t["drive_km"] for t in teams) / served) if served else 0.0,
        "teams": teams,
        "regions": sorted(regions),
        "states": sorted(r for c, r in regions if c == "US"),
        "provinces": sorted(r for c, r in regions if c == "CA"),
    }


def week_grid(season: Season, visits: list[Visit], overnights: list[Overnight]) -> list[dict]:
    """Rows are weeks, columns teams; a cell lists each day's towns and events (or rest / travel)."""
    off = days_off(season)
    by_team_day: dict[tuple[int, dt.date], list[Event]] = defaultdict(list)
    for v in visits:
        event = local_event(v)
        by_team_day[(v.team_id, event.start.date())].append(event)
    nights = {(n.team_id, n.day): n for n in overnights}
    team_visits = defaultdict(list)
    for v in visits:
        team_visits[v.team_id].append(v)
    weeks = []
    for w in range(season.weeks):
        monday = season.start_date + dt.timedelta(days=7 * w)
        dates = [monday + dt.timedelta(days=i) for i in range(7)]
        cells = {}
        for team in season.teams:
            cell = []
            for d in dates:
                events = sorted(by_team_day.get((team.id, d), []), key=lambda e: e.start)
                night = nights.get((team.id, d))
                town = night_town(night, team_visits[team.id]) if night and not events else ""
                cell.append({"date": d, "events": events, "rest": d.weekday() in off and not events,
                             "town": town})
            cells[team.id] = cell
        weeks.append({"number": w + 1, "monday": monday, "sunday": dates[-1], "cells": cells})
    return weeks


# --- unserved requests and what could be done about them ------------------------------------------


def available_days(request: Request, season: Season) -> list[dt.date]:
    """Days inside the season on which the venue's windows allow an event (blackouts removed)."""
    first, last = season.start_date, season.end_date
    blackout = {b.day for b in request.blackouts}
    days = set()
    for w in request.windows:
        allowed = {WEEKDAYS.index(x.strip()) for x in (w.weekdays or "").split(",") if x.strip() in WEEKDAYS}
        d = max(first, w.first_date)
        while d <= min(last, w.last_date):
            if d.weekday() in allowed and d not in blackout:
                days.add(d)
            d += dt.timedelta(days=1)
    return sorted(days)


def describe_days(days: list[dt.date], season: Season) -> str:
    """'available only on Sundays', 'available only on Wed Mar 3', 'available on 30 days (Mon-Fri)'."""
    if not days:
        return (f"no window inside the tour ({season.start_date:%b %-d} to {season.end_date:%b %-d, %Y})")
    weekdays = sorted({d.weekday() for d in days})
    if len(days) <= 2:
        return "available only on " + " and ".join(f"{d:%a %b %-d}" for d in days)
    if len(weekdays) == 1:
        return f"available only on {WEEKDAY_PLURAL[weekdays[0]]}"
    if len(weekdays) == 2:
        return f"available only on {WEEKDAY_PLURAL[weekdays[0]]} and {WEEKDAY_PLURAL[weekdays[1]]}"
    span = f"{days[0]:%b %-d} to {days[-1]:%b %-d}"
    return f"available on {len(days)} days ({', '.join(WEEKDAYS[i].title() for i in weekdays)}, {span})"


def nice_km(km: float) -> int:
    """Round a distance up to a figure worth saying: 10 km steps to 100, then 50, then 100."""
    step = 10 if km < 100 else 50 if km < 1000 else 100
    return int(math.ceil(max(km, 1.0) / step) * step)


class TeamPositions:
    """Where each team is on each day of the season: morning place, event venues, night place."""

    def __init__(self, season: Season, visits: list[Visit], overnights: list[Overnight]):
        self.season = season
        self.teams = list(season.teams)
        n_days = season.weeks * 7
        points: list[tuple[int, int, float, float]] = []  # (team index, day index, lat, lon)
        tindex = {t.id: i for i, t in enumerate(self.teams)}
        by_team_nights = defaultdict(dict)
        for n in overnights:
            by_team_nights[n.team_id][(n.day - season.start_date).days] = (n.lat, n.lon)
        for v in visits:
            venue = v.request.venue
            if venue.lat is None or v.team_id not in tindex:
                continue
            day = (v.start_dt.astimezone(zone(venue.tz)).date() - season.start_date).days
            if 0 <= day < n_days:
                points.append((tindex[v.team_id], day, venue.lat, venue.lon))
        for team in self.teams:
            nights = by_team_nights[team.id]
            here = (team.base_lat, team.base_lon)
            for day in range(n_days):
                points.append((tindex[team.id], day, *here))  # the morning: where last night was
                if day in nights:
                    here = nights[day]
                    points.append((tindex[team.id], day, *here))
        arr = np.array(points, dtype=float).reshape(-1, 4)
        self.team_idx = arr[:, 0].astype(int)
        self.day_idx = arr[:, 1].astype(int)
        self.lats, self.lons = arr[:, 2], arr[:, 3]

    def nearest(self, lat: float, lon: float, days: list[dt.date]) -> tuple[Team, dt.date, float] | None:
        """The team that comes closest to (lat, lon) on one of these days, the day, and the road km."""
        if not days or not len(self.lats):
            return None
        wanted = np.zeros(self.season.weeks * 7, dtype=bool)
        for d in days:
            i = (d - self.season.start_date).days
            if 0 <= i < len(wanted):
                wanted[i] = True
        mask = wanted[self.day_idx]
        if not mask.any():
            return None
        km = road_km(lat, lon, self.lats[mask], self.lons[mask])
        best = int(np.argmin(km))
        team = self.teams[int(self.team_idx[mask][best])]
        day = self.season.start_date + dt.timedelta(days=int(self.day_idx[mask][best]))
        return team, day, float(km[best])


def suggestion(request: Request, season: Season, positions: TeamPositions) -> str:
    """What the data says about serving it after all: its days, and the nearest team on one of them."""
    days = available_days(request, season)
    said = describe_days(days, season)
    venue = request.venue
    if not days or venue.lat is None:
        return said
    off = days_off(season)
    if all(d.weekday() in off for d in days):
        said += " (rest days of the tour)"
    near = positions.nearest(venue.lat, venue.lon, days)
    if near is None:
        return said
    team, day, km = near
    if km > 1500:
        return f"{said}; no team comes within 1,500 km on those days"
    return f"{said}; team {team.name} is within {nice_km(km):,} km on {day:%A %B %-d}"


def unserved_rows(season: Season, unserved: list[UnservedRequest], positions: TeamPositions) -> list[dict]:
    rows = []
    for u in unserved:
        rows.append({
            "unserved": u, "request": u.request, "venue": u.request.venue,
            "reason": REASONS.get(u.reason, u.reason.replace("_", " ")), "code": u.reason, "detail": u.detail,
            "suggestion": suggestion(u.request, season, positions),
        })
    rows.sort(key=lambda r: (-r["request"].priority, -r["request"].audience, r["request"].ref))
    return rows


# --- exports ---------------------------------------------------------------------------------------


def itinerary_csv(season: Season, plan: Plan) -> str:
    """One row per event: team, local date and times in the venue's zone, place, leg, night's town."""
    visits = plan_visits(plan)
    overnights = plan_overnights(plan)
    teams = {t.id: t for t in season.teams}
    nights = {(n.team_id, n.day): n for n in overnights}
    team_visits = defaultdict(list)
    for v in visits:
        team_visits[v.team_id].append(v)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ITINERARY_COLUMNS)
    for v in sorted(visits, key=lambda v: (teams[v.team_id].slug, v.start_dt)):
        e = local_event(v)
        venue = v.request.venue
        writer.writerow([
            teams[v.team_id].slug, e.start.date().isoformat(), e.start.strftime("%H:%M"), e.end.strftime("%H:%M"),
            venue.tz, venue.name, venue.city, venue.region, f"{e.drive_km:.1f}", e.drive_minutes,
            night_town(nights.get((v.team_id, e.start.date())), team_visits[v.team_id]),
        ])
    return out.getvalue()


def plan_dict(season: Season, plan: Plan) -> dict:
    """The plan in formats.md section 3, from its rows (so edits made after solving are included)."""
    visits = plan_visits(plan)
    overnights = plan_overnights(plan)
    unserved = plan_unserved(plan)
    routes = []
    for team in season.teams:
        mine = [v for v in visits if v.team_id == team.id]
        routes.append({
            "team": team.slug,
            "visits": [{
                "request": v.request.ref,
                "start": local_event(v).start.isoformat(timespec="seconds"),
                "end": local_event(v).end.isoformat(timespec="seconds"),
                "drive_minutes_before": int(v.drive_minutes_before or 0),
                "drive_km_before": round(float(v.drive_km_before or 0.0), 1),
            } for v in sorted(mine, key=lambda v: v.start_dt)],
            "nights": [{"date": n.day.isoformat(), "lat": n.lat, "lon": n.lon}
                       for n in overnights if n.team_id == team.id],
        })
    stored = json.loads(plan.plan_json) if plan.plan_json else {}
    served = [vv for r in routes for vv in r["visits"]]
    return {
        "instance": season.name,
        "status": stored.get("status", "feasible"),
        "solver": plan.solver or stored.get("solver", {}),
        "routes": routes,
        "unserved": [{"request": u.request.ref, "reason": u.reason, "detail": u.detail} for u in unserved],
        "kpis": {
            "served": len(served),
            "requests": len(served) + len(unserved),
            "audience": sum(v.request.audience for v in visits),
            "drive_km": round(sum(vv["drive_km_before"] for vv in served), 1),
            "drive_minutes": sum(vv["drive_minutes_before"] for vv in served),
        },
    }


def day_sheet(season: Season, plan: Plan, team: Team, date: dt.date) -> dict:
    """What a team does on one day: events with contacts, each drive and when to leave, where to sleep."""
    visits = plan_visits(plan, team.id)
    itinerary = team_itinerary(season, team, visits, plan_overnights(plan, team.id))
    day = next((d for d in itinerary if d.date == date), None)
    if day is None:
        raise NotFound(f"{date} is not a day of season {season.name} ({season.start_date} to {season.end_date})")
    setup = int(season.effective_rules.get("setup_minutes", 30))
    index = itinerary.index(day)
    last_night = itinerary[index - 1].night_town if index else (team.base_name or "the base")
    for e in day.events:
        e.arrive_by = e.start - dt.timedelta(minutes=setup)
        e.leave_by = e.arrive_by - dt.timedelta(minutes=e.drive_minutes)
    return {"day": day, "woke_in": last_night, "setup_minutes": setup}
