"""Our routing core for the classic problems: VRPTW (min distance) and team orienteering with windows.

Both solvers work on whole numbers (scale distances x10 to keep the DIMACS one-decimal truncation
exact), take a time limit and a seed, and return plain frozen dataclasses; only this module touches
OR-Tools types.  What makes them better than a plain OR-Tools model (guided local search):

- A ruin-and-recreate search of our own, SISR (Christiaens & Vanden Berghe 2020): remove strings of
  nearby customers from a few routes, reinsert them greedily in a random order at their cheapest
  feasible position (a fresh route is one of the positions), accept by simulated annealing.  Each
  route caches its earliest and latest service starts, so an insertion is checked in O(1) and only
  the positions whose times can fit are scanned.
- VRPTW: SISR for 95 % of the budget, then OR-Tools guided local search from the best routes
  (ReadAssignmentFromRoutes + SolveFromAssignmentWithParameters) for the rest.
- Orienteering: a prize-per-time insertion heuristic, SISR where every unserved customer is offered
  for insertion after each ruin (prize first, distance second), then OR-Tools local search with
  disjunction penalties = scaled prizes from the best routes.
- OR-Tools' built-in iterated local search (use_iterated_local_search, 9.15) was tried first: on
  this build it stops after the first descent, so it is not used.

Reproducible runs: `max_iterations` fixes the number of SISR moves (the time limit then only caps
it) and the OR-Tools polish becomes a plain descent, which ends by itself.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic


class RoutingInputError(ValueError):
    """Raised for an inconsistent routing problem, naming what is wrong."""


@dataclass(frozen=True, eq=False)
class VrptwProblem:
    """A capacitated VRP with time windows on integer data; node 0 is the depot."""

    distance: np.ndarray  # (n, n) integers; travel time equals distance
    demand: Sequence[int]
    capacity: int
    ready: Sequence[int]  # earliest service start (depot: earliest departure)
    due: Sequence[int]  # latest service start (depot: latest return)
    service: Sequence[int]
    num_vehicles: int

    def __post_init__(self):
        _check_common(self.distance, self.ready, self.due, self.service, self.num_vehicles)
        n = len(self.distance)
        if len(self.demand) != n:
            raise RoutingInputError(f"demand has {len(self.demand)} entries, expected {n}")
        for i, q in enumerate(self.demand):
            if q > self.capacity:
                raise RoutingInputError(f"customer {i}: demand {q} exceeds capacity {self.capacity}")


@dataclass(frozen=True, eq=False)
class OrienteeringProblem:
    """Team orienteering with time windows on integer data; node 0 is the depot."""

    distance: np.ndarray
    prize: Sequence[int]
    ready: Sequence[int]
    due: Sequence[int]  # latest service start; due[0] is the latest return (max route duration)
    service: Sequence[int]
    num_vehicles: int

    def __post_init__(self):
        _check_common(self.distance, self.ready, self.due, self.service, self.num_vehicles)
        if len(self.prize) != len(self.distance):
            raise RoutingInputError(f"prize has {len(self.prize)} entries, expected {len(self.distance)}")


@dataclass(frozen=True)
class RoutingSolution:
    """Routes as lists of customer node numbers (depot left out), with their totals."""

    routes: tuple[tuple[int, ...], ...]
    distance: int
    prize: int = 0
    elapsed_s: float = 0.0
    history: tuple[tuple[float, int], ...] = field(default=(), repr=False)  # (seconds, objective)


def _check_common(distance, ready, due, service, num_vehicles):
    d = np.asarray(distance)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 1:
        raise RoutingInputError(f"distance must be a square matrix, got shape {d.shape}")
    if not np.issubdtype(d.dtype, np.integer):
        raise RoutingInputError("distance must hold integers (scale before solving)")
    if (d < 0).any():
        raise RoutingInputError("distance has a negative entry")
    n = d.shape[0]
    for name, seq in (("ready", ready), ("due", due), ("service", service)):
        if len(seq) != n:
            raise RoutingInputError(f"{name} has {len(seq)} entries, expected {n}")
    for i in range(n):
        if due[i] < ready[i]:
            raise RoutingInputError(f"node {i}: window ends ({due[i]}) before it opens ({ready[i]})")
    if num_vehicles < 1:
        raise RoutingInputError("num_vehicles must be at least 1")


def route_distance(distance: np.ndarray, route: Sequence[int]) -> int:
    """Length of depot -> route -> depot."""
    path = [0, *route, 0]
    return int(sum(int(distance[a, b]) for a, b in zip(path, path[1:])))


def route_schedule(problem, route: Sequence[int]) -> list[int] | None:
    """Earliest service starts along a route, or None when a window or the depot close is missed."""
    d = problem.distance
    t, prev, starts = int(problem.ready[0]), 0, []
    for node in route:
        t = max(t + int(problem.service[prev]) + int(d[prev, node]), int(problem.ready[node]))
        if t > problem.due[node]:
            return None
        starts.append(t)
        prev = node
    if t + int(problem.service[prev]) + int(d[prev, 0]) > problem.due[0]:
        return None
    return starts


# ---------------------------------------------------------------- OR-Tools model


class _Model:
    """One OR-Tools routing model of a problem, with customers renumbered by a seed permutation."""

    def __init__(self, problem, seed: int, orienteering: bool, prize_weight: int = 0):
        n = len(problem.distance)
        order = list(range(1, n))
        if seed:
            random.Random(seed).shuffle(order)
        self.to_node = [0, *order]  # model index position -> problem node
        self.problem = problem
        d = np.asarray(problem.distance, dtype=np.int64)[np.ix_(self.to_node, self.to_node)]
        service = [int(problem.service[v]) for v in self.to_node]
        ready = [int(problem.ready[v]) for v in self.to_node]
        due = [int(problem.due[v]) for v in self.to_node]
        self.manager = pywrapcp.RoutingIndexManager(n, problem.num_vehicles, 0)
        routing = pywrapcp.RoutingModel(self.manager)
        self.routing = routing
        dist_rows = d.tolist()
        transit_rows = (d + np.asarray(service, dtype=np.int64)[:, None]).tolist()
        m = self.manager

        def dist_cb(i, j):
            return dist_rows[m.IndexToNode(i)][m.IndexToNode(j)]

        def time_cb(i, j):
            return transit_rows[m.IndexToNode(i)][m.IndexToNode(j)]

        self._callbacks = (dist_cb, time_cb)  # keep Python callables alive
        dist_idx = routing.RegisterTransitCallback(dist_cb)
        time_idx = routing.RegisterTransitCallback(time_cb)
        routing.SetArcCostEvaluatorOfAllVehicles(dist_idx)
        horizon = due[0]
        routing.AddDimension(time_idx, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for pos in range(1, n):
            time_dim.CumulVar(m.NodeToIndex(pos)).SetRange(ready[pos], due[pos])
        for v in range(problem.num_vehicles):
            time_dim.CumulVar(routing.Start(v)).SetRange(ready[0], due[0])
            time_dim.CumulVar(routing.End(v)).SetRange(ready[0], due[0])
        if orienteering:
            prize = [int(problem.prize[v]) for v in self.to_node]
            for pos in range(1, n):
                routing.AddDisjunction([m.NodeToIndex(pos)], prize[pos] * prize_weight)
        else:
            demand = [int(problem.demand[v]) for v in self.to_node]

            def demand_cb(i):
                return demand[m.IndexToNode(i)]

            self._callbacks += (demand_cb,)
            dem_idx = routing.RegisterUnaryTransitCallback(demand_cb)
            routing.AddDimensionWithVehicleCapacity(
                dem_idx, 0, [int(problem.capacity)] * problem.num_vehicles, True, "load"
            )
        self.pos_of = {node: pos for pos, node in enumerate(self.to_node)}

    def routes_of(self, assignment) -> tuple[tuple[int, ...], ...]:
        """Routes of an assignment as problem node numbers."""
        routing, m, out = self.routing, self.manager, []
        for v in range(self.problem.num_vehicles):
            idx, route = routing.Start(v), []
            idx = assignment.Value(routing.NextVar(idx))
            while not routing.IsEnd(idx):
                route.append(self.to_node[m.IndexToNode(idx)])
                idx = assignment.Value(routing.NextVar(idx))
            if route:
                out.append(tuple(route))
        return tuple(out)

    def assignment_from(self, routes):
        """An OR-Tools assignment for the given routes (problem node numbers), or None."""
        rows = [[self.pos_of[v] for v in r] for r in routes]
        rows += [[] for _ in range(self.problem.num_vehicles - len(rows))]
        self.routing.CloseModelWithParameters(self._params_for_close)
        return self.routing.ReadAssignmentFromRoutes(rows, True)

    def search(self, params, initial_routes=None):
        """Solve with params, optionally from initial routes; return routes or None."""
        self._params_for_close = params
        routing = self.routing
        if initial_routes:
            start = self.assignment_from(initial_routes)
            if start is None:
                return None
            sol = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            sol = routing.SolveWithParameters(params)
        return None if sol is None else self.routes_of(sol)


def _params(
    time_limit_s: float,
    first: int = FSS.PATH_CHEAPEST_ARC,
    meta: str = "gls",
    solution_limit: int | None = None,
):
    """Search parameters: guided local search ('gls') or plain descent ('descent')."""
    p = pywrapcp.DefaultRoutingSearchParameters()
    p.first_solution_strategy = first
    if meta == "gls":
        p.local_search_metaheuristic = LSM.GUIDED_LOCAL_SEARCH
    else:
        p.local_search_metaheuristic = LSM.GREEDY_DESCENT
    if time_limit_s is not None:
        p.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if solution_limit:
        p.solution_limit = solution_limit
    return p


# ---------------------------------------------------------------- ruin and recreate (SISR)


class _Route:
    """A route with cached earliest/latest service starts, so an insertion is checked in O(1)."""

    __slots__ = ("nodes", "path", "early", "late", "load", "length")

    def __init__(self, nodes, early, late, load, length):
        self.nodes, self.early, self.late, self.load, self.length = nodes, early, late, load, length
        self.path = [0, *nodes, 0]


class _Sisr:
    """Slack induction by string removals (Christiaens & Vanden Berghe 2020) with simulated annealing.

    Works for both problems: with prizes, unserved customers are allowed and the objective is
    prize first, distance second; without, every customer must be served and distance is minimised.
    """

    def __init__(self, problem, rng: random.Random, prizes: Sequence[int] | None):
        d = np.asarray(problem.distance, dtype=np.int64)
        self.n = len(d)
        self.d = d.tolist()
        self.dt = d.T.tolist()
        self.ready = [int(x) for x in problem.ready]
        self.due = [int(x) for x in problem.due]
        self.svc = [int(x) for x in problem.service]
        self.demand = [int(x) for x in getattr(problem, "demand", [0] * self.n)]
        self.cap = int(getattr(problem, "capacity", 0)) or sum(self.demand) + 1
        self.k = int(problem.num_vehicles)
        self.prizes = [int(p) for p in prizes] if prizes is not None else None
        self.rng = rng
        # Neighbours of every customer by distance (itself first), for picking nearby strings.
        order = np.argsort(d[1:, 1:] + d[1:, 1:].T, axis=1, kind="stable") + 1
        self.adj = [[]] + order.tolist()
        # Customers that can be served at all (depot -> c -> depot inside the windows).
        self.servable = [c for c in range(1, self.n) if self._alone_ok(c)]
        self.prize_weight = int(d.max()) * (self.n + 1) * max(1, self.k) + 1

    def _alone_ok(self, c: int) -> bool:
        a = max(self.ready[c], self.ready[0] + self.d[0][c])
        return a <= self.due[c] and a + self.svc[c] + self.d[c][0] <= self.due[0] and self.demand[c] <= self.cap

    def make_route(self, nodes: list[int]) -> _Route:
        d, svc, ready, due, demand = self.d, self.svc, self.ready, self.due, self.demand
        m = len(nodes)
        early = [0] * (m + 2)
        early[0] = ready[0]
        prev, t, length, load = 0, ready[0], 0, 0
        for k, v in enumerate(nodes, 1):
            dpv = d[prev][v]
            t = t + svc[prev] + dpv
            length += dpv
            load += demand[v]
            if t < ready[v]:
                t = ready[v]
            early[k] = t
            prev = v
        length += d[prev][0]
        early[m + 1] = t + svc[prev] + d[prev][0]
        late = [0] * (m + 2)
        late[m + 1] = due[0]
        nxt = 0
        t = due[0]
        for k in range(m, 0, -1):
            v = nodes[k - 1]
            t = t - d[v][nxt] - svc[v]
            if t > due[v]:
                t = due[v]
            late[k] = t
            nxt = v
        late[0] = t - d[0][nxt] - svc[0] if m else due[0]
        return _Route(nodes, early, late, load, length)

    def insert(self, route: _Route, k: int, c: int, delta: int) -> _Route:
        """Route with c inserted after position k: only the schedules that change are recomputed."""
        d, svc, ready, due = self.d, self.svc, self.ready, self.due
        nodes = route.nodes[:k] + [c] + route.nodes[k:]
        path = [0, *nodes, 0]
        m = len(nodes)
        early = route.early[: k + 1] + [0] * (m + 1 - k)
        t, prev = early[k], path[k]
        for i in range(k + 1, m + 2):
            v = path[i]
            t = t + svc[prev] + d[prev][v]
            if t < ready[v]:
                t = ready[v]
            early[i] = t
            prev = v
        late = [0] * (k + 2) + route.late[k + 1 :]
        t, nxt = late[k + 2], path[k + 2]
        for i in range(k + 1, 0, -1):
            v = path[i]
            t = t - d[v][nxt] - svc[v]
            if t > due[v]:
                t = due[v]
            late[i] = t
            nxt = v
        late[0] = t - d[0][nxt] - svc[0]
        return _Route(nodes, early, late, route.load + self.demand[c], route.length + delta)

    def best_insertion(self, routes: list[_Route], v: int):
        """Cheapest feasible (delta, route index, position) for customer v, or None."""
        d, svc = self.d, self.svc
        to_v = self.dt[v]  # to_v[u] = d[u][v], one lookup instead of two
        dv, rv, duev, sv, qv, cap = d[v], self.ready[v], self.due[v], self.svc[v], self.demand[v], self.cap
        best, best_delta = None, None
        need = rv + sv
        for ri, route in enumerate(routes):
            if route.load + qv > cap:
                continue
            early, late = route.early, route.late
            path = route.path
            # Both schedules are non-decreasing along a route, so only a slice of positions can
            # fit v: after the next stop's latest start allows v's window, before v's window closes.
            lo = bisect.bisect_left(late, need, 1) - 1
            hi = bisect.bisect_right(early, duev, 0, len(path) - 1)
            for k in range(lo, hi):
                prev = path[k]
                nxt = path[k + 1]
                dpv = to_v[prev]
                a = early[k] + svc[prev] + dpv
                if a > duev:
                    break
                if a < rv:
                    a = rv
                dvn = dv[nxt]
                if a + sv + dvn <= late[k + 1]:
                    delta = dpv + dvn - d[prev][nxt]
                    if best_delta is None or delta < best_delta:
                        best_delta, best = delta, (ri, k)
        return None if best is None else (best_delta, best[0], best[1])

    # -- objective: lower is better
    def cost(self, routes: list[_Route], unserved: int, prize: int) -> int:
        dist = sum(r.length for r in routes)
        if self.prizes is None:
            return dist + unserved * self.prize_weight
        return dist - prize * self.prize_weight

    def ruin(self, routes: list[_Route], where: dict[int, int], avg_removed: int, max_string: int) -> list[int]:
        """Remove strings of customers from routes near a random seed customer (SISR)."""
        rng = self.rng
        served = [c for c in where]
        if not served:
            return []
        avg_len = len(served) / max(1, len(routes))
        ls_max = min(max_string, avg_len)
        ks_max = 4 * avg_removed / (1 + ls_max) - 1
        ks = int(rng.uniform(1, ks_max + 1))
        seed = served[rng.randrange(len(served))]
        removed: list[int] = []
        ruined: set[int] = set()
        for c in self.adj[seed]:
            if len(ruined) >= ks:
                break
            ri = where.get(c)
            if ri is None or ri in ruined:
                continue
            route = routes[ri]
            nodes = route.nodes
            lt_max = min(len(nodes), ls_max)
            lt = int(rng.uniform(1, lt_max + 1))
            pos = nodes.index(c)
            if rng.random() < 0.5 or lt == len(nodes):
                start = rng.randint(max(0, pos - lt + 1), min(pos, len(nodes) - lt))
                gone = nodes[start : start + lt]
            else:  # split string: remove lt of a longer window, keeping m in the middle
                m = 1
                while lt + m < len(nodes) and rng.random() > 0.01 * rng.random():
                    m += 1
                    if rng.random() < 0.5:
                        break
                span = lt + m
                start = rng.randint(max(0, pos - span + 1), min(pos, len(nodes) - span))
                keep = rng.randint(start, start + lt)
                window = range(start, start + span)
                gone = [nodes[i] for i in window if not keep <= i < keep + m]
            gone_set = set(gone)
            routes[ri] = self.make_route([x for x in nodes if x not in gone_set])
            for x in gone:
                del where[x]
            removed.extend(gone)
            ruined.add(ri)
        return removed

    def recreate(self, routes: list[_Route], where: dict[int, int], todo: list[int]) -> list[int]:
        """Greedy cheapest insertion in a random sort order; returns customers left out."""
        rng = self.rng
        pick = rng.random()
        if self.prizes is not None:
            p = self.prizes
            if pick < 0.4:
                rng.shuffle(todo)
            elif pick < 0.8:
                todo.sort(key=lambda c: (-p[c] / (1 + self.d[0][c] + self.svc[c]), c))
            else:
                todo.sort(key=lambda c: (-p[c], c))
        elif pick < 4 / 11:
            rng.shuffle(todo)
        elif pick < 8 / 11:
            todo.sort(key=lambda c: -self.demand[c])
        elif pick < 10 / 11:
            todo.sort(key=lambda c: -self.d[0][c])
        else:
            todo.sort(key=lambda c: self.d[0][c])
        left = []
        d0 = self.d[0]
        for c in todo:
            found = self.best_insertion(routes, c)
            # A fresh route is an insertion too (vehicles are free): depot -> c -> depot.
            if len(routes) < self.k and self._alone_ok(c) and (found is None or d0[c] + self.d[c][0] < found[0]):
                routes.append(self.make_route([c]))
                where[c] = len(routes) - 1
            elif found is not None:
                delta, ri, k = found
                routes[ri] = self.insert(routes[ri], k, c, delta)
                where[c] = ri
            else:
                left.append(c)
        return left

    def run(self, start: list[list[int]], *, deadline: float, max_iterations: int | None,
            t_start: float, t_end: float, avg_removed: int = 10, max_string: int = 10, on_best=None):
        """Simulated annealing over ruin-and-recreate moves from a start solution; returns best routes."""
        rng = self.rng
        routes = [self.make_route(list(r)) for r in start if r]
        where = {c: ri for ri, r in enumerate(routes) for c in r.nodes}
        unrouted = [c for c in self.servable if c not in where]
        unrouted = self.recreate(routes, where, unrouted)
        pz = self.prizes
        prize = sum(pz[c] for c in where) if pz else 0
        cur = self.cost(routes, len(unrouted), prize)
        best, best_routes = cur, [r.nodes[:] for r in routes]
        t0 = time.monotonic()
        total = deadline - t0
        it = 0
        while True:
            if max_iterations is not None:
                if it >= max_iterations:
                    break
                frac = it / max_iterations
            else:
                now = time.monotonic()
                if now >= deadline:
                    break
                frac = (now - t0) / total if total > 0 else 1.0
            it += 1
            temp = t_start * (t_end / t_start) ** frac
            new_routes = routes[:]
            new_where = dict(where)
            removed = self.ruin(new_routes, new_where, avg_removed, max_string)
            if pz is not None and rng.random() < 0.5:
                # Prize mode: offer the unserved customers before the ones just removed, or greedy
                # recreate mostly puts the same customers back and the search never moves.
                left = self.recreate(new_routes, new_where, unrouted[:])
                left += self.recreate(new_routes, new_where, removed)
            else:
                left = self.recreate(new_routes, new_where, removed + unrouted)
            if any(not r.nodes for r in new_routes):
                new_routes = [r for r in new_routes if r.nodes]
                new_where = {c: ri for ri, r in enumerate(new_routes) for c in r.nodes}
            new_prize = sum(pz[c] for c in new_where) if pz else 0
            cost = self.cost(new_routes, len(left), new_prize)
            # Accept worse solutions by the SISR rule: cost < current - T ln U.
            if cost <= cur or cost < cur - temp * math.log(1.0 - rng.random()):
                routes, where, unrouted, cur = new_routes, new_where, left, cost
                if cost < best:
                    best, best_routes = cost, [r.nodes[:] for r in routes]
                    if on_best:
                        on_best(best_routes)
        self.iterations = it
        return best_routes


# ---------------------------------------------------------------- VRPTW


def vrptw_cost(problem: VrptwProblem, routes) -> int:
    """Total distance of a set of routes."""
    return sum(route_distance(problem.distance, r) for r in routes)


def _avg_edge(problem) -> float:
    """Mean distance to the nearest few neighbours: the natural temperature unit."""
    d = np.asarray(problem.distance, dtype=float)
    k = min(5, len(d) - 1)
    if k < 1:
        return 1.0
    near = np.sort(d + np.diag(np.full(len(d), np.inf)), axis=1)[:, :k]
    return max(1.0, float(near.mean()))


def solve_vrptw(
    problem: VrptwProblem,
    *,
    time_limit_s: float,
    seed: int = 0,
    max_iterations: int | None = None,
    method: str = "ours",
    polish: bool = True,
    progress: Callable[[float, int], None] | None = None,
) -> RoutingSolution:
    """Minimise total distance with vehicles free.

    method 'ours': SISR ruin-and-recreate with simulated annealing, then an OR-Tools polish;
    max_iterations makes a run reproducible (the time limit then only caps it).
    method 'plain': the OR-Tools baseline (two first solutions + guided local search, better of two).
    """
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    history: list[tuple[float, int]] = []
    best: tuple[tuple[int, ...], ...] | None = None
    best_cost = math.inf

    def note(routes):
        nonlocal best, best_cost
        if not routes:
            return
        routes = tuple(tuple(r) for r in routes if r)
        cost = vrptw_cost(problem, routes)
        if cost < best_cost and _vrptw_feasible(problem, routes):
            best, best_cost = routes, cost
            history.append((round(time.monotonic() - t0, 2), cost))
            if progress:
                progress(time.monotonic() - t0, cost)

    if method == "plain":
        for first in (FSS.LOCAL_CHEAPEST_INSERTION, FSS.PATH_CHEAPEST_ARC):
            note(_Model(problem, 0, False).search(_params(time_limit_s / 2, first, "gls")))
    elif method == "ours":
        engine = _Sisr(problem, random.Random(seed), None)
        lost = sorted(set(range(1, len(problem.distance))) - set(engine.servable))
        if lost:
            raise RoutingInputError(f"customers {lost[:10]} cannot be served even alone (window or capacity)")
        unit = _avg_edge(problem)
        # Temperatures in units of the mean near-neighbour distance; measured on Solomon R2/RC1
        # (60k iterations): 5 -> 0.05 was the best compromise between 3 -> 0.03 and 10 -> 0.1.
        polish_s = 0.05 * time_limit_s if polish and max_iterations is None else 0.0
        routes = engine.run(
            [], deadline=deadline - polish_s, max_iterations=max_iterations,
            t_start=5 * unit, t_end=0.05 * unit,
            on_best=(lambda r: progress(time.monotonic() - t0, vrptw_cost(problem, r))) if progress else None,
        )
        note(routes)
        if polish and best is not None:
            # OR-Tools' own moves (2-opt*, cross, relocate chains) sometimes shave the last bit;
            # a reproducible run uses plain descent, which ends by itself.
            model = _Model(problem, 0, False)
            if max_iterations is None:
                left = deadline - time.monotonic()
                if left > 0.2:
                    note(model.search(_params(left, FSS.PATH_CHEAPEST_ARC, "gls"), best))
            else:
                note(model.search(_params(max(1.0, deadline - time.monotonic()), FSS.PATH_CHEAPEST_ARC, "descent"), best))
    else:
        raise RoutingInputError(f"unknown method {method!r} (use 'ours' or 'plain')")
    elapsed = time.monotonic() - t0
    if best is None:
        return RoutingSolution((), 0, 0, elapsed, tuple(history))
    return RoutingSolution(best, int(best_cost), 0, elapsed, tuple(history))


def _vrptw_feasible(problem: VrptwProblem, routes) -> bool:
    """Cheap self-check: capacity, windows, every customer once."""
    seen = [v for r in routes for v in r]
    if sorted(seen) != list(range(1, len(problem.distance))) or len(routes) > problem.num_vehicles:
        return False
    return all(
        sum(problem.demand[v] for v in r) <= problem.capacity and route_schedule(problem, r) is not None
        for r in routes
    )


# ---------------------------------------------------------------- team orienteering with time windows


def solve_toptw(
    problem: OrienteeringProblem,
    *,
    time_limit_s: float,
    seed: int = 0,
    max_iterations: int | None = None,
    method: str = "ours",
    progress: Callable[[float, int], None] | None = None,
) -> RoutingSolution:
    """Maximise collected prize (then minimise distance) with k routes inside the windows.

    method 'ours': prize-per-time insertion, SISR ruin-and-recreate with simulated annealing,
    then an OR-Tools polish with disjunction penalties = scaled prizes.
    method 'plain': the OR-Tools baseline (disjunctions + guided local search).
    """
    t0 = time.monotonic()
    deadline = t0 + time_limit_s
    prizes = [int(p) for p in problem.prize]
    engine = _Sisr(problem, random.Random(seed), prizes)
    weight = engine.prize_weight
    history: list[tuple[float, int]] = []
    best: tuple[tuple[int, ...], ...] = ()
    best_key = (0, 0)  # (prize, -distance), larger is better

    def note(routes):
        nonlocal best, best_key
        if routes is None:
            return
        routes = tuple(tuple(r) for r in routes if r)
        if not _toptw_feasible(problem, routes):
            return
        key = (sum(prizes[v] for r in routes for v in r), -sum(route_distance(problem.distance, r) for r in routes))
        if key > best_key or not best:
            best, best_key = routes, key
            history.append((round(time.monotonic() - t0, 2), key[0]))
            if progress:
                progress(time.monotonic() - t0, key[0])

    if method == "plain":
        note(_Model(problem, 0, True, weight).search(_params(time_limit_s, FSS.AUTOMATIC, "gls")))
    elif method == "ours":
        note(_prize_per_time_routes(engine))
        polish_s = 0.1 * time_limit_s if max_iterations is None else 0.0
        unit = float(weight)
        note(engine.run(
            list(best), deadline=deadline - polish_s, max_iterations=max_iterations,
            t_start=3 * unit, t_end=0.05 * unit, avg_removed=10, max_string=10,
        ))
        left = deadline - time.monotonic()
        if best and max_iterations is None and left > 0.2:
            model = _Model(problem, 0, True, weight)
            note(model.search(_params(left, FSS.PATH_CHEAPEST_ARC, "gls"), best))
        elif best and max_iterations is not None:
            model = _Model(problem, 0, True, weight)
            note(model.search(_params(max(1.0, left), FSS.PATH_CHEAPEST_ARC, "descent"), best))
    else:
        raise RoutingInputError(f"unknown method {method!r} (use 'ours' or 'plain')")
    elapsed = time.monotonic() - t0
    dist = -best_key[1] if best else 0
    return RoutingSolution(best, dist, best_key[0], elapsed, tuple(history))


def _prize_per_time_routes(engine: _Sisr) -> list[list[int]]:
    """Greedy construction: repeatedly insert the customer with the best prize per added time."""
    routes = [engine.make_route([]) for _ in range(engine.k)]
    todo = set(engine.servable)
    prizes, svc = engine.prizes, engine.svc
    while todo:
        best = None
        for c in sorted(todo):
            found = engine.best_insertion(routes, c)
            if found is None:
                continue
            delta, ri, k = found
            ratio = prizes[c] / (1 + delta + svc[c])
            if best is None or ratio > best[0]:
                best = (ratio, c, ri, k)
        if best is None:
            break
        _, c, ri, k = best
        nodes = routes[ri].nodes
        routes[ri] = engine.make_route(nodes[:k] + [c] + nodes[k:])
        todo.discard(c)
    return [r.nodes for r in routes if r.nodes]


def _toptw_feasible(problem: OrienteeringProblem, routes) -> bool:
    """Cheap self-check: windows, route duration, each customer at most once, at most k routes."""
    seen = [v for r in routes for v in r]
    if len(seen) != len(set(seen)) or len(routes) > problem.num_vehicles or 0 in seen:
        return False
    return all(route_schedule(problem, r) is not None for r in routes)
