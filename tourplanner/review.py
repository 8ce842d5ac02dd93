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
from .models import (
    AvailabilityWindow,
    BlackoutDate,
    Overnight,
    Plan,
    RefusedDate,
    Request,
    Season,
    Team,
    UnservedRequest,
    Venue,
    Visit,
    now_utc,
)
from .optimize.plan import UNSERVED_REASONS  # the optimizer's own words for its reasons
from .optimize.ferries import crossing_at
from .optimize.travel import CIRCUITY, great_circle_km, travel_matrix
from .planning import DROPPED_DETAIL, ferry_columns
from .spreadsheet import safe_row

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_PLURAL = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
REASONS = {
    "no_reachable_window": "no team can reach it inside its windows",
    "outside_tour_dates": "its dates lie outside the tour",
    "holiday_or_day_off": "its only days are public holidays or rest days",
    "dropped_for_value": "left out: the driving it needs outweighs its audience and priority",
    "pinned_conflict": "its pin (team or start time) cannot be kept",
    **UNSERVED_REASONS,
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


def road_km(lats, lons, to_lats, to_lons) -> np.ndarray:
    """Road km between points (numpy broadcasting), by the optimizer's travel model."""
    return great_circle_km(lats, lons, to_lats, to_lons) * CIRCUITY


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


# Pages read plans through plain objects filled from column queries: a 1,000-visit plan loads in a few
# milliseconds this way, where ORM objects (visit, request, venue) took a third of the 300 ms budget.
# Edits load ORM rows (plan_visit_rows) so that the version columns guard what they write.


@dataclass(slots=True)
class VenueInfo:
    name: str
    type: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    lat: float | None
    lon: float | None
    tz: str | None


@dataclass(slots=True)
class RequestInfo:
    id: int
    ref: str
    audience: int
    priority: int
    contact_name: str
    contact_email: str
    contact_phone: str
    notes: str
    venue: VenueInfo
    windows: list = field(default_factory=list)
    blackouts: list = field(default_factory=list)


@dataclass(slots=True)
class Stop:
    """A visit as pages read it (same attribute names as models.Visit)."""

    id: int
    team_id: int
    start_dt: dt.datetime
    end_dt: dt.datetime
    order: int
    locked: bool
    version: int
    drive_minutes_before: int
    drive_km_before: float
    ferry_name: str | None
    ferry_minutes: int | None
    ferry_depart_dt: dt.datetime | None
    request: RequestInfo


@dataclass(slots=True)
class Night:
    team_id: int
    day: dt.date
    lat: float
    lon: float
    town: str


@dataclass(slots=True)
class Unserved:
    reason: str
    detail: str
    request: RequestInfo


REQUEST_COLUMNS = (Request.id, Request.ref, Request.audience, Request.priority, Request.contact_name,
                   Request.contact_email, Request.contact_phone, Request.notes, Venue.name, Venue.type,
                   Venue.street, Venue.city, Venue.region, Venue.postal_code, Venue.country, Venue.lat,
                   Venue.lon, Venue.tz)


def _request_info(row) -> RequestInfo:
    return RequestInfo(*row[:8], venue=VenueInfo(*row[8:18]))


def plan_visits(plan: Plan, team_id: int | None = None) -> list[Stop]:
    """The plan's live visits (cancelled ones skipped) with request and venue, by team and start."""
    query = (
        select(Visit.id, Visit.team_id, Visit.start_dt, Visit.end_dt, Visit.order, Visit.locked, Visit.version,
               Visit.drive_minutes_before, Visit.drive_km_before, Visit.ferry_name, Visit.ferry_minutes,
               Visit.ferry_depart_dt, *REQUEST_COLUMNS)
        .join(Request, Visit.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(Visit.plan_id == plan.id, Visit.cancelled.is_(False))
        .order_by(Visit.team_id, Visit.start_dt)
    )
    if team_id is not None:
        query = query.where(Visit.team_id == team_id)
    return [Stop(*row[:12], request=_request_info(row[12:])) for row in db.session.execute(query)]


def plan_visit_rows(plan: Plan) -> list[Visit]:
    """The plan's live visits as ORM rows, for edits."""
    return list(db.session.scalars(
        select(Visit).where(Visit.plan_id == plan.id, Visit.cancelled.is_(False))
        .options(joinedload(Visit.request).joinedload(Request.venue)).order_by(Visit.team_id, Visit.start_dt)
    ).unique())


def plan_overnights(plan: Plan, team_id: int | None = None) -> list[Night]:
    query = (select(Overnight.team_id, Overnight.day, Overnight.lat, Overnight.lon, Overnight.town)
             .where(Overnight.plan_id == plan.id).order_by(Overnight.team_id, Overnight.day))
    if team_id is not None:
        query = query.where(Overnight.team_id == team_id)
    return [Night(*row) for row in db.session.execute(query)]


def plan_unserved(plan: Plan, *, with_windows: bool = True) -> list[Unserved]:
    """The plan's unserved requests with venue (and windows and blackout days, for suggestions)."""
    rows = db.session.execute(
        select(UnservedRequest.reason, UnservedRequest.detail, *REQUEST_COLUMNS)
        .join(Request, UnservedRequest.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(UnservedRequest.plan_id == plan.id).order_by(UnservedRequest.id)
    ).all()
    out = [Unserved(row[0], row[1], _request_info(row[2:])) for row in rows]
    if with_windows and out:
        by_id = {u.request.id: u.request for u in out}
        ids = select(UnservedRequest.request_id).where(UnservedRequest.plan_id == plan.id).scalar_subquery()
        for w in db.session.execute(
                select(AvailabilityWindow.request_id, AvailabilityWindow.first_date, AvailabilityWindow.last_date,
                       AvailabilityWindow.weekdays).where(AvailabilityWindow.request_id.in_(ids))):
            by_id[w[0]].windows.append(w)
        for b in db.session.execute(select(BlackoutDate.request_id, BlackoutDate.day)
                                    .where(BlackoutDate.request_id.in_(ids))):
            by_id[b[0]].blackouts.append(b[1])
        for b in db.session.execute(select(RefusedDate.request_id, RefusedDate.day)  # the venue said no to these
                                    .where(RefusedDate.request_id.in_(ids))):
            by_id[b[0]].blackouts.append(b[1])
    return out


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
    ferry: str = ""  # 'Ferry Horseshoe Bay - Departure Bay, 1 h 40, sails 10:40' when the drive crosses

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
                 came_from=came_from, ferry=ferry_text(visit))


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
        km = float(great_circle_km(lat, lon, venue.lat, venue.lon))
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


def available_mask(request: RequestInfo, season: Season) -> np.ndarray:
    """One flag per season day: the venue's windows allow an event that day (blackouts removed)."""
    n = season.weeks * 7
    index = np.arange(n)
    weekday = (season.start_date.weekday() + index) % 7
    mask = np.zeros(n, dtype=bool)
    for w in request.windows:
        allowed = np.zeros(7, dtype=bool)
        allowed[[WEEKDAYS.index(x.strip()) for x in (w.weekdays or "").split(",") if x.strip() in WEEKDAYS]] = True
        lo, hi = (w.first_date - season.start_date).days, (w.last_date - season.start_date).days
        mask |= (index >= lo) & (index <= hi) & allowed[weekday]
    for day in request.blackouts:
        i = (day - season.start_date).days
        if 0 <= i < n:
            mask[i] = False
    return mask


def describe_days(mask: np.ndarray, season: Season) -> str:
    """'available only on Sundays', 'available only on Wed Mar 3', 'available on 30 days (Mon-Fri)'."""
    index = np.flatnonzero(mask)
    if not len(index):
        return f"no window inside the tour ({season.start_date:%b %-d} to {season.end_date:%b %-d, %Y})"
    weekdays = sorted(set(((season.start_date.weekday() + index) % 7).tolist()))
    first = season.start_date + dt.timedelta(days=int(index[0]))
    last = season.start_date + dt.timedelta(days=int(index[-1]))
    if len(index) <= 2:
        return "available only on " + " and ".join(f"{d:%a %b %-d}" for d in sorted({first, last}))
    if len(weekdays) == 1:
        return f"available only on {WEEKDAY_PLURAL[weekdays[0]]}"
    if len(weekdays) == 2:
        return f"available only on {WEEKDAY_PLURAL[weekdays[0]]} and {WEEKDAY_PLURAL[weekdays[1]]}"
    span = f"{first:%b %-d} to {last:%b %-d}"
    return f"available on {len(index)} days ({', '.join(WEEKDAYS[i].title() for i in weekdays)}, {span})"


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
        self.events = np.zeros((len(self.teams), n_days), dtype=int)  # events per team and day
        for v in visits:
            if v.team_id in tindex:
                day = (v.start_dt.astimezone(zone(v.request.venue.tz)).date() - season.start_date).days
                if 0 <= day < n_days:
                    self.events[tindex[v.team_id], day] += 1
        limit = int(season.effective_rules.get("max_events_per_day", 2))
        self.full = self.events[self.team_idx, self.day_idx] >= limit  # per point: no room that day

    def nearest(self, lats, lons, masks: np.ndarray) -> list[tuple]:
        """For each place: the nearest team position on one of its days, and the nearest with room that day.

        masks: places x season days. Each answer is (closest, closest_with_room), each either None or
        (team, day, road km, events the team has that day).
        """
        if not len(self.lats) or not len(lats):
            return [(None, None)] * len(lats)
        lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        # Choose by a flat-earth distance (a few cheap array operations), then measure the choice properly.
        rad = np.radians
        dlat = rad(lats)[:, None] - rad(self.lats)[None, :]
        dlon = (rad(lons)[:, None] - rad(self.lons)[None, :]) * np.cos(rad(lats))[:, None]
        flat = dlat * dlat + dlon * dlon
        flat[~masks[:, self.day_idx]] = np.inf
        answers = []
        for grid in (flat, np.where(self.full[None, :], np.inf, flat)):
            best = np.argmin(grid, axis=1)
            km = road_km(lats, lons, self.lats[best], self.lons[best])
            found = np.isfinite(grid[np.arange(len(lats)), best])
            answers.append([
                (self.teams[int(self.team_idx[c])], self.season.start_date + dt.timedelta(days=int(self.day_idx[c])),
                 float(k), int(self.events[self.team_idx[c], self.day_idx[c]])) if ok else None
                for c, k, ok in zip(best, km, found)])
        return list(zip(*answers))


FAR_KM = 1500


def _team_near(near, off: set[int]) -> str:
    team, day, km, events = near
    said = f"team {team.name} is within {nice_km(km):,} km on {day:%A %B %-d}"
    if day.weekday() in off:
        return said
    return f"{said} ({'no event' if not events else f'{events} event' + ('s' if events > 1 else '')} that day)"


def suggestion(request: RequestInfo, season: Season, mask: np.ndarray, near, off: set[int]) -> str:
    """What the data says about serving it after all: its days, and the nearest team on one of them."""
    said = describe_days(mask, season)
    if not mask.any() or request.venue.lat is None:
        return said
    weekdays = set(((season.start_date.weekday() + np.flatnonzero(mask)) % 7).tolist())
    if weekdays <= off:
        said += " (rest days of the tour)"
    closest, with_room = near or (None, None)
    if closest is None or closest[2] > FAR_KM:
        return f"{said}; no team comes within {FAR_KM:,} km on those days"
    if closest is with_room or with_room == closest:
        return f"{said}; {_team_near(closest, off)}"
    team, day, km, events = closest
    said = f"{said}; team {team.name} is within {nice_km(km):,} km on {day:%A %B %-d} but has {events} events that day"
    if with_room is not None and with_room[2] <= FAR_KM:
        said += f"; {_team_near(with_room, off)}"
    return said


def unserved_rows(season: Season, unserved: list[Unserved], positions: TeamPositions) -> list[dict]:
    """Each unserved request with its reason in plain words and a suggestion from the plan's data."""
    placed = [u for u in unserved if u.request.venue.lat is not None]
    masks = np.array([available_mask(u.request, season) for u in placed], dtype=bool).reshape(
        len(placed), season.weeks * 7)
    nearest = dict(zip((id(u) for u in placed), positions.nearest(
        [u.request.venue.lat for u in placed], [u.request.venue.lon for u in placed], masks)))
    mask_of = dict(zip((id(u) for u in placed), masks))
    off = days_off(season)
    rows = []
    for u in unserved:
        mask = mask_of.get(id(u))
        rows.append({
            "unserved": u, "request": u.request, "venue": u.request.venue,
            # One reason: the optimizer's own sentence for this request when it gave one (it is the more
            # specific), else the reason in general words; never both (they read as two different reasons).
            "reason": u.detail or REASONS.get(u.reason, u.reason.replace("_", " ")), "code": u.reason,
            "detail": "",
            "suggestion": suggestion(u.request, season, mask if mask is not None else available_mask(u.request, season),
                                     nearest.get(id(u)), off),
        })
    rows.sort(key=lambda r: (-r["request"].priority, -r["request"].audience, r["request"].ref))
    return rows


# --- exports ---------------------------------------------------------------------------------------


def preload_requests(season: Season) -> list[Request]:
    """The season's requests with venue, windows and blackouts in three queries (hold on to the list).

    requests_csv.export_requests reads these one request at a time; loaded here first, its 3,000 lazy
    loads for 1,000 requests become none.
    """
    return list(db.session.scalars(
        select(Request).where(Request.season_id == season.id)
        .options(selectinload(Request.venue), selectinload(Request.windows), selectinload(Request.blackouts))
    ))


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
        writer.writerow(safe_row([
            teams[v.team_id].slug, e.start.date().isoformat(), e.start.strftime("%H:%M"), e.end.strftime("%H:%M"),
            venue.tz, venue.name, venue.city, venue.region, f"{e.drive_km:.1f}", e.drive_minutes,
            night_town(nights.get((v.team_id, e.start.date())), team_visits[v.team_id]),
        ]))
    return out.getvalue()


FERRY_CHECK_IN_MINUTES = 30  # operators ask vehicles to be at the terminal about this early


def ferry_text(visit) -> str:
    """'Ferry Horseshoe Bay - Departure Bay, 1 h 40, sails 10:40' for a drive that crosses; else ''."""
    if not visit.ferry_name:
        return ""
    depart = visit.ferry_depart_dt
    crossing = crossing_at(visit.ferry_name, depart) if depart is not None else None
    hours, minutes = divmod(int(visit.ferry_minutes or 0), 60)
    length = f"{hours} h {minutes:02d}" if hours else f"{minutes} min"
    sails = f", sails {depart.astimezone(ZoneInfo(crossing.a.tz)):%H:%M}" if crossing is not None else ""
    return f"Ferry {visit.ferry_name}, {length}{sails}"


def ferry_dict(visit: Visit) -> dict:
    """{"ferry": {...}} as formats.md section 3 has it, for a visit whose drive crosses on a ferry; else {}."""
    if not visit.ferry_name:
        return {}
    depart = visit.ferry_depart_dt
    crossing = crossing_at(visit.ferry_name, depart) if depart is not None else None
    if crossing is not None:  # the departure in its terminal's own time
        depart = depart.astimezone(ZoneInfo(crossing.a.tz))
    return {"ferry": {"name": visit.ferry_name, "minutes": int(visit.ferry_minutes or 0),
                      "depart": depart.isoformat(timespec="seconds") if depart else None}}


def plan_dict(season: Season, plan: Plan) -> dict:
    """The plan in formats.md section 3, from its rows (so edits made after solving are included)."""
    visits = plan_visits(plan)
    overnights = plan_overnights(plan)
    unserved = plan_unserved(plan, with_windows=False)
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
                **ferry_dict(v),
            } for v in sorted(mine, key=lambda v: v.start_dt)],
            "nights": [{"date": n.day.isoformat(), "lat": n.lat, "lon": n.lon}
                       for n in overnights if n.team_id == team.id],
        })
    stored = json.loads(plan.plan_json) if plan.plan_json else {}
    data = {
        "instance": season.name,
        "status": stored.get("status", "feasible"),
        "solver": plan.solver or stored.get("solver", {}),
        "routes": routes,
        "unserved": [{"request": u.request.ref, "reason": u.reason, "detail": u.detail} for u in unserved],
    }
    audience = {v.request.ref: v.request.audience for v in visits}
    audience.update({u.request.ref: u.request.audience for u in unserved})
    data["kpis"] = plan_kpis(data, audience, len(visits) + len(unserved))
    return data


