"""The road-matrix client against a real Valhalla engine built here from a tiny OSM extract.

The extract is four towns on a rectangle of roads in flat Saskatchewan, written by the test with
osmium; Valhalla's own tile builder and HTTP service (from the pyvalhalla wheel, `make valhalla`)
run on 127.0.0.1. Nothing touches the internet.
"""

from __future__ import annotations

import importlib.util
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.support.fake_json_server import FakeJSONServer
from tests.support.osrm import great_circle_km, osrm_table
from tests.support.outside import need, port_open
from tourplanner.geo.routing import RoadMatrix, RoutingEngine, RoutingError, road_matrix, road_matrix_or_none
from tourplanner.optimize.travel import travel_matrix

ROOT = Path(__file__).resolve().parents[2]
TOWNS = {"A": (50.00, -105.00), "B": (50.00, -104.80), "C": (50.15, -104.80), "D": (50.15, -105.00)}
ROADS = [  # (from, to, tags): A-B and C-D fast highways, B-C secondary, A-D a slow tertiary road
    ("A", "B", {"highway": "primary", "maxspeed": "100", "name": "Hwy 1"}),
    ("B", "C", {"highway": "secondary", "maxspeed": "80"}),
    ("C", "D", {"highway": "primary", "maxspeed": "100"}),
    ("A", "D", {"highway": "tertiary", "maxspeed": "60"}),
]


def valhalla_dir() -> Path | None:
    """Folder with bin/valhalla_build_tiles and valhalla_build_config.py (make valhalla), or None."""
    for candidate in (os.environ.get("VALHALLA_DIR"), ROOT / ".venv" / "valhalla" / "valhalla"):
        if candidate and (Path(candidate) / "bin" / "valhalla_service").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_extract(path: Path) -> None:
    """A tiny OSM file: one node per town, roads with a node every ~1 km."""
    import osmium
    from osmium.osm.mutable import Node, Way

    meta = dict(version=1, changeset=1, timestamp="2024-01-01T00:00:00Z", uid=1, user="test")
    writer = osmium.SimpleWriter(str(path))
    next_id = iter(range(1, 10_000))
    town_node = {}
    for name, (lat, lon) in TOWNS.items():
        town_node[name] = next(next_id)
        writer.add_node(Node(id=town_node[name], location=(lon, lat), tags={"place": "town", "name": name}, **meta))
    ways = []
    for a, b, tags in ROADS:
        (la, lo), (lb, lob) = TOWNS[a], TOWNS[b]
        inner = []
        for i in range(1, 20):
            inner.append(next(next_id))
            writer.add_node(Node(id=inner[-1], location=(lo + (lob - lo) * i / 20, la + (lb - la) * i / 20), tags={}, **meta))
        ways.append(([town_node[a], *inner, town_node[b]], tags))
    for way_id, (nodes, tags) in enumerate(ways, start=1):
        writer.add_way(Way(id=way_id, nodes=nodes, tags=tags, **meta))
    writer.close()


