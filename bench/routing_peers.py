"""The peers our routing core is measured against: plain OR-Tools, PyVRP and VROOM (when installed).

Each peer gets the same integer matrix (tenths, DIMACS truncation) and the same time limit, and
returns routes as lists of customer numbers; the benchmark checks them with the same checker.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vrptw  # noqa: E402  (bench/vrptw.py: the routing core, measured here, not used by the product)

from routing_instances import Instance  # noqa: E402

INT_MAX = 2**62


def available(name: str) -> bool:
    """Whether a peer's package is installed (PyVRP and VROOM are optional bench packages)."""
    module = {"pyvrp": "pyvrp", "vroom": "vroom", "ortools": "ortools"}[name]
    return importlib.util.find_spec(module) is not None


def vrptw_problem(inst: Instance, distance: np.ndarray) -> vrptw.VrptwProblem:
    """Our solver's problem for a VRPTW instance."""
    return vrptw.VrptwProblem(distance, inst.demand, inst.capacity, inst.ready, inst.due, inst.service, inst.vehicles)


def orienteering_problem(inst: Instance, distance: np.ndarray, vehicles: int) -> vrptw.OrienteeringProblem:
    """Our solver's problem for an orienteering instance with k vehicles."""
    return vrptw.OrienteeringProblem(distance, inst.prize, inst.ready, inst.due, inst.service, vehicles)


# ---------------------------------------------------------------- VRPTW


def solve_vrptw(peer: str, inst: Instance, distance: np.ndarray, time_limit_s: float, seed: int) -> list[list[int]]:
    """Routes from one peer for a VRPTW instance."""
    if peer == "ours":
        sol = vrptw.solve_vrptw(vrptw_problem(inst, distance), time_limit_s=time_limit_s, seed=seed)
        return [list(r) for r in sol.routes]
    if peer == "ortools":
        sol = vrptw.solve_vrptw(vrptw_problem(inst, distance), time_limit_s=time_limit_s, method="plain")
        return [list(r) for r in sol.routes]
    if peer == "pyvrp":
        return _pyvrp(inst, distance, time_limit_s, seed, inst.vehicles, prize=False)
    if peer == "vroom":
        return _vroom(inst, distance, time_limit_s, inst.vehicles, prize=False)
    raise ValueError(f"unknown peer {peer!r}")


def solve_toptw(peer: str, inst: Instance, distance: np.ndarray, vehicles: int, time_limit_s: float, seed: int) -> list[list[int]]:
    """Routes from one peer for an orienteering instance with k vehicles."""
    if peer in ("ours", "ortools"):
        problem = orienteering_problem(inst, distance, vehicles)
        method = "ours" if peer == "ours" else "plain"
        sol = vrptw.solve_toptw(problem, time_limit_s=time_limit_s, seed=seed, method=method)
        return [list(r) for r in sol.routes]
    if peer == "pyvrp":
        return _pyvrp(inst, distance, time_limit_s, seed, vehicles, prize=True)
    if peer == "vroom":
        return _vroom(inst, distance, time_limit_s, vehicles, prize=True)
    raise ValueError(f"unknown peer {peer!r}")


def _pyvrp(inst: Instance, distance: np.ndarray, time_limit_s: float, seed: int, vehicles: int, prize: bool):
    """PyVRP's hybrid genetic search; with prize=True clients are optional and carry their prize."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    model = pyvrp.Model()
    locs = [model.add_location(x, y) for x, y in inst.coords]
    depot = model.add_depot(locs[0], tw_early=inst.ready[0], tw_late=inst.due[0])
    if prize:
        # Prize-collecting: a prize point is worth 100 distance units (tenths), far above any detour
        # here; a lexicographic weight as large as ours makes PyVRP's penalty manager give up.
        weight = 1000
        model.add_vehicle_type(vehicles, capacity=[0], start_depot=depot, end_depot=depot,
                               tw_early=inst.ready[0], tw_late=inst.due[0])
    else:
        model.add_vehicle_type(vehicles, capacity=[inst.capacity], start_depot=depot, end_depot=depot,
                               tw_early=inst.ready[0], tw_late=inst.due[0])
    for c in range(1, len(inst.coords)):
        model.add_client(
            locs[c],
            delivery=[0 if prize else inst.demand[c]],
            service_duration=inst.service[c],
            tw_early=inst.ready[c],
            tw_late=inst.due[c],
            prize=(inst.prize[c] * weight) if prize else 0,
            required=not prize,
        )
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                model.add_edge(a, b, int(distance[i, j]), int(distance[i, j]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PenaltyBoundWarning on some prize runs; routes are checked anyway
        result = model.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    if not result.is_feasible():
        return []
    # Activities name clients by their 0-based client index; customer numbers start at 1.
    return [[a.idx + 1 for a in route if a.is_client()] for route in result.best.routes()]


def _vroom(inst: Instance, distance: np.ndarray, time_limit_s: float, vehicles: int, prize: bool):
    """VROOM at its highest exploration level on one thread; prizes become job priorities (0-100)."""
    import vroom

    problem = vroom.Input()
    matrix = distance.astype(np.uint32)
    problem.set_durations_matrix("car", matrix)
    problem.set_costs_matrix("car", matrix)
    window = vroom.TimeWindow(inst.ready[0], inst.due[0])
    for v in range(vehicles):
        cap = [0] if prize else [inst.capacity]
        problem.add_vehicle(vroom.Vehicle(v + 1, start=0, end=0, capacity=cap, time_window=window))
    top = max(inst.prize[1:]) if prize else 0
    for c in range(1, len(inst.coords)):
        problem.add_job(vroom.Job(
            c, location=c, default_service=inst.service[c],
            delivery=[0 if prize else inst.demand[c]],
            time_windows=[vroom.TimeWindow(inst.ready[c], inst.due[c])],
            priority=round(100 * inst.prize[c] / top) if prize else 0,
        ))
    solution = problem.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=time_limit_s))
    routes: dict[int, list[int]] = {}
    frame = solution.routes
    for vehicle, kind, job in zip(frame["vehicle_id"], frame["type"], frame["id"]):
        if kind == "job":
            routes.setdefault(int(vehicle), []).append(int(job))
    return [routes[v] for v in sorted(routes)]
