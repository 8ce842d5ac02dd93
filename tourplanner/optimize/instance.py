"""Tour instance (formats.md section 2): frozen dataclasses that read and write the JSON exactly."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendar import WEEKDAYS, holiday_dates, years_between
from .errors import InstanceError

# Objective weights (optional season rules). A served request is worth
#   audience_weight * audience + priority_weight * priority ** 2
# and every driven km costs km_weight. With the defaults a 100-person event with priority 3 is worth
# 100 + 50*9 = 550 "points", so the tour drives up to ~5,500 km extra for it (km_weight 0.1): value
# decides what is served, driving decides the order and the team. On top, the solver charges the
# team-time a drive takes when the season has fewer event slots than requests (solve.py). Priority 5
# and fixed-start pins are always served first when feasible.
DEFAULT_WEIGHTS = {"audience_weight": 1.0, "priority_weight": 50.0, "km_weight": 0.1}


def _hhmm(value, what):
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        raise InstanceError(f"{what}: expected HH:MM, got {value!r}")
    h, m = int(value[:2]), int(value[3:])
    if h > 24 or m > 59 or (h == 24 and m):
        raise InstanceError(f"{what}: not a time of day: {value!r}")
    return h * 60 + m


def _zone(name, what):
    try:
        if not isinstance(name, str) or not name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InstanceError(f"{what}: unknown time zone {name!r}") from None


def _local(value, what):
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InstanceError(f"{what}: expected a local date-time like 2027-02-03T09:00, got {value!r}") from None
    if when.tzinfo is not None:
        raise InstanceError(f"{what}: give local wall-clock time without a UTC offset, got {value!r}")
    return when


def _number(d, key, what, *, kind=float, default=None, minimum=None):
    value = d.get(key, default)
    if value is None and default is None and key not in d:
        raise InstanceError(f"{what}: missing {key!r}")
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        value = kind(value)
        if kind is float and not math.isfinite(value):
            raise ValueError
    except (TypeError, ValueError):
        raise InstanceError(f"{what}: {key!r} must be a number, got {d.get(key)!r}") from None
    if minimum is not None and value < minimum:
        raise InstanceError(f"{what}: {key!r} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Rules:
    """Season rules shared by every team (formats.md section 2, `rules`)."""

    day_start: str = "07:00"
    day_end: str = "22:00"
    max_drive_minutes_per_day: int = 480
    days_off: tuple[str, ...] = ("sun",)
    max_events_per_day: int = 2
    setup_minutes: int = 30
    teardown_minutes: int = 15
    default_duration_minutes: int = 90
    border_crossing_minutes: int = 60
    holidays: bool = True
    audience_weight: float | None = None
    priority_weight: float | None = None
    km_weight: float | None = None

    @property
    def day_start_min(self) -> int:
        return _hhmm(self.day_start, "rules.day_start")

    @property
    def day_end_min(self) -> int:
        return _hhmm(self.day_end, "rules.day_end")

    def weight(self, name: str) -> float:
        """An objective weight: the season's value, or the documented default."""
        value = getattr(self, name)
        return DEFAULT_WEIGHTS[name] if value is None else value

    @classmethod
    def from_dict(cls, d: dict) -> "Rules":
        if not isinstance(d, dict):
            raise InstanceError("rules: expected an object")
        what = "rules"
        base = cls()
        days_off = d.get("days_off", list(base.days_off))
        if not isinstance(days_off, list) or any(x not in WEEKDAYS for x in days_off):
            raise InstanceError(f"rules.days_off: expected weekdays among {', '.join(WEEKDAYS)}, got {days_off!r}")
        rules = cls(
            day_start=d.get("day_start", base.day_start),
            day_end=d.get("day_end", base.day_end),
            max_drive_minutes_per_day=_number(d, "max_drive_minutes_per_day", what, kind=int,
                                              default=base.max_drive_minutes_per_day, minimum=0),
            days_off=tuple(days_off),
            max_events_per_day=_number(d, "max_events_per_day", what, kind=int,
                                       default=base.max_events_per_day, minimum=0),
            setup_minutes=_number(d, "setup_minutes", what, kind=int, default=base.setup_minutes, minimum=0),
            teardown_minutes=_number(d, "teardown_minutes", what, kind=int, default=base.teardown_minutes,
                                     minimum=0),
            default_duration_minutes=_number(d, "default_duration_minutes", what, kind=int,
                                             default=base.default_duration_minutes, minimum=1),
            border_crossing_minutes=_number(d, "border_crossing_minutes", what, kind=int,
                                            default=base.border_crossing_minutes, minimum=0),
            holidays=bool(d.get("holidays", base.holidays)),
            **{k: _number(d, k, what, minimum=0) if d.get(k) is not None else None for k in DEFAULT_WEIGHTS},
        )
        if rules.day_end_min <= rules.day_start_min:
            raise InstanceError(f"rules: day_end {rules.day_end} must be after day_start {rules.day_start}")
        return rules

    def to_dict(self) -> dict:
        d = {
            "day_start": self.day_start, "day_end": self.day_end,
            "max_drive_minutes_per_day": self.max_drive_minutes_per_day, "days_off": list(self.days_off),
            "max_events_per_day": self.max_events_per_day, "setup_minutes": self.setup_minutes,
            "teardown_minutes": self.teardown_minutes, "default_duration_minutes": self.default_duration_minutes,
            "border_crossing_minutes": self.border_crossing_minutes, "holidays": self.holidays,
        }
        d.update({k: getattr(self, k) for k in DEFAULT_WEIGHTS if getattr(self, k) is not None})
        return d