def plan_kpis(data: dict, audience: dict[str, int], requests: int) -> dict:
    """formats.md section 3 KPIs of a plan dict (they must agree exactly with its routes)."""
    served = [v for r in data["routes"] for v in r["visits"]]
    return {
        "served": len(served),
        "requests": requests,
        "audience": sum(audience.get(v["request"], 0) for v in served),
        "drive_km": round(sum(v["drive_km_before"] for v in served), 1),
        "drive_minutes": sum(v["drive_minutes_before"] for v in served),
    }


def day_sheet(season: Season, plan: Plan, team: Team, date: dt.date) -> dict:
    """What a team does on one day: events with contacts, each drive and when to leave, where to sleep.

    A long relocation is driven over several days: when the team slept on the road, the first drive
    of the day is what is left from last night's place; when it sleeps on the road tonight, the
    sheet says how far it drives on after the last event and where the next event is.
    """
    visits = plan_visits(plan, team.id)
    itinerary = team_itinerary(season, team, visits, plan_overnights(plan, team.id))
    day = next((d for d in itinerary if d.date == date), None)
    if day is None:
        raise NotFound(f"{date} is not a day of season {season.name} ({season.start_date} to {season.end_date})")
    rules = season.effective_rules
    setup, border = int(rules.get("setup_minutes", 30)), int(rules.get("border_crossing_minutes", 60))
    index = itinerary.index(day)
    slept = [d for d in itinerary[:index] if d.night is not None]
    last_night = slept[-1].night if slept else None
    woke_in = slept[-1].night_town if slept else (team.base_name or "the base")
    here = (last_night.lat, last_night.lon) if last_night else (team.base_lat, team.base_lon)
    for n, e in enumerate(day.events):
        e.arrive_by = e.start - dt.timedelta(minutes=setup)
        e.drive_today_km, e.drive_today_minutes = e.drive_km, e.drive_minutes
        if n == 0 and e.drive_minutes:
            e.drive_today_km, e.drive_today_minutes = rest_of_leg(e, leg_start(team, visits, e), here)
        e.leave_by = e.arrive_by - dt.timedelta(minutes=e.drive_today_minutes)
        if n == 0 and e.ferry:
            e.leave_by = _leave_for_ferry(e, here, border) or e.leave_by
    later = [v for v in visits if v.start_dt.astimezone(zone(v.request.venue.tz)).date() > date]
    next_event = local_event(min(later, key=lambda v: v.start_dt)) if later else None
    drive_on = None
    tonight = day.night
    if tonight is not None and next_event is not None:
        last = day.events[-1].venue if day.events else None
        start = (last.lat, last.lon) if last is not None and last.lat is not None else here
        country = next_event.venue.country  # where the night lies is not stored; the border delay is minor here
        minutes, km = leg((*start, country), (tonight.lat, tonight.lon, country), border)
        crossing = next_event.visit.ferry_depart_dt
        sails_today = bool(next_event.ferry) and crossing is not None and crossing.astimezone(
            zone(next_event.venue.tz)).date() == date
        if km > NEAR_TOWN_KM or sails_today:
            drive_on = {"km": km, "minutes": minutes, "toward": next_event,
                        "ferry": next_event.ferry if sails_today else ""}
    return {"day": day, "woke_in": woke_in, "setup_minutes": setup, "drive_on": drive_on,
            "next_event": next_event}


