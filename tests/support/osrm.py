"""OSRM's /table answered from great-circle distances, for a FakeJSONServer standing in for the engine."""

from __future__ import annotations

import math


def great_circle_km(a, b) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def osrm_table(path: str, query: dict) -> dict:
    """OSRM's /table answer with great-circle metres at 25 m/s."""
    coords = [tuple(map(float, c.split(","))) for c in path.split("/")[-1].split(";")]
    src = [coords[int(i)] for i in query["sources"].split(";")]
    dst = [coords[int(i)] for i in query["destinations"].split(";")]
    metres = [[great_circle_km((a[1], a[0]), (b[1], b[0])) * 1000 for b in dst] for a in src]
    return {"code": "Ok", "distances": metres, "durations": [[m / 25 for m in row] for row in metres]}