@dataclass(frozen=True)
class Place:
    """A point where a team starts or ends the tour."""

    lat: float
    lon: float
    tz: str

    @classmethod
    def from_dict(cls, d, what) -> "Place":
        if not isinstance(d, dict):
            raise InstanceError(f"{what}: expected an object with lat, lon, tz")
        place = cls(lat=_number(d, "lat", what), lon=_number(d, "lon", what), tz=d.get("tz"))
        _zone(place.tz, what)
        if not (-90 <= place.lat <= 90 and -180 <= place.lon <= 180):
            raise InstanceError(f"{what}: lat/lon out of range ({place.lat}, {place.lon})")
        return place

    def to_dict(self) -> dict:
        return {"lat": self.lat, "lon": self.lon, "tz": self.tz}


@dataclass(frozen=True)
class Team:
    """One van of Nomads: one route over the whole season."""

    id: str
    name: str
    start: Place
    end: Place | None = None

    @classmethod
    def from_dict(cls, d) -> "Team":
        if not isinstance(d, dict) or not isinstance(d.get("id"), str) or not d["id"]:
            raise InstanceError(f"team: every team needs a string id, got {d!r}")
        what = f"team {d['id']}"
        end = d.get("end")
        return cls(id=d["id"], name=str(d.get("name") or d["id"]), start=Place.from_dict(d.get("start"), f"{what} start"),
                   end=None if end is None else Place.from_dict(end, f"{what} end"))

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "start": self.start.to_dict(),
                "end": None if self.end is None else self.end.to_dict()}


@dataclass(frozen=True)
class Window:
    """A local wall-clock interval (venue's zone) when the venue can host the event."""

    start: str
    end: str

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class Request:
    """A venue's request for a screening."""

    id: str
    name: str
    type: str
    lat: float
    lon: float
    tz: str
    country: str
    region: str
    audience: int
    duration_minutes: int | None
    priority: int
    windows: tuple[Window, ...]
    team: str | None = None
    fixed_start: str | None = None

    def duration(self, rules: Rules) -> int:
        return self.duration_minutes or rules.default_duration_minutes

    @classmethod
    def from_dict(cls, d: dict) -> "Request":
        if not isinstance(d, dict) or not isinstance(d.get("id"), str) or not d["id"]:
            raise InstanceError(f"request: every request needs a string id, got {d!r}")
        what = f"request {d['id']}"
        _zone(d.get("tz"), what)
        windows = d.get("windows", [])
        if not isinstance(windows, list):
            raise InstanceError(f"{what}: windows must be a list")
        parsed = []
        for i, w in enumerate(windows):
            if not isinstance(w, dict):
                raise InstanceError(f"{what}: window {i + 1} must be an object with start and end")
            start, end = _local(w.get("start"), f"{what} window {i + 1} start"), _local(w.get("end"), f"{what} window {i + 1} end")
            if end <= start:
                raise InstanceError(f"{what}: window {i + 1} ends ({w['end']}) before it starts ({w['start']})")
            parsed.append(Window(start=w["start"], end=w["end"]))
        if d.get("fixed_start") is not None:
            _local(d["fixed_start"], f"{what} fixed_start")
        country = d.get("country")
        if country not in ("US", "CA") and not (isinstance(country, str) and len(country) == 2):
            raise InstanceError(f"{what}: country must be a two-letter code, got {country!r}")
        duration = d.get("duration_minutes")
        req = cls(
            id=d["id"], name=str(d.get("name") or d["id"]), type=str(d.get("type") or ""),
            lat=_number(d, "lat", what), lon=_number(d, "lon", what), tz=d["tz"], country=country,
            region=str(d.get("region") or ""),
            audience=_number(d, "audience", what, kind=int, default=0, minimum=0),
            duration_minutes=None if duration is None else _number(d, "duration_minutes", what, kind=int, minimum=1),
            priority=_number(d, "priority", what, kind=int, default=3, minimum=1),
            windows=tuple(parsed), team=d.get("team"), fixed_start=d.get("fixed_start"),
        )
        if req.priority > 5:
            raise InstanceError(f"{what}: priority must be 1..5, got {req.priority}")
        if not (-90 <= req.lat <= 90 and -180 <= req.lon <= 180):
            raise InstanceError(f"{what}: lat/lon out of range ({req.lat}, {req.lon})")
        return req

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "type": self.type, "lat": self.lat, "lon": self.lon, "tz": self.tz,
            "country": self.country, "region": self.region, "audience": self.audience,
            "duration_minutes": self.duration_minutes, "priority": self.priority,
            "windows": [w.to_dict() for w in self.windows], "team": self.team, "fixed_start": self.fixed_start,
        }