def _leave_for_ferry(event: Event, here, border: int) -> dt.datetime | None:
    """When to leave this morning for a drive that crosses on a ferry today: at the terminal 30 min before
    it sails; None when the crossing was made before today (then the road on from the terminal counts)."""
    visit = event.visit
    crossing = crossing_at(visit.ferry_name, visit.ferry_depart_dt) if visit.ferry_depart_dt else None
    if crossing is None or here[0] is None or visit.ferry_depart_dt < event.start - dt.timedelta(hours=20):
        return None
    minutes, _ = leg((*here, event.venue.country), (crossing.a.lat, crossing.a.lon, event.venue.country), border)
    return (visit.ferry_depart_dt - dt.timedelta(minutes=FERRY_CHECK_IN_MINUTES + minutes)).astimezone(
        event.start.tzinfo)


# --- edits: pins, moves, drops, re-planning ---------------------------------------------------------


class Conflict(RuntimeError):
    """Someone else changed the record since the form was shown: reload, never overwrite."""


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


def check_version(row, posted: str | int | None) -> None:
    """The version the form was shown with must still be the row's version."""
    try:
        posted = int(posted)
    except (TypeError, ValueError):
        raise Conflict("the form carried no version; reload the page and try again") from None
    if posted != row.version:
        raise Conflict(f"{type(row).__name__.lower()} was changed by someone else; reload the page")


