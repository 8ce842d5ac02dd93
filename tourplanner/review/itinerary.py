"""What a plan means for a team, day by day: events in local time, nights, the week grid, KPIs, day sheets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..models import Overnight, Plan, Request, Season, Team, Visit
from ..optimize.calendar import WEEKDAYS
from ..optimize.ferries import crossing_at
from ..optimize.plan import visit_kpis
from ..optimize.travel import great_circle_km, travel_matrix
from ..zones import zone
from .readmodel import NotFound, plan_overnights, plan_visits

NEAR_TOWN_KM = 30.0


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
    """The plan's headline figures, recomputed from its rows (cancelled visits left out), whole and per team."""
    by_team = defaultdict(list)
    regions = set()
    for v in visits:
        by_team[v.team_id].append(v)
        venue = v.request.venue
        if venue.region:
            regions.add((venue.country, venue.region))
    total = visit_kpis(visits, len(visits) + unserved_count, _audience)
    teams = []
    for t in season.teams:
        row = visit_kpis(by_team[t.id], 0, _audience)
        teams.append({"team": t, "events": row["served"], "audience": row["audience"], "drive_km": row["drive_km"],
                      "drive_minutes": row["drive_minutes"], "drive_hours": row["drive_minutes"] / 60})
    served = total["served"]
    return {
        "served": served,
        "requests": total["requests"],
        "audience": total["audience"],
        "drive_km": total["drive_km"],
        "drive_hours": total["drive_minutes"] / 60,
        "km_per_event": (total["drive_km"] / served) if served else 0.0,
        "teams": teams,
        "regions": sorted(regions),
        "states": sorted(r for c, r in regions if c == "US"),
        "provinces": sorted(r for c, r in regions if c == "CA"),
    }


def _audience(request) -> int:
    return request.audience


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


FERRY_CHECK_IN_MINUTES = 30  # operators ask vehicles to be at the terminal about this early


def ferry_text(visit) -> str:
    """'Ferry Horseshoe Bay - Departure Bay, 1 h 40, sails 10:40' for a drive that crosses; else ''."""
    if not visit.ferry_name:
        return ""
    depart = visit.ferry_depart_dt
    crossing = crossing_at(visit.ferry_name, depart) if depart is not None else None
    hours, minutes = divmod(int(visit.ferry_minutes or 0), 60)
    length = f"{hours} h {minutes:02d}" if hours else f"{minutes} min"
    sails = f", sails {depart.astimezone(zone(crossing.a.tz)):%H:%M}" if crossing is not None else ""
    return f"Ferry {visit.ferry_name}, {length}{sails}"


def ferry_dict(visit: Visit) -> dict:
    """{"ferry": {...}} as formats.md section 3 has it, for a visit whose drive crosses on a ferry; else {}."""
    if not visit.ferry_name:
        return {}
    depart = visit.ferry_depart_dt
    crossing = crossing_at(visit.ferry_name, depart) if depart is not None else None
    if crossing is not None:  # the departure in its terminal's own time
        depart = depart.astimezone(zone(crossing.a.tz))
    return {"ferry": {"name": visit.ferry_name, "minutes": int(visit.ferry_minutes or 0),
                      "depart": depart.isoformat(timespec="seconds") if depart else None}}


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