@dataclass(frozen=True)
class Instance:
    """Everything the optimizer needs, with nothing from the database."""

    name: str
    start_date: dt.date
    days: int
    rules: Rules
    teams: tuple[Team, ...]
    requests: tuple[Request, ...]
    request_index: dict = field(default=None, compare=False, repr=False, hash=False)  # request id -> position

    @property
    def end_date(self) -> dt.date:
        """The day after the last tour day."""
        return self.start_date + dt.timedelta(days=self.days)

    @property
    def years(self) -> tuple[int, ...]:
        """The calendar years the season touches (its public holidays come from these)."""
        return years_between(self.start_date, self.end_date)

    def __post_init__(self):
        object.__setattr__(self, "request_index", {r.id: i for i, r in enumerate(self.requests)})

    def request(self, ref: str) -> Request:
        return self.requests[self.request_index[ref]]

    @classmethod
    def from_dict(cls, d: dict) -> "Instance":
        if not isinstance(d, dict):
            raise InstanceError("instance: expected a JSON object")
        try:
            start_date = dt.date.fromisoformat(d.get("start_date"))
        except (TypeError, ValueError):
            raise InstanceError(f"instance: start_date must be YYYY-MM-DD, got {d.get('start_date')!r}") from None
        days = _number(d, "days", "instance", kind=int, minimum=1)
        rules = Rules.from_dict(d.get("rules") or {})
        teams = tuple(Team.from_dict(t) for t in d.get("teams") or [])
        if not teams:
            raise InstanceError("instance: at least one team is needed")
        team_ids = [t.id for t in teams]
        if len(set(team_ids)) != len(team_ids):
            raise InstanceError(f"instance: duplicate team id {next(t for t in team_ids if team_ids.count(t) > 1)!r}")
        requests = tuple(Request.from_dict(r) for r in d.get("requests") or [])
        seen = set()
        first, last = dt.datetime.combine(start_date, dt.time()), dt.datetime.combine(
            start_date + dt.timedelta(days=days), dt.time())
        for r in requests:
            if r.id in seen:
                raise InstanceError(f"request {r.id}: duplicate request id")
            seen.add(r.id)
            if r.team is not None and r.team not in team_ids:
                raise InstanceError(f"request {r.id}: pinned to unknown team {r.team!r} (teams: {', '.join(team_ids)})")
            for i, w in enumerate(r.windows):
                if dt.datetime.fromisoformat(w.end) <= first or dt.datetime.fromisoformat(w.start) >= last:
                    raise InstanceError(
                        f"request {r.id}: window {i + 1} ({w.start} to {w.end}) lies outside the season "
                        f"({start_date} to {start_date + dt.timedelta(days=days - 1)})")
        if rules.holidays:
            for r in requests:
                try:
                    holiday_dates(r.country, r.region, years_between(start_date, start_date + dt.timedelta(days=days)))
                except InstanceError as exc:
                    raise InstanceError(f"request {r.id}: {exc}") from None
        return cls(name=str(d.get("name") or ""), start_date=start_date, days=days, rules=rules, teams=teams,
                   requests=requests)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "start_date": self.start_date.isoformat(), "days": self.days,
            "rules": self.rules.to_dict(), "teams": [t.to_dict() for t in self.teams],
            "requests": [r.to_dict() for r in self.requests],
        }
