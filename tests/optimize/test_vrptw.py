"""Routing core: tiny instances with routes worked out by hand, the benchmark readers, the checker."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from vrptw import (  # noqa: E402  (bench/vrptw.py: the routing core the benchmarks measure)
    OrienteeringProblem,
    RoutingInputError,
    VrptwProblem,
    solve_toptw,
    solve_vrptw,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from routing_instances import (  # noqa: E402
    Instance,
    check_routes,
    read_cordeau,
    read_dssr_optimum,
    read_solution,
    read_vrplib,
)

BENCH = ROOT / "bench" / "instances"  # public instances with best-known solutions (bench/instances/README.md)
HORIZON = 1000


def matrix(points):
    """Euclidean distances rounded down to whole units, as the solver wants integers."""
    return np.array([[math.isqrt((ax - bx) ** 2 + (ay - by) ** 2) for bx, by in points] for ax, ay in points])


def line_vrptw(capacity=2, windows=None):
    """Depot at 0, two customers east (10, 20) and two west (-10, -20) on a line."""
    points = [(0, 0), (10, 0), (20, 0), (-10, 0), (-20, 0)]
    windows = windows or {}
    ready = [windows.get(i, (0, HORIZON))[0] for i in range(5)]
    due = [windows.get(i, (0, HORIZON))[1] for i in range(5)]
    return VrptwProblem(matrix(points), [0, 1, 1, 1, 1], capacity, ready, due, [0] * 5, num_vehicles=4)


def test_vrptw_capacity_two_splits_east_and_west():
    sol = solve_vrptw(line_vrptw(), time_limit_s=5, seed=1, max_iterations=300)
    assert sol.distance == 80
    assert {frozenset(r) for r in sol.routes} == {frozenset({1, 2}), frozenset({3, 4})}


def test_vrptw_window_forces_far_customer_first():
    # Customer 2 (at 20) must be served by time 25 and customer 1 (at 10) not before 30:
    # 0 -> 2 (t=20) -> 1 (t=30) -> 0 costs 40 like the other order, which the windows forbid.
    problem = line_vrptw(windows={2: (0, 25), 1: (30, 100)})
    sol = solve_vrptw(problem, time_limit_s=5, seed=1, max_iterations=300)
    assert sol.distance == 80
    assert (2, 1) in sol.routes


def test_vrptw_service_time_and_window_need_a_third_route():
    # With 15 minutes of service at 1, reaching 2 by 25 after 1 is impossible (10+15+10=35),
    # and 2 first then 1 arrives at 30 > 28: so 1 and 2 travel on separate routes: 20 + 40 + 40.
    problem = VrptwProblem(
        matrix([(0, 0), (10, 0), (20, 0), (-10, 0), (-20, 0)]),
        [0, 1, 1, 1, 1], 2,
        [0, 0, 0, 0, 0], [HORIZON, 28, 25, HORIZON, HORIZON], [0, 15, 15, 0, 0], num_vehicles=4,
    )
    sol = solve_vrptw(problem, time_limit_s=5, seed=1, max_iterations=300)
    assert sorted(sol.routes) == [(1,), (2,), (3, 4)] or sorted(sol.routes) == [(1,), (2,), (4, 3)]
    assert sol.distance == 100


def test_vrptw_plain_baseline_finds_the_same_small_optimum():
    sol = solve_vrptw(line_vrptw(), time_limit_s=1, method="plain")
    assert sol.distance == 80


def test_vrptw_same_seed_and_iterations_give_the_same_routes():
    inst = read_vrplib(BENCH / "solomon" / "R101.vrp")
    problem = VrptwProblem(inst.distance_matrix(), inst.demand, inst.capacity, inst.ready, inst.due,
                           inst.service, inst.vehicles)
    runs = [solve_vrptw(problem, time_limit_s=60, seed=7, max_iterations=150, polish=False) for _ in range(2)]
    assert runs[0].routes == runs[1].routes
    assert check_routes(inst, [list(r) for r in runs[0].routes])[0] == []


def test_vrptw_rejects_a_window_that_ends_before_it_opens():
    with pytest.raises(RoutingInputError, match="node 2: window ends"):
        VrptwProblem(matrix([(0, 0), (1, 0), (2, 0)]), [0, 1, 1], 5, [0, 0, 50], [100, 100, 40], [0, 0, 0], 1)


def test_vrptw_names_a_customer_no_vehicle_can_reach_in_time():
    # Customer 2 sits 20 away but closes at 15.
    problem = VrptwProblem(matrix([(0, 0), (10, 0), (20, 0)]), [0, 1, 1], 5, [0, 0, 0], [100, 100, 15], [0, 0, 0], 2)
    with pytest.raises(RoutingInputError, match=r"customers \[2\] cannot be served even alone"):
        solve_vrptw(problem, time_limit_s=1, seed=1)


def test_toptw_one_vehicle_takes_three_small_prizes_over_one_big():
    # Route length at most 70: the chain east (2, 3, 4) is 60 long for 12 points; the big prize
    # at (0, 30) alone gives 10, and with customer 2 it needs 30 + 31 + 10 = 71 > 70.
    # Customers 2 and 3 close at 15 and 22, so the chain runs outwards.
    points = [(0, 0), (0, 30), (10, 0), (20, 0), (30, 0)]
    problem = OrienteeringProblem(matrix(points), [0, 10, 4, 4, 4], [0] * 5, [70, 70, 15, 22, 70], [0] * 5, 1)
    sol = solve_toptw(problem, time_limit_s=5, seed=1, max_iterations=200)
    assert sol.routes == ((2, 3, 4),)
    assert (sol.prize, sol.distance) == (12, 60)


def test_toptw_two_vehicles_take_everything():
    points = [(0, 0), (0, 30), (10, 0), (20, 0), (30, 0)]
    problem = OrienteeringProblem(matrix(points), [0, 10, 4, 4, 4], [0] * 5, [70, 70, 15, 22, 70], [0] * 5, 2)
    sol = solve_toptw(problem, time_limit_s=5, seed=1, max_iterations=200)
    assert sorted(sol.routes) == [(1,), (2, 3, 4)]
    assert (sol.prize, sol.distance) == (22, 120)


def test_read_vrplib_and_best_known_solution_recomputes_published_cost():
    inst = read_vrplib(BENCH / "solomon" / "R101.vrp")
    assert (inst.size, inst.capacity, inst.vehicles) == (100, 200, 25)
    assert inst.coords[1] == (41.0, 49.0)
    assert (inst.ready[1], inst.due[1], inst.service[1], inst.demand[1]) == (1610, 1710, 100, 10)
    routes, cost = read_solution(BENCH / "solomon" / "R101.sol")
    violations, distance, _ = check_routes(inst, routes)
    assert (len(routes), cost, violations, distance) == (20, 1637.7, [], 16377)


def test_read_cordeau_and_dssr_optimum():
    inst = read_cordeau(BENCH / "toptw" / "r101.txt")
    assert (inst.size, inst.vehicles, inst.due[0]) == (100, 19, 2300)
    assert (inst.coords[59], inst.prize[59], inst.ready[59], inst.due[59]) == ((21.0, 24.0), 28, 180, 280)
    # rc101's file first prints relaxed paths worth 229; the proven optimum is the best feasible path.
    assert read_dssr_optimum(BENCH / "toptw" / "rc101_100.dssr.full") == 219
    assert read_dssr_optimum(BENCH / "toptw" / "r101_100.dssr.full") == 198


def small_instance():
    """Three customers east of the depot (tenths), capacity 2, 5 minutes at 1, customer 3 due at 30."""
    return Instance("hand", [(0, 0), (10, 0), (20, 0), (30, 0)], [0, 1, 1, 1], 2,
                    [0, 0, 0, 0], [10000, 10000, 10000, 300], [0, 50, 0, 0], vehicles=2)


def test_checker_accepts_a_good_plan_and_recomputes_its_distance():
    violations, distance, _ = check_routes(small_instance(), [[3], [1, 2]])
    assert (violations, distance) == ([], 1000)


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        ([[1, 2, 3]], "route 1: load 3 exceeds capacity 2"),
        ([[1, 3], [2]], "route 1: customer 3 reached at 35.0 after its window closes at 30.0"),
        ([[3], [1, 2, 1]], "customer 1 visited twice (routes 2 and 2)"),
        ([[3], [2]], "1 customers not visited: [1]"),
        ([[3], [1], [2]], "3 routes but only 2 vehicles"),
    ],
)
def test_checker_catches_hand_made_violations(routes, expected):
    violations, _, _ = check_routes(small_instance(), routes)
    assert expected in violations
