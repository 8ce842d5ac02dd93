"""upper_bound(): the most requests (and people) that ANY plan obeying the rules could serve.

Why: a plan's figures mean little without the ceiling. A coordinator asks "could another plan reach many more
venues?", and a benchmark that compares engines needs to know when a target is out of reach for every
rule-abiding plan (bench/tour.py: VROOM's raw counts at 1,000 and 2,000 requests are above it).

How: a linear relaxation solved with OR-Tools GLOP. Each working date has one place per team (a team-day).
A team-day holds one request with a slot on that date, or, when `max_events_per_day` is 2, two requests
whose slots let the first event, its teardown, the drive and the second's setup end before the second's
latest start (in that order) with the drive inside the daily cap. Each request is served at most once.

The movement between days is a flow of the teams over (working date, cluster of places). A team's state at
the end of a working date is the cluster of its latest event (its start base before the first) and k, the
number of working dates from that event's date to today, both counted. Its next event, in cluster c' on the
next working date, is allowed only if L(c, c') <= cap x (k + 1), where L is a lower bound of the road
minutes of one leg between any member of c and any member of c'. Valid because two consecutive events of a
team are one leg (check: the drive from the previous visit), whose road minutes are packed into dates from
the first event's date to the second's, never on a day off, at most `cap` per date; those are k + 1 working
dates. L(i, j) = border + min(the road, road to a ferry terminal + road from the other terminal over every
crossing): `check` counts exactly one of these as the leg's driving (the crossing itself is not driving), so
L is never above what check counts, whatever ferry the plan names. A cluster's L is the minimum over member
pairs, so clustering never cuts a move; a state whose every cluster is reachable joins one "anywhere" state.

Left out, so that every plan that `check` accepts is a solution of the relaxation: driving shared between legs
on one date, the hours of a day the drive may use, team pins, team ends. The LP optimum is therefore never
below any such plan's count; rounded down, it is still a bound. With `max_events_per_day` > 2 a team-day
holds up to that many requests with no pairing test and no movement (a weaker bound, still valid); the same
when there are more than MAX_PAIRS pairs, so that a very large season cannot exhaust memory.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .ferries import crossings
from .instance import Instance
from .model import Model
from .travel import road_leg

MAX_PAIRS = 800_000
MAX_CLUSTERS = 96  # places of the movement flow: a few hundred km across on a continental season


@dataclass(frozen=True)
class Bound:
    """Ceilings for one instance: requests served and audience reached by any rule-abiding plan."""

    served: int
    audience: int
    team_days: int  # working dates x teams: the places the relaxation fills
    pairs: int  # request pairs that fit one team-day, as the relaxation used them (0 in the weaker bound)
    clusters: int = 0  # clusters of places in the movement flow (0: the drives between days left out)


def upper_bound(instance: Instance, *, matrix=None, model: Model | None = None, movement: bool = True) -> Bound:
    """Bounds on served requests and on audience (one LP, solved for each of the two objectives).

    `movement=False` leaves the drives between days out (the earlier, looser ceiling; kept for comparison).
    """
    m = model or Model(instance, matrix)
    columns = _team_day_columns(m)
    weak = m.max_events > 2 or sum(len(pairs) for _d, _singles, pairs, _order in columns) > MAX_PAIRS
    working = sum(1 for d in range(m.days) if not m.off[d])
    audience = np.array([r.audience for r in instance.requests], dtype=float)
    if weak or not movement:
        per_team_day = m.max_events if weak else 1
        if weak:
            columns = [(d, s, np.empty((0, 2), dtype=np.int64), np.empty((0, 2), dtype=bool))
                       for d, s, _p, _o in columns]
        lp = _TeamDayLP(m, columns, per_team_day)
        clusters = 0
    else:
        lp = _SeasonFlowLP(m, columns)
        clusters = lp.clusters
    served = lp.maximize(np.ones(m.n))
    best_audience = lp.maximize(audience)
    return Bound(served=_floor(served), audience=_floor(best_audience), team_days=working * m.nt,
                 pairs=sum(len(pairs) for _d, _singles, pairs, _order in columns), clusters=clusters)


def _floor(x: float) -> int:
    return int(math.floor(x + 1e-6))


def _team_day_columns(m: Model):
    """Per date: the requests with a slot then, the pairs that fit one team then, and in which order they fit."""
    by_date: dict[int, list[tuple[int, int, int]]] = {}
    for i, slots in enumerate(m.slots):
        for d, lo, hi in slots:
            by_date.setdefault(d, []).append((i, lo, hi))
    minutes = m.minutes
    duration = np.array(m.duration, dtype=np.int64)
    columns = []
    for d in sorted(by_date):
        items = by_date[d]
        idx = np.array([x[0] for x in items])
        lo = np.array([x[1] for x in items], dtype=np.int64)
        hi = np.array([x[2] for x in items], dtype=np.int64)
        pairs, order = np.empty((0, 2), dtype=np.int64), np.empty((0, 2), dtype=bool)
        if m.max_events == 2 and len(idx) > 1:
            drive = minutes[np.ix_(idx, idx)]
            first_then = (lo[:, None] + duration[idx][:, None] + m.teardown + drive + m.setup <= hi[None, :])
            driving = m.travel.driving[np.ix_(idx, idx)]  # the daily cap counts road minutes, not a crossing
            fits = first_then & (driving <= m.cap) & (idx[:, None] != idx[None, :])  # two windows on one date
            a, b = np.nonzero(np.triu(fits | fits.T, 1))
            pairs = np.stack([idx[a], idx[b]], axis=1)
            order = np.stack([fits[a, b], fits[b, a]], axis=1)  # a then b fits; b then a fits
        columns.append((d, np.unique(idx), pairs, order))
    return columns


class _TeamDayLP:
    """The relaxation without movement: a column per (date, request) and per (date, pair); rows: each request
    once, team-days."""

    def __init__(self, m: Model, columns, per_team_day: int):
        from ortools.linear_solver import pywraplp

        self.solver = solver = pywraplp.Solver.CreateSolver("GLOP")
        once = [solver.Constraint(0, 1) for _ in range(m.n)]
        self.columns = []  # (variable, its requests)
        for _d, singles, pairs, _order in columns:
            team_days = solver.Constraint(0, m.nt * per_team_day)
            for i in singles.tolist():
                x = solver.NumVar(0, 1, "")
                once[i].SetCoefficient(x, 1)
                team_days.SetCoefficient(x, 1)
                self.columns.append((x, (i,)))
            for a, b in pairs.tolist():
                x = solver.NumVar(0, 1, "")
                once[a].SetCoefficient(x, 1)
                once[b].SetCoefficient(x, 1)
                team_days.SetCoefficient(x, 1)
                self.columns.append((x, (a, b)))

    def maximize(self, weight: np.ndarray) -> float:
        from ortools.linear_solver import pywraplp

        objective = self.solver.Objective()
        objective.SetMaximization()
        w = weight.tolist()
        for x, reqs in self.columns:
            objective.SetCoefficient(x, sum(w[i] for i in reqs))
        status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"the bound's linear program did not solve (GLOP status {status})")
        return objective.Value()


def leg_floor(m: Model) -> np.ndarray:
    """Road minutes no single leg between two points can undercut, whichever road or car ferry it takes.

    Rows: every point of the model (requests, team starts, team ends); columns: the requests.
    """
    n = m.n
    lat, lon = m.lat, m.lon
    floor = np.minimum(m.travel.driving[:, :n], road_leg(lat[:, None], lon[:, None], lat[None, :n], lon[None, :n])[0]
                       + m.travel.border[:, :n]).astype(float)
    for c in crossings():  # any crossing the plan may name: only its road to and from the terminals is driving
        pre = road_leg(lat, lon, c.a.lat, c.a.lon)[0]
        post = road_leg(c.b.lat, c.b.lon, lat[:n], lon[:n])[0]
        np.minimum(floor, pre[:, None] + post[None, :] + m.travel.border[:, :n], out=floor)
    return floor


def cluster_places(lat: np.ndarray, lon: np.ndarray, k: int, iterations: int = 12) -> np.ndarray:
    """k-means on the sphere (deterministic: farthest-point start), a cluster index per place."""
    p = np.radians(np.stack([lat, lon], axis=1))
    xyz = np.stack([np.cos(p[:, 0]) * np.cos(p[:, 1]), np.cos(p[:, 0]) * np.sin(p[:, 1]), np.sin(p[:, 0])], axis=1)
    k = min(k, len(xyz))
    centres = [int(np.argmin(((xyz - xyz.mean(axis=0)) ** 2).sum(axis=1)))]
    gap = ((xyz - xyz[centres[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        centres.append(int(np.argmax(gap)))
        gap = np.minimum(gap, ((xyz - xyz[centres[-1]]) ** 2).sum(axis=1))
    c = xyz[centres]
    label = np.zeros(len(xyz), dtype=np.int64)
    for _ in range(iterations):
        label = np.argmax(xyz @ c.T, axis=1)
        for j in range(k):
            members = xyz[label == j]
            if len(members):
                c[j] = members.mean(axis=0) / np.linalg.norm(members.mean(axis=0))
    _, label = np.unique(label, return_inverse=True)  # no empty clusters
    return label


class _SeasonFlowLP:
    """The relaxation with movement: team-days as above, linked by a flow of teams over (working date, cluster).

    Columns: (date, request), (date, pair); per date and (entry cluster, exit cluster) a count of team-days z;
    flow arcs between a team's state after one working date and its first event on the next. Rows: each
    request once; columns = z per (date, clusters); flow conservation (a team may also stop: outflow <= inflow).
    """

    def __init__(self, m: Model, columns):
        from ortools.linear_solver import linear_solver_pb2

        n, cap = m.n, m.cap
        work = [d for d in range(m.days) if not m.off[d]]
        t_of = {d: t for t, d in enumerate(work)}
        T = len(work)
        served = sorted({i for i, s in enumerate(m.slots) if s})
        label = np.full(n, -1, dtype=np.int64)
        if served:
            label[served] = cluster_places(m.lat[served], m.lon[served], MAX_CLUSTERS)
        C = int(label.max()) + 1 if served else 0
        self.clusters = C
        # L[c, c']: lower bound of one leg's road minutes from cluster c (or team base C + b) into cluster c'
        floor = leg_floor(m)
        starts = [(round(float(m.lat[n + k]), 6), round(float(m.lon[n + k]), 6)) for k in range(m.nt)]
        bases = sorted(set(starts))
        supply = [starts.count(b) for b in bases]
        base_point = [n + starts.index(b) for b in bases]
        rows = np.concatenate([np.array(served, dtype=np.int64), np.array(base_point, dtype=np.int64)])
        row_label = np.concatenate([label[served], C + np.arange(len(bases))])
        L = np.full((C + len(bases), C), np.inf)
        sub = floor[np.ix_(rows, served)]
        by_column = np.stack([sub[:, label[served] == c].min(axis=1) for c in range(C)], axis=1)
        np.minimum.at(L, row_label, by_column)
        np.fill_diagonal(L[:C], 0.0)
        ecc = L.max(axis=1)
        kfree = np.maximum(0, np.ceil(ecc / cap - 1e-9).astype(np.int64) - 1)  # k with cap (k + 1) >= ecc

        self.proto = proto = linear_solver_pb2.MPModelProto()
        proto.maximize = True
        var = proto.variable
        self.events = []  # (first variable, requests per variable as an (count, 2) array, -1 for none)
        terms = defaultdict(list)  # row key -> [(variable, coefficient)]
        nvar = 0

        def new_var():
            nonlocal nvar
            var.add(lower_bound=0.0)
            nvar += 1
            return nvar - 1

        # team-day columns and their (date, entry cluster, exit cluster) groups
        groups = defaultdict(list)  # (t, entry, exit, both orders) -> variables
        entries = defaultdict(set)  # t -> entry clusters with a z
        for d, singles, pairs, order in columns:
            t = t_of[d]
            for i in singles.tolist():
                x = new_var()
                self.events.append((x, i, -1))
                terms[("once", i)].append((x, 1.0))
                groups[(t, label[i], label[i], False)].append(x)
            for (a, b), (ab, ba) in zip(pairs.tolist(), order.tolist()):
                x = new_var()
                self.events.append((x, a, b))
                terms[("once", a)].append((x, 1.0))
                terms[("once", b)].append((x, 1.0))
                ca, cb = int(label[a]), int(label[b])
                if ab and ba:
                    key = (t, min(ca, cb), max(ca, cb), ca != cb)
                elif ab:
                    key = (t, ca, cb, False)
                else:
                    key = (t, cb, ca, False)
                groups[key].append(x)
        exits = defaultdict(list)  # (t, exit cluster) -> z variables
        for (t, ce, cx, both), xs in groups.items():
            for entry, exit_ in ((ce, cx), (cx, ce)) if both else ((ce, cx),):
                z = new_var()
                terms[("group", t, ce, cx, both)].append((z, -1.0))
                terms[("in", t, int(entry))].append((z, 1.0))
                exits[(t, int(exit_))].append(z)
                entries[t].add(int(entry))
            for x in xs:
                terms[("group", t, ce, cx, both)].append((x, 1.0))

        def state(t, c, k):
            """The row of a team's state after working date t: latest event in c, k working dates since."""
            return ("free", t) if k >= kfree[c] else ("wait", t, c, k)

        # a team ends date t in state (c, 1) after events exiting c; bases are states before the first date
        for (t, c), zs in exits.items():
            for z in zs:
                terms[state(t, c, 1)].append((z, -1.0))
        active = defaultdict(set)  # t -> states (c, k) that may hold flow; (-1, -1): anywhere
        for (t, c) in exits:
            active[t].add((c, 1) if 1 < kfree[c] else (-1, -1))
        bounds = {}
        for b, s in enumerate(supply):
            c = C + b
            active[-1].add((c, 0) if 0 < kfree[c] else (-1, -1))
            bounds[state(-1, c, 0)] = bounds.get(state(-1, c, 0), 0) + s
        for t in range(-1, T - 1):
            into = np.array(sorted(entries.get(t + 1, ())), dtype=np.int64)
            for c, k in sorted(active[t]):
                here = ("free", t) if c < 0 else ("wait", t, c, k)
                # no event on t + 1: the team stays in (c, k + 1), or anywhere
                s = new_var()
                terms[here].append((s, 1.0))
                nxt = (-1, -1) if c < 0 or k + 1 >= kfree[c] else (c, k + 1)
                terms[("free", t + 1) if nxt[0] < 0 else ("wait", t + 1, c, k + 1)].append((s, -1.0))
                active[t + 1].add(nxt)
                if not len(into):
                    continue
                reach = into if c < 0 else into[L[c, into] <= cap * (k + 1) + 1e-6]
                for c2 in reach.tolist():
                    g = new_var()
                    terms[here].append((g, 1.0))
                    terms[("in", t + 1, c2)].append((g, -1.0))
        # rows: once <= 1; group == 0; in <= 0 (z entering <= arcs into it); states: out - in <= supply
        for key, row_terms in terms.items():
            kind = key[0]
            ct = proto.constraint.add()
            ct.var_index.extend([v for v, _ in row_terms])
            ct.coefficient.extend([w for _, w in row_terms])
            if kind == "once":
                ct.lower_bound, ct.upper_bound = -math.inf, 1.0
            elif kind == "group":
                ct.lower_bound, ct.upper_bound = 0.0, 0.0
            else:
                ct.lower_bound, ct.upper_bound = -math.inf, float(bounds.get(key, 0))
        self.nvar = nvar

    def maximize(self, weight: np.ndarray) -> float:
        from ortools.linear_solver import linear_solver_pb2
        from ortools.linear_solver.python import model_builder_helper

        w = weight.tolist() + [0.0]
        var = self.proto.variable
        for x, a, b in self.events:
            var[x].objective_coefficient = w[a] + w[b]
        request = linear_solver_pb2.MPModelRequest(
            model=self.proto, solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING)
        raw = model_builder_helper.ModelSolverHelper("glop").solve_serialized_request(request.SerializeToString())
        response = linear_solver_pb2.MPSolutionResponse.FromString(raw)
        if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
            raise RuntimeError(f"the bound's linear program did not solve (GLOP status {response.status})")
        return response.objective_value