def visit_in(plan: Plan, visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.plan_id != plan.id or visit.cancelled:
        raise NotFound(f"plan v{plan.number} has no visit {visit_id}")
    return visit


def commit_or_conflict() -> None:
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("the record was changed by someone else while saving; reload the page") from None


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
    full["kpis"] = plan_kpis(full, audience, full["kpis"]["requests"])
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
        from .optimize.model import country_of_zone

        team = next(t for t in instance.teams if t.id == ref_or_team)
        return team.start.lat, team.start.lon, country_of_zone(team.start.tz)
    r = instance.request(ref_or_team)
    return r.lat, r.lon, r.country


def leg_start(team: Team, visits: list[Visit], event: Event) -> tuple[float, float] | None:
    """Where the drive to an event began: the team's previous venue, else its base."""
    before = [v for v in visits if v.start_dt < event.visit.start_dt and v.request.venue.lat is not None]
    if before:
        venue = max(before, key=lambda v: v.start_dt).request.venue
        return venue.lat, venue.lon
    return (team.base_lat, team.base_lon) if team.base_lat is not None else None


def rest_of_leg(event: Event, start, woke_at) -> tuple[float, int]:
    """(km, minutes) of an event's drive that is left on its day.

    When the team slept where the leg began (or at a venue on the way), it drives the whole leg today.
    When it slept on the road, part of the leg was driven the evening before: what is left is the stored
    leg in the proportion the travel model gives for the remaining stretch, so that a leg from a road
    matrix keeps its own scale.
    """
    venue = event.venue
    if start is None or venue.lat is None or woke_at[0] is None:
        return event.drive_km, event.drive_minutes
    if float(great_circle_km(*start, *woke_at)) <= NEAR_TOWN_KM:
        return event.drive_km, event.drive_minutes
    if float(great_circle_km(*woke_at, venue.lat, venue.lon)) <= 2:  # slept at the venue
        return 0.0, 0
    whole, _ = leg((*start, venue.country), (venue.lat, venue.lon, venue.country), 0)
    left, _ = leg((*woke_at, venue.country), (venue.lat, venue.lon, venue.country), 0)
    share = min(1.0, left / whole) if whole else 1.0  # a road-matrix leg between two points the model puts together
    return round(event.drive_km * share, 1), round(event.drive_minutes * share)


def leg(a, b, border_minutes: int) -> tuple[int, float]:
    """(driving minutes, road km) of one drive by the optimizer's travel model (a ferry's crossing excluded)."""
    travel = travel_matrix([a[0], b[0]], [a[1], b[1]], [a[2], b[2]], border_minutes=border_minutes)
    return travel.road_minutes(0, 1), float(travel.km[0, 1])


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
    from .optimize.solve import route_schedule

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


def _kpis(data: dict, instance) -> dict:
    return plan_kpis(data, {r.id: r.audience for r in instance.requests}, len(instance.requests))


def _check(instance, data: dict) -> list:
    from .optimize import Plan as OptPlan
    from .optimize import check

    for_check = json.loads(json.dumps(data))
    for u in for_check.get("unserved", []):  # the checker knows the optimizer's reasons only
        if u["reason"] == "dropped_by_coordinator":
            u["reason"] = "dropped_for_value"
    return list(check(instance, OptPlan.from_dict(for_check)))


def _edit_instance(season: Season, team_slugs: set[str], refs: set[str], except_ref: str):
    """The instance of the touched teams and their requests, by planning's own builders.

    Every rule the checker applies is a rule of one route (plus "each request once", which the
    touched routes contain), so checking the touched routes alone gives the same verdict as the
    whole season, at a fraction of the cost. The edited request's own pin is lifted (it is moving).
    """
    from . import planning

    rules = season.effective_rules
    rows = db.session.scalars(
        select(Request).where(Request.season_id == season.id, Request.ref.in_(refs),
                              Request.status.in_(planning.PLANNABLE_STATUSES))
        .options(selectinload(Request.venue), selectinload(Request.windows), selectinload(Request.blackouts),
                 selectinload(Request.refused_dates), selectinload(Request.pinned_team)).order_by(Request.ref)
    ).all()
    requests = [planning.request_dict(r, season, season.start_date, season.end_date, rules) for r in rows]
    for r in requests:
        if r["id"] == except_ref:
            r["team"], r["fixed_start"] = None, None
    data = {"name": season.name, "start_date": season.start_date.isoformat(), "days": 7 * season.weeks,
            "rules": rules, "teams": [planning.team_dict(t) for t in season.teams if t.slug in team_slugs],
            "requests": requests}
    return planning.build_instance(season, data)


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
    before["kpis"] = _kpis(before, instance)
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
    after["kpis"] = _kpis(after, instance)
    old = {_violation_key(v) for v in _check(instance, before)}
    new = [v for v in _check(instance, after) if _violation_key(v) not in old]
    if new:
        raise EditRefused("the change was refused; nothing was saved", [plain_reason(v) for v in new])
    audience = {r.id: r.audience for r in instance.requests}
    audience.update({v.request.ref: v.request.audience for v in plan_visits(plan)})
    full["routes"] = [edited.get(r["team"], r) for r in full["routes"]]
    full["unserved"] += dropped
    full["kpis"] = plan_kpis(full, audience, full["kpis"]["requests"])
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


def start_replan(season: Season, plan: Plan, from_date: dt.date, *, time_limit_s: int = 4, seed: int = 1,
                 enqueue: bool = True):
    """Pin every visit before from_date (pins already set stay), then queue a re-plan from this version.

    The solve runs as a background job (jobs.submit_job with previous_plan_id): the optimizer starts from
    this plan and keeps what still fits. Returns the Job; the same input twice gives the same plan.
    """
    from . import jobs

    if not season.start_date <= from_date <= season.end_date:
        raise EditRefused(f"{from_date} is outside the tour ({season.start_date} to {season.end_date})")
    for v in plan_visit_rows(plan):
        if v.start_dt.astimezone(zone(v.request.venue.tz)).date() < from_date:
            v.request.pinned_team_id = v.team_id
            v.request.fixed_start_dt = v.start_dt
            v.locked = True
    commit_or_conflict()
    params = jobs.job_params(time_limit_s=time_limit_s, seed=seed, previous_plan_id=plan.id)
    return jobs.submit_job(season, params, enqueue=enqueue)


def copy_plan(season: Season, plan: Plan) -> Plan:
    """A new draft version with the same visits, so a published plan can be edited without touching it."""
    import hashlib

    from . import planning

    data = plan_dict(season, plan)
    dropped = [u for u in data["unserved"] if u["reason"] == "dropped_by_coordinator"]
    data["unserved"] = [u for u in data["unserved"] if u["reason"] != "dropped_by_coordinator"]
    instance_data = planning.instance_dict(season)
    instance_data["requests"] = [r for r in instance_data["requests"] if r["id"] not in {u["request"] for u in dropped}]
    digest = hashlib.sha256(f"copy of plan {plan.id} at {now_utc().isoformat()}".encode()).hexdigest()
    instance = planning.build_instance(season, instance_data)
    data = _only_known(data, instance)
    data["kpis"] = _kpis(data, instance)
    row = planning.save_plan(season, data, params={"copy_of": plan.number}, instance=instance, previous=plan,
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
