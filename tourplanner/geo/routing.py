"""Road matrices from a routing engine (Valhalla or OSRM, through routingpy), batched and cached.

The result is the optimizer's `RoadMatrix(ids, minutes, km)`; when the engine is down the caller
gets a RoutingError and falls back to the default travel model (see `road_matrix_or_none`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..optimize.travel import RoadMatrix

log = logging.getLogger(__name__)
ENGINES = {"valhalla": "auto", "osrm": "driving"}  # engine -> its car profile


class RoutingError(Exception):
    """The routing engine is unreachable, refused the request, or found no road between two points."""


@dataclass(frozen=True)
class RoutingEngine:
    """Where the engine is and how to ask it."""

    url: str
    engine: str = "valhalla"
    batch: int = 50  # points per side of one request (Valhalla's default matrix limit is 50x50)
    timeout_s: float = 30.0
    cache_dir: Path | None = None

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise RoutingError(f"ROUTING_ENGINE={self.engine!r} is not supported: use one of {', '.join(ENGINES)}")
        if not self.url.startswith(("http://", "https://")):
            raise RoutingError(f"ROUTING_URL={self.url!r} must start with http:// or https://")
        if self.batch < 1:
            raise RoutingError("routing batch size must be at least 1")

    def client(self):
        import routingpy

        cls = routingpy.Valhalla if self.engine == "valhalla" else routingpy.OSRM
        return cls(base_url=self.url.rstrip("/"), timeout=self.timeout_s, retry_timeout=self.timeout_s)


def _block_key(engine: RoutingEngine, sources: list, targets: list) -> str:
    text = json.dumps([engine.engine, ENGINES[engine.engine], sources, targets])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _ask(engine: RoutingEngine, client, sources: list, targets: list) -> tuple[np.ndarray, np.ndarray]:
    """One request: seconds and metres from every source to every target."""
    import requests
    from routingpy import exceptions as rexc

    locations = [[lon, lat] for lat, lon in sources + targets]
    src = list(range(len(sources)))
    dst = list(range(len(sources), len(sources) + len(targets)))
    try:
        if engine.engine == "valhalla":
            result = client.matrix(locations, profile="auto", sources=src, destinations=dst, units="km")
        else:
            result = client.matrix(locations, profile="driving", sources=src, destinations=dst)
    except (rexc.RouterError, rexc.Timeout, rexc.JSONParseError, requests.RequestException) as exc:
        raise RoutingError(f"{engine.engine} at {engine.url} did not answer a matrix request: "
                           f"{type(exc).__name__} {exc}".strip()) from exc
    seconds = np.array([[np.nan if v is None else v for v in row] for row in result.durations], dtype=float)
    metres = np.array([[np.nan if v is None else v for v in row] for row in result.distances], dtype=float)
    return seconds, metres


def road_matrix(engine: RoutingEngine, ids: list[str], lats, lons) -> RoadMatrix:
    """The full minutes/km matrix over the points, asked in blocks of engine.batch x engine.batch."""
    points = [(round(float(a), 6), round(float(b), 6)) for a, b in zip(lats, lons, strict=True)]
    if len(ids) != len(points) or len(set(ids)) != len(ids):
        raise RoutingError("road_matrix needs one unique id per point")
    n = len(points)
    minutes, km = np.zeros((n, n)), np.zeros((n, n))
    client = engine.client()
    try:
        for i0 in range(0, n, engine.batch):
            for j0 in range(0, n, engine.batch):
                src, dst = points[i0:i0 + engine.batch], points[j0:j0 + engine.batch]
                seconds, metres = _cached_block(engine, client, src, dst)
                minutes[i0:i0 + len(src), j0:j0 + len(dst)] = seconds / 60.0
                km[i0:i0 + len(src), j0:j0 + len(dst)] = metres / 1000.0
    finally:
        # routingpy keeps a requests.Session per router and offers no close(): close it, or its sockets leak
        session = getattr(getattr(client, "client", None), "_session", None)
        if session is not None:
            session.close()
    missing = np.argwhere(np.isnan(minutes) | np.isnan(km))
    if len(missing):
        pairs = ", ".join(f"{ids[a]} -> {ids[b]}" for a, b in missing[:5])
        raise RoutingError(f"{engine.engine} found no road for {len(missing)} pair(s): {pairs}")
    return RoadMatrix(ids=tuple(ids), minutes=minutes, km=km)


def _cached_block(engine: RoutingEngine, client, src: list, dst: list) -> tuple[np.ndarray, np.ndarray]:
    """A block from the on-disk cache, or from the engine (and then cached)."""
    if engine.cache_dir is None:
        return _ask(engine, client, src, dst)
    path = Path(engine.cache_dir) / f"{_block_key(engine, src, dst)}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["seconds"], data["metres"]
    seconds, metres = _ask(engine, client, src, dst)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, seconds=seconds, metres=metres)
    tmp.replace(path)
    return seconds, metres


def configured_engine() -> RoutingEngine | None:
    """The engine named by ROUTING_URL / ROUTING_ENGINE in the app config, or None."""
    from flask import current_app

    url = current_app.config.get("ROUTING_URL")
    if not url:
        return None
    return RoutingEngine(
        url=url,
        engine=(current_app.config.get("ROUTING_ENGINE") or "valhalla").lower(),
        batch=int(current_app.config.get("ROUTING_BATCH", 50)),
        cache_dir=Path(current_app.instance_path) / "routing-cache",
    )


def road_matrix_or_none(ids: list[str], lats, lons, engine: RoutingEngine | None = None) -> tuple[RoadMatrix | None, str]:
    """(matrix, what was used): None and the reason when no engine is configured or it failed."""
    try:
        engine = engine or configured_engine()
    except RoutingError as exc:
        return None, f"routing engine misconfigured ({exc}): using the default travel model"
    if engine is None:
        return None, "default travel model (no routing engine configured)"
    try:
        return road_matrix(engine, ids, lats, lons), f"road times from {engine.engine} at {engine.url}"
    except RoutingError as exc:
        log.warning("routing engine failed: %s", exc)
        return None, f"routing engine failed ({exc}): using the default travel model"


def instance_points(instance) -> tuple[list[str], list[float], list[float]]:
    """The optimizer's point ids for an Instance: request ids, then start:<team> and end:<team> (if any)."""
    ids, lats, lons = [], [], []
    for request in instance.requests:
        ids.append(request.id), lats.append(request.lat), lons.append(request.lon)
    for team in instance.teams:
        for kind, place in (("start", team.start), ("end", team.end)):
            if place is not None:
                ids.append(f"{kind}:{team.id}"), lats.append(place.lat), lons.append(place.lon)
    return ids, lats, lons


def instance_road_matrix(instance, engine: RoutingEngine | None = None) -> tuple[RoadMatrix | None, str]:
    """Road times over every point of an Instance for solve(matrix=...), or None and why not."""
    return road_matrix_or_none(*instance_points(instance), engine=engine)
