"""The one travel-time model: great-circle km x circuity, a distance-dependent speed, a border delay.

Solver and checker both call `travel_matrix`. A road matrix from a routing engine can replace the model:
pass `RoadMatrix(ids, minutes, km)` whose ids are request ids and `start:<team>` / `end:<team>`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6371.0088
# Fitted by bench/travel_calibration.py (README "Road times"): circuity on 1949 Rand McNally mileages
# (Knuth's Stanford GraphBase) and current route figures together, cruise speed on current route times.
CIRCUITY = 1.18          # road km per great-circle km
CRUISE_KMH = 108.0       # long-leg average of a no-traffic route time (breaks are planned separately)
TOWN_KMH = 40.0          # short hops through town
SPEED_SCALE_KM = 40.0    # speed approaches cruise after a few tens of km


@dataclass(frozen=True)
class RoadMatrix:
    """A precomputed matrix (minutes, km) over named points, e.g. from OSRM/Valhalla."""

    ids: tuple[str, ...]
    minutes: np.ndarray
    km: np.ndarray

    @classmethod
    def from_dict(cls, d: dict) -> "RoadMatrix":
        return cls(ids=tuple(d["ids"]), minutes=np.asarray(d["minutes"], dtype=float),
                   km=np.asarray(d["km"], dtype=float))

    def to_dict(self) -> dict:
        return {"ids": list(self.ids), "minutes": self.minutes.tolist(), "km": self.km.tolist()}


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance, broadcasting over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def drive_minutes_for_km(road_km):
    """Minutes for a road distance: slow in town, cruise speed on long legs."""
    road_km = np.asarray(road_km, dtype=float)
    speed = CRUISE_KMH - (CRUISE_KMH - TOWN_KMH) * np.exp(-road_km / SPEED_SCALE_KM)
    return road_km / speed * 60.0


def travel_matrix(lats, lons, countries, *, border_minutes: int, road: RoadMatrix | None = None, ids=None):
    """All pairs at once: (minutes as int64, rounded up; km rounded to 0.1) for the given points.

    With `road`, minutes and km come from that matrix (by `ids`); the border delay is added either way
    because routing engines do not know the queue at the crossing.
    """
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    countries = np.asarray(countries)
    if road is None:
        km = great_circle_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :]) * CIRCUITY
        minutes = drive_minutes_for_km(km)
    else:
        pos = {ref: i for i, ref in enumerate(road.ids)}
        missing = [ref for ref in ids if ref not in pos]
        if missing:
            raise ValueError(f"road matrix lacks points: {', '.join(missing[:5])}")
        sel = np.array([pos[ref] for ref in ids], dtype=int)
        km, minutes = road.km[np.ix_(sel, sel)], road.minutes[np.ix_(sel, sel)]
    minutes = np.ceil(minutes - 1e-9).astype(np.int64)
    _, country = np.unique(countries, return_inverse=True)  # small ints compare faster than strings
    minutes += (country[:, None] != country[None, :]) * np.int64(border_minutes)
    np.fill_diagonal(minutes, 0)
    km = np.round(km, 1)
    np.fill_diagonal(km, 0.0)
    return minutes, km
