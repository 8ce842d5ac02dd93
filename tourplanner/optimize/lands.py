"""Which land a point is on: the road-connected mainland, a car-ferry island, or a region no road reaches.

The travel model drives between any two points of the mainland; reaching a "ferry" land needs a car ferry, and
a "no_road" land cannot be reached by van at all. The lands are polygons in data/lands.json, made by
tools/build_lands.py from geoBoundaries ADM1 outlines (docs/travel.md, "Lands"). Bridged and causeway islands
(PEI, Cape Breton, Montreal, Long Island, the Florida Keys...) are mainland: they are in no land.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "lands.json"
_CHUNK = 1 << 21  # points x edges per numpy block, so memory stays bounded


@dataclass(frozen=True)
class Land:
    key: str   # "mainland" or a lands.json key
    name: str  # "the mainland", "Vancouver Island", "Hawaii"
    kind: str  # "mainland" | "ferry" | "no_road"


MAINLAND = Land("mainland", "the mainland", "mainland")


@dataclass(frozen=True)
class _Ring:
    bbox: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    x1: np.ndarray
    y1: np.ndarray
    y2: np.ndarray
    slope: np.ndarray  # dx/dy of each edge (0 for horizontal edges, which never cross the ray)


@lru_cache(maxsize=1)
def _lands() -> tuple[tuple[Land, tuple[float, float, float, float], tuple[_Ring, ...]], ...]:
    """The lands, in file order, with their rings as edge arrays (loaded once)."""
    out = []
    for entry in json.loads(DATA.read_text(encoding="utf-8")):
        rings = []
        for coords in entry["polygons"]:
            xy = np.asarray(coords, dtype=float)
            x1, y1 = xy[:, 0], xy[:, 1]
            x2, y2 = np.roll(x1, -1), np.roll(y1, -1)  # closes the ring whether or not it repeats its start
            dy = y2 - y1
            slope = np.divide(x2 - x1, dy, out=np.zeros_like(dy), where=dy != 0)
            rings.append(_Ring((x1.min(), y1.min(), x1.max(), y1.max()), x1, y1, y2, slope))
        bbox = (min(r.bbox[0] for r in rings), min(r.bbox[1] for r in rings),
                max(r.bbox[2] for r in rings), max(r.bbox[3] for r in rings))
        out.append((Land(entry["key"], entry["name"], entry["kind"]), bbox, tuple(rings)))
    return tuple(out)


def _inside(ring: _Ring, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd ray casting (ray towards +lon): True where the ray crosses the ring an odd number of times."""
    odd = np.zeros(len(px), dtype=bool)
    step = max(1, _CHUNK // max(1, len(ring.x1)))
    for s in range(0, len(px), step):
        x, y = px[s:s + step, None], py[s:s + step, None]
        straddles = (ring.y1 > y) != (ring.y2 > y)
        crosses = straddles & (x < ring.x1 + (y - ring.y1) * ring.slope)
        odd[s:s + step] = np.count_nonzero(crosses, axis=1) % 2 == 1
    return odd


def lands_of(lats, lons) -> list[Land]:
    """The land of each point; bounding boxes first, then ray casting only where a ring's box holds the point."""
    lat = np.atleast_1d(np.asarray(lats, dtype=float))
    lon = (np.atleast_1d(np.asarray(lons, dtype=float)) + 180.0) % 360.0 - 180.0
    found = np.full(len(lat), -1)
    lands = _lands()
    for i, (_land, box, rings) in enumerate(lands):
        todo = np.flatnonzero((found < 0) & (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3]))
        if not len(todo):
            continue
        odd = np.zeros(len(todo), dtype=bool)
        for ring in rings:
            b = ring.bbox
            hit = np.flatnonzero((lon[todo] >= b[0]) & (lon[todo] <= b[2]) & (lat[todo] >= b[1]) & (lat[todo] <= b[3]))
            if len(hit):
                odd[hit] ^= _inside(ring, lon[todo[hit]], lat[todo[hit]])
        found[todo[odd]] = i  # lands do not overlap; if simplification left a sliver, the first land wins
    return [lands[i][0] if i >= 0 else MAINLAND for i in found]


def land_of(lat: float, lon: float) -> Land:
    """The land of one point."""
    return lands_of([lat], [lon])[0]


def land(key: str) -> Land:
    """A land by key ("mainland" or a lands.json key)."""
    if key == MAINLAND.key:
        return MAINLAND
    for entry, _box, _rings in _lands():
        if entry.key == key:
            return entry
    known = ", ".join([MAINLAND.key] + [entry.key for entry, _b, _r in _lands()])
    raise KeyError(f"no land {key!r}; known lands: {known}")
