"""The one travel-time model, and a road matrix in its place."""
import time

import numpy as np

from tourplanner.optimize import Instance, RoadMatrix, check, solve
from tourplanner.optimize.travel import great_circle_km, travel_matrix


def test_chicago_detroit_by_the_model():
    assert round(float(great_circle_km(41.8781, -87.6298, 42.3314, -83.0458)), 1) == 381.5
    travel = travel_matrix([41.8781, 42.3314], [-87.6298, -83.0458], ["US", "US"], border_minutes=60)
    minutes, km = travel.minutes, travel.km
    # 381.46 km x 1.18 circuity = 450.1 km; at ~108 km/h that is 250.07 min, rounded up
    assert (int(minutes[0, 1]), float(km[0, 1])) == (251, 450.1)
    assert minutes[0, 0] == 0 and minutes[1, 0] == minutes[0, 1]


def test_border_delay_only_between_countries():
    minutes = travel_matrix([42.3314, 42.3149, 42.33], [-83.0458, -83.0364, -83.05], ["US", "CA", "US"],
                            border_minutes=60).minutes
    assert minutes[0, 1] - 60 == minutes[2, 1] - 60 < 10
    assert minutes[0, 2] < 10


def test_two_thousand_points_take_seconds_of_cpu_not_minutes():
    """Vectorised: 0.6-1.1 s of CPU on this shared machine (a per-pair Python loop takes minutes). The timing
    itself belongs to bench/; this only catches a fall back to loops."""
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(30, 50, 2000), rng.uniform(-120, -70, 2000)
    started = time.process_time()
    travel = travel_matrix(lat, lon, np.where(lat > 45, "CA", "US"), border_minutes=60)
    minutes, km = travel.minutes, travel.km
    assert time.process_time() - started < 3.0  # CPU time: the machine is shared, wall time is not ours
    assert minutes.shape == km.shape == (2000, 2000) and minutes.dtype == np.int64


def test_road_matrix_replaces_the_model_in_solve_and_check():
    data = {"name": "road", "start_date": "2027-02-01", "days": 3,
            "rules": {"days_off": [], "border_crossing_minutes": 0},
            "teams": [{"id": "a", "name": "A", "start": {"lat": 41.8781, "lon": -87.6298, "tz": "America/Chicago"},
                       "end": None}],
            "requests": [{"id": "x", "name": "X", "type": "college", "lat": 41.9, "lon": -87.7, "tz": "America/Chicago",
                          "country": "US", "region": "IL", "audience": 10, "duration_minutes": 60, "priority": 3,
                          "windows": [{"start": "2027-02-01T07:00", "end": "2027-02-01T20:00"}],
                          "team": None, "fixed_start": None}]}
    instance = Instance.from_dict(data)
    road = RoadMatrix(ids=("x", "start:a"), minutes=np.array([[0, 200], [200, 0]]), km=np.array([[0, 99.0], [99.0, 0]]))
    plan = solve(instance, time_limit_s=1, seed=1, steps=3, matrix=road)
    visit = plan.route("a").visits[0]
    assert (visit.drive_minutes_before, visit.drive_km_before, visit.start) == (200, 99.0, "2027-02-01T10:50:00-06:00")
    assert check(instance, plan, matrix=road) == []
    assert [v.rule for v in check(instance, plan)] == ["kpis"]  # by the model the leg is a few km, not 99
