"""The car ferries of the offline travel model (data/ferries.json): terminals, crossing minutes, sailings.

A leg between two lands (lands.py) crosses on one of these; a leg on one land may take one as a shortcut
(Saint John - Digby) when that is quicker than the road. Ferry minutes are clock time, not driving time.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from .calendar import WEEKDAYS

DATA = Path(__file__).resolve().parent / "data" / "ferries.json"


@dataclass(frozen=True)
class Terminal:
    name: str
    lat: float
    lon: float
    tz: str
    land: str


@dataclass(frozen=True)
class Crossing:
    """One direction of a ferry route: from terminal `a` to terminal `b`."""

    name: str           # the route's name, as the plan and the day sheet show it
    a: Terminal
    b: Terminal
    minutes: int
    departures: tuple[int, ...]   # minutes after local midnight at `a`
    days: frozenset[str]          # weekdays it sails
    months: frozenset[int]        # months it sails
    overnight: bool               # may run through the night (the team sleeps aboard)

    def sails_on(self, day: dt.date) -> bool:
        return WEEKDAYS[day.weekday()] in self.days and day.month in self.months

    def departures_on(self, day: dt.date) -> list[dt.datetime]:
        """UTC departures on a local date at terminal `a`."""
        if not self.sails_on(day):
            return []
        zone, base = ZoneInfo(self.a.tz), dt.datetime.combine(day, dt.time())
        return [(base + dt.timedelta(minutes=m)).replace(tzinfo=zone).astimezone(dt.timezone.utc)
                for m in self.departures]


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


@lru_cache(maxsize=1)
def crossings() -> tuple[Crossing, ...]:
    """Both directions of every route in data/ferries.json."""
    out = []
    for route in json.loads(DATA.read_text(encoding="utf-8"))["routes"]:
        a, b = (Terminal(name=route[k]["terminal"], lat=route[k]["lat"], lon=route[k]["lon"], tz=route[k]["tz"],
                         land=route[k]["land"]) for k in ("a", "b"))
        days = frozenset(route.get("days", WEEKDAYS))
        months = frozenset(route.get("months", range(1, 13)))
        for x, y, key in ((a, b, "departures_ab"), (b, a, "departures_ba")):
            out.append(Crossing(name=route["name"], a=x, b=y, minutes=int(route["minutes"]),
                                departures=tuple(sorted(_minutes(t) for t in route[key])), days=days,
                                months=months, overnight=bool(route.get("overnight", False))))
    return tuple(out)


def crossing_named(name: str, from_land: str | None = None) -> list[Crossing]:
    """The crossings of a route by its name (both directions unless `from_land` picks one)."""
    return [c for c in crossings() if c.name == name and (from_land is None or c.a.land == from_land)]


def crossing_at(name: str, depart: dt.datetime) -> Crossing | None:
    """The direction of route `name` that has a sailing at `depart` (an aware datetime), if any."""
    for c in crossing_named(name):
        if depart in c.departures_on(depart.astimezone(ZoneInfo(c.a.tz)).date()):
            return c
    return None
