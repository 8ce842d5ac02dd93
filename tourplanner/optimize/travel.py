"""The one travel model: road km and minutes on each land, car ferries between lands, nothing over water.

Road: great-circle km x circuity, a distance-dependent speed, a border delay. Lands (lands.py): the
road-connected mainland (with its bridged islands), islands reached only by car ferry, and places no
road or car ferry reaches. A leg between two lands crosses on the car ferry (ferries.py) that makes it
shortest (road + crossing + half the mean wait for a sailing); a leg on one land takes a ferry only where
that beats the road (Saint John - Digby). A leg that would need two ferries, or reach a no-road place, is
UNREACHABLE: the team has to drive through the mainland with a visit in between.

A road matrix from a routing engine (OSRM, Valhalla) can replace the road part: pass
`RoadMatrix(ids, minutes, km)` whose ids are request ids and `start:<team>` / `end:<team>`; the engine's
own ferries are then in its minutes, and only no-road places are cut off here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ferries import Crossing, crossings
from .lands import Land, lands_of

EARTH_RADIUS_KM = 6371.0088
# Fitted by bench/travel_calibration.py (docs/travel.md): circuity on 1949 Rand McNally mileages
# (Knuth's Stanford GraphBase) and current route figures together, cruise speed on current route times.
CIRCUITY = 1.18          # road km per great-circle km
CRUISE_KMH = 108.0       # long-leg average of a no-traffic route time (breaks are planned separately)
TOWN_KMH = 40.0          # short hops through town
SPEED_SCALE_KM = 40.0    # speed approaches cruise after a few tens of km
UNREACHABLE = 10 ** 7    # minutes of a leg no road or single car ferry allows: longer than any season
UNREACHABLE_KM = 10.0 ** 6


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


@dataclass(frozen=True)
class FerryLeg:
    """A leg that crosses on a ferry: road to the terminal, the crossing, road on from the other terminal."""

    crossing: Crossing
    pre_minutes: int     # road minutes to the departure terminal (with the border delay of the leg, if any)
    pre_km: float
    post_minutes: int    # road minutes from the arrival terminal
    post_km: float

    @property
    def road_minutes(self) -> int:
        return self.pre_minutes + self.post_minutes

    @property
    def road_km(self) -> float:
        return round(self.pre_km + self.post_km, 1)


@dataclass
class Travel:
    """All pairs of points: minutes (road + crossing, UNREACHABLE where none), road km, the ferry legs."""

    minutes: np.ndarray          # int64; a ferry leg's crossing minutes included, its wait not
    km: np.ndarray               # road km only, rounded to 0.1
    lands: list[Land]
    ferry_of: np.ndarray         # int16 index into `crossing_list`, -1 where the leg is all road
    pre: dict                    # crossing index -> (minutes, km) arrays from every point to its terminal
    post: dict                   # crossing index -> (minutes, km) arrays from its terminal to every point
    border: np.ndarray           # the border delay of each pair (0 or the season's border minutes)
    driving: np.ndarray          # road minutes only (what the daily cap counts): `minutes` less the crossings
    crossing_list: tuple[Crossing, ...] = ()

    def ferry_leg(self, i: int, j: int) -> FerryLeg | None:
        c = int(self.ferry_of[i, j])
        if c < 0:
            return None
        return FerryLeg(crossing=self.crossing_list[c], pre_minutes=int(self.pre[c][0][i] + self.border[i, j]),
                        pre_km=float(self.pre[c][1][i]), post_minutes=int(self.post[c][0][j]),
                        post_km=float(self.post[c][1][j]))

    def road_minutes(self, i: int, j: int) -> int:
        """Driving minutes of a leg (what the daily cap counts)."""
        return int(self.driving[i, j])


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


def road_leg(lat1, lon1, lat2, lon2):
    """Road (minutes rounded up, km rounded to 0.1) between points on one land, broadcasting."""
    km = great_circle_km(lat1, lon1, lat2, lon2) * CIRCUITY
    return np.ceil(drive_minutes_for_km(km) - 1e-9).astype(np.int64), np.round(km, 1)


def _mean_wait(c: Crossing) -> float:
    """Half the mean gap between sailings (a day's departures spread over 24 h): how a ferry is ranked."""
    return 720.0 / max(1, len(c.departures)) * 7 / max(1, len(c.days))


def travel_matrix(lats, lons, countries, *, border_minutes: int, road: RoadMatrix | None = None,
                  ids=None) -> Travel:
    """All pairs at once. With `road`, road minutes and km come from that matrix (by `ids`); the border
    delay is added either way because routing engines do not know the queue at the crossing."""
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    n = len(lats)
    countries = np.asarray(countries)
    _, country = np.unique(countries, return_inverse=True)  # small ints compare faster than strings
    border = ((country[:, None] != country[None, :]) * np.int64(border_minutes)).astype(np.int64)
    lands = lands_of(lats, lons)
    keys = np.array([land.key for land in lands])
    cut = np.array([land.kind == "no_road" for land in lands], dtype=bool)
    all_crossings = crossings()
    ferry_of = np.full((n, n), -1, dtype=np.int16)
    pre, post = {}, {}
    if road is None:
        minutes, km = road_leg(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
        minutes = minutes + border
        other_land = keys[:, None] != keys[None, :]
        minutes[other_land] = UNREACHABLE
        km[other_land] = UNREACHABLE_KM
        score = minutes.astype(float)
        for ci, c in enumerate(all_crossings):
            rows, cols = np.flatnonzero(keys == c.a.land), np.flatnonzero(keys == c.b.land)
            rows, cols = rows[~cut[rows]], cols[~cut[cols]]
            if not rows.size or not cols.size:
                continue
            pre[ci] = road_leg(lats, lons, c.a.lat, c.a.lon)
            post[ci] = road_leg(c.b.lat, c.b.lon, lats, lons)
            if c.a.land == c.b.land:
                # a shortcut can only beat the road from a point nearer its departure terminal than its arrival
                # one, to a point nearer the arrival terminal (road minutes are subadditive: great-circle km,
                # and a speed that grows with distance)
                to_b, from_a = road_leg(lats, lons, c.b.lat, c.b.lon)[0], road_leg(c.a.lat, c.a.lon, lats, lons)[0]
                rows = rows[pre[ci][0][rows] < to_b[rows]]
                cols = cols[post[ci][0][cols] < from_a[cols]]
                if not rows.size or not cols.size:
                    continue
            cell = np.ix_(rows, cols)
            total = pre[ci][0][rows][:, None] + c.minutes + post[ci][0][cols][None, :] + border[cell]
            better = total + _mean_wait(c) < score[cell]
            if not better.any():
                continue
            sub_min, sub_km, sub_score, sub_ferry = minutes[cell], km[cell], score[cell], ferry_of[cell]
            sub_min[better] = total[better]
            sub_km[better] = np.round(pre[ci][1][rows][:, None] + post[ci][1][cols][None, :], 1)[better]
            sub_score[better] = (total + _mean_wait(c))[better]
            sub_ferry[better] = ci
            minutes[cell], km[cell], score[cell], ferry_of[cell] = sub_min, sub_km, sub_score, sub_ferry
    else:
        pos = {ref: i for i, ref in enumerate(road.ids)}
        missing = [ref for ref in ids if ref not in pos]
        if missing:
            raise ValueError(f"road matrix lacks points: {', '.join(missing[:5])}")
        sel = np.array([pos[ref] for ref in ids], dtype=int)
        km, minutes = road.km[np.ix_(sel, sel)], road.minutes[np.ix_(sel, sel)]
        minutes = np.ceil(minutes - 1e-9).astype(np.int64) + border
        km = np.round(km, 1)
    minutes[cut, :] = UNREACHABLE
    minutes[:, cut] = UNREACHABLE
    km[cut, :] = UNREACHABLE_KM
    km[:, cut] = UNREACHABLE_KM
    np.fill_diagonal(minutes, 0)
    np.fill_diagonal(km, 0.0)
    driving = minutes.copy()
    by_ferry = ferry_of >= 0
    driving[by_ferry] -= np.array([c.minutes for c in all_crossings], dtype=np.int64)[ferry_of[by_ferry]]
    return Travel(minutes=minutes, km=km, lands=lands, ferry_of=ferry_of, pre=pre, post=post, border=border,
                  driving=driving, crossing_list=all_crossings)