@pytest.fixture(scope="module")
def valhalla_url(tmp_path_factory):
    """A Valhalla HTTP service on 127.0.0.1 over tiles built from the tiny extract."""
    home = valhalla_dir()
    need(home is not None, "Valhalla binaries are missing (run `make valhalla`)")
    need(importlib.util.find_spec("osmium") is not None, "osmium is not installed (requirements-test.txt)")
    work = tmp_path_factory.mktemp("valhalla")
    write_extract(work / "map.osm.pbf")
    port = free_port()
    config = subprocess.run(
        [sys.executable, str(home / "valhalla_build_config.py"),
         "--mjolnir-tile-dir", str(work / "tiles"), "--mjolnir-tile-extract", str(work / "tiles.tar"),
         "--mjolnir-admin", str(work / "no_admin.sqlite"), "--mjolnir-timezone", str(work / "no_tz.sqlite"),
         "--mjolnir-concurrency", "1", "--httpd-service-listen", f"tcp://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    (work / "valhalla.json").write_text(config)
    subprocess.run([str(home / "bin" / "valhalla_build_tiles"), "-c", str(work / "valhalla.json"), "-j", "1",
                    str(work / "map.osm.pbf")], capture_output=True, check=True, cwd=work)
    with open(work / "service.log", "wb") as log:
        service = subprocess.Popen([str(home / "bin" / "valhalla_service"), str(work / "valhalla.json"), "1"],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", port):
            assert service.poll() is None, (work / "service.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "valhalla_service did not open its port in 20 s"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        service.kill()  # valhalla_service ignores SIGTERM
        service.wait(timeout=10)


def engine_route(url: str, a, b) -> tuple[float, float]:
    """The engine's own answer for one pair from its /route endpoint: (seconds, km)."""
    import requests

    body = {"locations": [{"lat": a[0], "lon": a[1]}, {"lat": b[0], "lon": b[1]}], "costing": "auto"}
    summary = requests.post(f"{url}/route", json=body, timeout=10).json()["trip"]["summary"]
    return summary["time"], summary["length"]


def points():
    ids = list(TOWNS)
    return ids, [TOWNS[t][0] for t in ids], [TOWNS[t][1] for t in ids]


def test_matrix_matches_the_engines_own_routes(valhalla_url):
    ids, lats, lons = points()
    matrix = road_matrix(RoutingEngine(valhalla_url, "valhalla"), ids, lats, lons)
    assert matrix.ids == ("A", "B", "C", "D")
    for i, a in enumerate(ids):
        for j, b in enumerate(ids):
            if a == b:
                assert (matrix.minutes[i, j], matrix.km[i, j]) == (0, 0)
                continue
            seconds, km = engine_route(valhalla_url, TOWNS[a], TOWNS[b])
            assert matrix.minutes[i, j] == pytest.approx(seconds / 60, abs=0.5), (a, b)
            assert matrix.km[i, j] == pytest.approx(km, abs=0.01), (a, b)


def test_straight_roads_measure_their_great_circle_length(valhalla_url):
    ids, lats, lons = points()
    matrix = road_matrix(RoutingEngine(valhalla_url, "valhalla"), ids, lats, lons)
    ab, ad = great_circle_km(TOWNS["A"], TOWNS["B"]), great_circle_km(TOWNS["A"], TOWNS["D"])
    # by hand: 0.15 deg of latitude = 0.15 x 111.195 km; 0.2 deg of longitude at 50 N is a touch under
    # 0.2 x 111.195 x cos 50 = 14.295 km because the great circle bows north of the parallel
    assert (round(ab, 2), round(ad, 2)) == (14.29, 16.68)
    assert matrix.km[0, 1] == pytest.approx(ab, rel=0.005)
    assert matrix.km[0, 3] == pytest.approx(ad, rel=0.005)
    # A to C has no diagonal road: it goes round the rectangle, the fast way (via B, 14.3 + 16.7 km)
    assert matrix.km[0, 2] == pytest.approx(ab + ad, rel=0.01)
    # the 100 km/h highway is quicker per km than the 60 km/h road
    assert matrix.minutes[0, 1] / matrix.km[0, 1] < matrix.minutes[0, 3] / matrix.km[0, 3]


def test_batches_give_the_same_matrix(valhalla_url):
    ids, lats, lons = points()
    whole = road_matrix(RoutingEngine(valhalla_url, "valhalla", batch=50), ids, lats, lons)
    pieces = road_matrix(RoutingEngine(valhalla_url, "valhalla", batch=3), ids, lats, lons)
    np.testing.assert_allclose(pieces.minutes, whole.minutes)
    np.testing.assert_allclose(pieces.km, whole.km)


def test_cached_matrix_needs_no_engine(valhalla_url, tmp_path):
    ids, lats, lons = points()
    first = road_matrix(RoutingEngine(valhalla_url, "valhalla", batch=2, cache_dir=tmp_path), ids, lats, lons)
    dead = RoutingEngine(f"http://127.0.0.1:{free_port()}", "valhalla", batch=2, cache_dir=tmp_path)
    again = road_matrix(dead, ids, lats, lons)
    np.testing.assert_array_equal(again.minutes, first.minutes)
    assert len(list(tmp_path.glob("*.npz"))) == 4


def test_road_matrix_feeds_the_optimizer_travel_model(valhalla_url):
    ids, lats, lons = points()
    matrix = road_matrix(RoutingEngine(valhalla_url, "valhalla"), ids, lats, lons)
    travel = travel_matrix(lats[::-1], lons[::-1], ["CA"] * 4, border_minutes=30, road=matrix, ids=ids[::-1])
    minutes, km = travel.minutes, travel.km
    assert km[3, 2] == round(matrix.km[0, 1], 1)  # rows follow the ids asked for, not the matrix order
    assert minutes[3, 2] == math.ceil(matrix.minutes[0, 1])


def test_engine_down_is_a_clear_error_and_the_planner_falls_back():
    ids, lats, lons = points()
    port = free_port()
    engine = RoutingEngine(f"http://127.0.0.1:{port}", "valhalla", timeout_s=2)
    with pytest.raises(RoutingError, match=f"valhalla at http://127.0.0.1:{port} did not answer"):
        road_matrix(engine, ids, lats, lons)
    matrix, used = road_matrix_or_none(ids, lats, lons, engine=engine)
    assert matrix is None
    assert used.startswith("routing engine failed (valhalla at") and used.endswith("using the default travel model")


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(url="http://127.0.0.1:1", engine="graphhopper"), "ROUTING_ENGINE='graphhopper' is not supported"),
        (dict(url="127.0.0.1:8002"), "must start with http:// or https://"),
    ],
)
def test_bad_engine_settings_are_named(kw, message):
    with pytest.raises(RoutingError, match=message):
        RoutingEngine(**kw)


def test_road_matrix_type_is_the_optimizers():
    assert RoadMatrix.__module__ == "tourplanner.optimize.travel"


def test_osrm_table_requests_are_batched_and_parsed():
    fake = FakeJSONServer(osrm_table)
    try:
        ids, lats, lons = points()
        matrix = road_matrix(RoutingEngine(fake.url, "osrm", batch=3), ids, lats, lons)
    finally:
        fake.close()
    assert len(fake.asked) == 4  # 4 points in blocks of 3: (3+1) x (3+1)
    assert fake.asked[0][0].startswith("/table/v1/driving/")
    assert fake.asked[0][1]["annotations"] == "duration,distance"
    ab = great_circle_km(TOWNS["A"], TOWNS["B"])
    assert matrix.km[0, 1] == pytest.approx(ab, abs=0.001)
    assert matrix.minutes[0, 1] == pytest.approx(ab * 1000 / 25 / 60, abs=0.001)
    assert matrix.km[2, 3] == pytest.approx(great_circle_km(TOWNS["C"], TOWNS["D"]), abs=0.001)


def test_configured_engine_comes_from_the_app_settings(app):
    fake = FakeJSONServer(osrm_table)
    app.config.update(ROUTING_URL=fake.url, ROUTING_ENGINE="osrm")
    try:
        ids, lats, lons = points()
        matrix, used = road_matrix_or_none(ids, lats, lons)
    finally:
        fake.close()
    assert used == f"road times from osrm at {fake.url}"
    assert matrix.ids == tuple(ids)
    assert len(list((Path(app.instance_path) / "routing-cache").glob("*.npz"))) == 1


def test_no_engine_configured_means_the_default_model(app):
    ids, lats, lons = points()
    assert road_matrix_or_none(ids, lats, lons) == (None, "default travel model (no routing engine configured)")


def test_instance_road_matrix_is_accepted_by_the_optimizer():
    from tourplanner.geo.routing import instance_road_matrix
    from tourplanner.optimize import Instance, check
    from tourplanner.optimize.plan import Plan

    def request(rid, town):
        lat, lon = TOWNS[town]
        return {"id": rid, "name": f"School {town}", "type": "high_school", "lat": lat, "lon": lon,
                "tz": "America/Regina", "country": "CA", "region": "SK", "audience": 100,
                "duration_minutes": 60, "priority": 3,
                "windows": [{"start": "2027-02-02T09:00", "end": "2027-02-02T15:00"}]}

    base = {"lat": TOWNS["A"][0], "lon": TOWNS["A"][1], "tz": "America/Regina"}
    instance = Instance.from_dict({
        "name": "tiny", "start_date": "2027-02-01", "days": 7, "rules": {},
        "teams": [{"id": "prairie", "name": "Prairie", "start": base, "end": base}],
        "requests": [request("r1", "B"), request("r2", "C")],
    })
    fake = FakeJSONServer(osrm_table)
    try:
        matrix, used = instance_road_matrix(instance, RoutingEngine(fake.url, "osrm"))
    finally:
        fake.close()
    assert used == f"road times from osrm at {fake.url}"
    assert matrix.ids == ("r1", "r2", "start:prairie", "end:prairie")
    # one visit to B, driven from the base at A: 14.29 km at the fake's 25 m/s = 9.5 -> 10 minutes
    plan = Plan.from_dict({
        "instance": "tiny", "status": "feasible", "solver": {"time_limit_s": 1, "seed": 1, "wall_s": 0.1},
        "routes": [{"team": "prairie", "visits": [
            {"request": "r1", "start": "2027-02-02T09:30:00-06:00", "end": "2027-02-02T10:30:00-06:00",
             "drive_minutes_before": 10, "drive_km_before": 14.3}], "nights": []}],
        "unserved": [{"request": "r2", "reason": "dropped_for_value", "detail": ""}],
        "kpis": {"served": 1, "requests": 2, "audience": 100, "drive_km": 14.3, "drive_minutes": 10},
    })
    assert check(instance, plan, matrix=matrix) == []
    assert check(instance, plan) != []  # the default model (circuity, speeds) disagrees with the road figures
