"""Unserved requests and what could be done about them: the days a venue allows and the nearest team then."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np

from ..models import Overnight, Season, Visit
from ..optimize.plan import UNSERVED_REASONS
from ..optimize.travel import CIRCUITY, great_circle_km
from .itinerary import WEEKDAYS, days_off
from ..zones import zone
from .readmodel import RequestInfo, Unserved

WEEKDAY_PLURAL = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
REASONS = {  # the optimizer's own words for its reasons, and the one reason only a coordinator gives
    **UNSERVED_REASONS,
    "dropped_by_coordinator": "dropped from the plan by a coordinator",
}


def road_km(lats, lons, to_lats, to_lons) -> np.ndarray:
    """Road km between points (numpy broadcasting), by the optimizer's travel model."""
    return great_circle_km(lats, lons, to_lats, to_lons) * CIRCUITY


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
