"""upper_bound(): the most requests (and people) that ANY plan obeying the rules could serve.

Why: a plan's figures mean little without the ceiling. A coordinator asks "could another plan reach many more
venues?", and a benchmark that compares engines needs to know when a target is out of reach for every
rule-abiding plan (bench/tour.py: VROOM's raw counts at 1,000 and 2,000 requests are above it).

How: a linear relaxation solved with OR-Tools GLOP. Each working date has one place per team (a team-day).
A team-day holds one request with a slot on that date, or, when `max_events_per_day` is 2, two requests
whose slots let the first event, its teardown, the drive and the second's setup end before the second's
latest start (in that order) with the drive inside the daily cap. Each request is served at most once.

The drives between days (`movement`): the team-days of each team form a path over the working dates, a flow
over (working date, state). A team's state after a date is the cluster of its latest event (its start base
before the first) and A, the most it can have driven since that event ended: the event's evening budget
(the day's end in the venue's zone minus the event's earliest end with teardown, at most the cap), plus the
cap for each working date since. Its next event, the first of a later date, in cluster c' with morning
budget B (its latest start minus setup minus the day's start in its zone, at most the cap) is allowed only
if L(c, c') <= A + B. Budgets are rounded up to quarters of the cap (fewer states, still valid).
Why this holds for every plan `check` accepts: two consecutive events of a team are one leg, whose road
minutes check packs from the first event's end (plus teardown) to the second's start (minus setup), only
inside both ends' day hours (so after the first event only until that evening's day end in its zone, and on
the second's date only from that morning's day start in its zone), never on a day off, at most `cap` on a
date: the leg's driving is at most A + B. L(i, j) = border + min(road, road to a ferry terminal + road on from
the other terminal, over every car ferry) is never above what check counts as the leg's driving (a crossing
is not driving; any ferry the plan names is in the minimum). A cluster's L is the minimum over its members,
so clustering never cuts a move. A state that reaches every cluster joins one "anywhere" state.

Left out, so that every plan that `check` accepts is a solution of the relaxation: driving shared between legs
of one date, team pins, team ends. The LP optimum is therefore never below any such plan's count; rounded
down, it is still a bound. The movement LP is larger (clusters x budgets x days); above
MAX_MOVEMENT_VARIABLES it is skipped and the bound leaves the drives between days out. With
`max_events_per_day` > 2 a team-day holds up to that many requests with no pairing test and no movement (a
weaker bound, still valid); the same when there are more than MAX_PAIRS pairs, so that a very large season
cannot exhaust memory (500,000 pairs at 2,000 requests take about 1.2 GB).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .ferries import crossings
from .instance import Instance
from .model import Model, day_entries
from .travel import road_leg

MAX_PAIRS = 800_000
MAX_CLUSTERS = 32  # places of the movement bound: a few hundred km across on a continental season
MAX_MOVEMENT_VARIABLES = 150_000  # about 300 requests, 11 s under load; above, the bound leaves the drives out


@dataclass(frozen=True)
class Bound:
    """Ceilings for one instance: requests served and audience reached by any rule-abiding plan."""

    served: int
    audience: int
    team_days: int  # working dates x teams: the places the relaxation fills
    pairs: int  # request pairs that fit one team-day, as the relaxation used them (0 in the weaker bound)
    clusters: int = 0  # clusters of places in the movement flow (0: the drives between days left out)


def upper_bound(instance: Instance, *, matrix=None, model: Model | None = None, movement: bool = True,
                movement_limit: int = MAX_MOVEMENT_VARIABLES) -> Bound:
    """Bounds on served requests and on audience (one LP, solved for each of the two objectives).

    With `movement`, the drives between days are in the LP when it has at most `movement_limit` variables
    (Bound.clusters > 0 says they were); otherwise, or with `movement=False`, they are left out.
    """
    m = model or Model(instance, matrix)
    working = sum(1 for d in range(m.days) if not m.off[d])
    audience = np.array([r.audience for r in instance.requests], dtype=float)
    columns = _team_day_columns(m)
    pairs = sum(len(p) for _d, _s, p in columns)
    weak = m.max_events > 2 or pairs > MAX_PAIRS
    if movement and not weak and pairs <= movement_limit:  # the LP has at least a column per pair
        flow = _MovementLP(m)
        if flow.size <= movement_limit:
            del columns
            flow.build()
            return Bound(served=_floor(flow.maximize(np.ones(m.n))), audience=_floor(flow.maximize(audience)),
                         team_days=working * m.nt, pairs=pairs, clusters=flow.clusters)
        del flow
    if weak:
        columns = [(d, s, np.empty((0, 2), dtype=np.int64)) for d, s, _p in columns]
        pairs = 0
    lp = _TeamDayLP(m, columns, m.max_events if weak else 1)
    return Bound(served=_floor(lp.maximize(np.ones(m.n))), audience=_floor(lp.maximize(audience)),
                 team_days=working * m.nt, pairs=pairs)


def _floor(x: float) -> int:
    return int(math.floor(x + 1e-6))


def _team_day_columns(m: Model):
    """Per date: the requests with a slot then, and the pairs that fit one team on that date (either order)."""
    columns = []
    for d, idx, _lo, _hi, fits in day_entries(m):
        a, b = np.nonzero(np.triu(fits | fits.T, 1))
        columns.append((d, np.unique(idx), np.stack([idx[a], idx[b]], axis=1).reshape(-1, 2)))
    return columns


class _TeamDayLP:
    """The relaxation without movement: a column per (date, request) and per (date, pair); rows: each request
    once, team-days."""

    def __init__(self, m: Model, columns, per_team_day: int):
        from ortools.linear_solver import pywraplp

        self.solver = solver = pywraplp.Solver.CreateSolver("GLOP")
        once = [solver.Constraint(0, 1) for _ in range(m.n)]
        self.columns = []  # (variable, its requests)
        for _d, singles, pairs in columns:
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


NO_STATE = -1  # the "anywhere" state: every cluster is within reach of the next event


class _MovementLP:
    """The relaxation with the drives between days: team-days linked by a flow of teams over working dates.

    Columns: one request, or two in an order that fits, on a date. A group gathers the columns of one date
    with the same entry (cluster of the first event, its morning budget) and exit (cluster of the last event,
    its evening budget); z counts its team-days. A team's state after a working date is (cluster of its
    latest event, or its base; A = the most it can have driven since then). Rows: each request once; a
    group's columns <= z; z entering (cluster, budget) <= teams arriving there; teams leaving a state <=
    teams in it (the teams start at their bases).
    """

    def __init__(self, m: Model):
        n, cap = m.n, float(m.cap)
        work = [d for d in range(m.days) if not m.off[d]]
        t_of = {d: t for t, d in enumerate(work)}
        self.T = T = len(work)
        self.n = n
        served = sorted({i for i, sl in enumerate(m.slots) if sl})
        label = np.full(n, -1, dtype=np.int64)
        if served:
            label[served] = cluster_places(m.lat[served], m.lon[served], MAX_CLUSTERS)
        C = self.clusters = int(label.max()) + 1 if served else 0
        # L[c, c']: fewest road minutes of one leg from cluster c (or base C + b) into cluster c'
        starts = [(float(m.lat[n + k]), float(m.lon[n + k])) for k in range(m.nt)]
        bases = sorted(set(starts))
        self.supply = np.array([starts.count(b) for b in bases], dtype=float)
        nb = len(bases)
        L = np.full((C + nb, C), np.inf)
        if C:
            floor = leg_floor(m)
            rows = np.array(served + [n + starts.index(b) for b in bases], dtype=np.int64)
            row_label = np.concatenate([label[served], C + np.arange(nb)])
            sub = floor[np.ix_(rows, served)]
            by_column = np.stack([sub[:, label[served] == c].min(axis=1) for c in range(C)], axis=1)
            np.minimum.at(L, row_label, by_column)
            np.fill_diagonal(L[:C], 0.0)
        ecc = L.max(axis=1) if C else np.zeros(C + nb)
        grid = np.unique(np.ceil(np.array([cap / 4, cap / 2, 3 * cap / 4, cap])))
        M = len(grid)

        def bucket(x):
            """The smallest grid value >= x (budgets rounded up keep the relaxation valid)."""
            return np.searchsorted(grid, np.minimum(x, cap) - 1e-9)

        # columns: (request a, request b or n, group); group = (t, entry cluster, morning, exit cluster, evening)
        ca, cb, key = [], [], []
        duration = np.array(m.duration, dtype=np.int64)
        zone = np.array(m.zone_of[:n], dtype=np.int64)
        day_lo, day_hi = np.array(m.day_lo), np.array(m.day_hi)
        for d, idx, lo, hi, fits in day_entries(m):
            t = t_of[d]
            morning = bucket(hi - m.setup - day_lo[zone[idx], d])  # drive before the latest setup that day
            evening = bucket(day_hi[zone[idx], d] - (lo + duration[idx] + m.teardown))  # after the earliest end
            c = label[idx]
            first, then = np.nonzero(fits)
            a = np.concatenate([np.arange(len(idx)), first])
            b = np.concatenate([np.arange(len(idx)), then])
            ca.append(idx[a])
            cb.append(np.concatenate([np.full(len(idx), n), idx[then]]))
            key.append((((t * C + c[a]) * M + morning[a]) * C + c[b]) * M + evening[b])
        if not ca:
            self.empty, self.size = True, 0
            return
        self.empty = False
        key = np.concatenate(key)
        order = np.argsort(key, kind="stable")
        self.ca, self.cb = np.concatenate(ca)[order], np.concatenate(cb)[order]
        gkey, self.starts = np.unique(key[order], return_index=True)
        g_ev = gkey % M
        g_cx = gkey // M % C
        g_mo = gkey // (M * C) % M
        g_ce = gkey // (M * C * M) % C
        g_t = gkey // (M * C * M * C)
        self.g_bounds = np.searchsorted(g_t, np.arange(T + 1))
        # the state graph, date by date
        keys = [(C + b, 0.0) for b in range(nb)]  # before the first date: each base, nothing driven yet
        self.base_supply = self.supply.copy()
        self.steps, self.entry_cluster, self.entry_rank = [], [], []
        for t in range(T):
            g0, g1 = self.g_bounds[t], self.g_bounds[t + 1]
            entries, entry_of = np.unique(g_ce[g0:g1] * M + g_mo[g0:g1], return_inverse=True)
            self.entry_cluster.append(entries // M)
            self.entry_rank.append(entries % M)
            e_c, e_m = entries // M, grid[entries % M]
            mask = np.ones((len(keys), len(entries)), dtype=bool)
            for s, (c, A) in enumerate(keys):
                if c != NO_STATE:
                    mask[s] = A + e_m + 1e-6 >= L[c, e_c]
            new, stay_src, stay_dst = {}, [], []
            for s, (c, A) in enumerate(keys):
                # a day without an event: a whole day more (the evening budget rounded up to a day: fewer states)
                later = cap * math.ceil(A / cap + 1 - 1e-9)
                nxt = (NO_STATE, 0.0) if c == NO_STATE or A + cap >= ecc[c] else (c, later)
                stay_src.append(s)
                stay_dst.append(new.setdefault(nxt, len(new)))
            exit_dst = []
            for cx, ev in zip(g_cx[g0:g1].tolist(), grid[g_ev[g0:g1]].tolist()):
                nxt = (NO_STATE, 0.0) if ev >= ecc[cx] else (cx, ev)
                exit_dst.append(new.setdefault(nxt, len(new)))
            self.steps.append((mask, entry_of, np.array(stay_src), np.array(stay_dst),
                               np.array(exit_dst, dtype=np.int64), len(new)))
            keys = list(new)
        # variables of the LP (arcs at most one per state and cluster): to decide before building it
        self.size = len(self.ca) + len(self.starts) + sum(
            step[0].shape[0] * (len(np.unique(ec)) + 1) for step, ec in zip(self.steps, self.entry_cluster))

    def build(self):
        """The relaxation as one LP (an MPModelProto): columns, team-days z per group, the teams' flow."""
        from ortools.linear_solver import linear_solver_pb2

        if self.empty:
            return
        self.proto = proto = linear_solver_pb2.MPModelProto(maximize=True)
        n_cols, n_groups = len(self.ca), len(self.starts)
        rows_var, rows_row, rows_coef = [], [], []
        nrow = 0

        def rows(count):
            nonlocal nrow
            nrow += count
            return np.arange(nrow - count, nrow)

        def terms(var, row, coef):
            rows_var.append(np.asarray(var, dtype=np.int64))
            rows_row.append(np.asarray(row, dtype=np.int64))
            rows_coef.append(np.broadcast_to(np.asarray(coef, dtype=float), np.shape(var)))

        upper = []  # (rows, upper bound)
        once = rows(self.n)
        upper.append((once, 1.0))
        cols = np.arange(n_cols)
        terms(cols, once[self.ca], 1.0)
        real_b = self.cb < self.n
        terms(cols[real_b], once[self.cb[real_b]], 1.0)
        group_of = np.repeat(np.arange(n_groups), np.diff(np.append(self.starts, n_cols)))
        group_row = rows(n_groups)
        upper.append((group_row, 0.0))  # columns of a group <= its team-days z
        terms(cols, group_row[group_of], 1.0)
        nvar = n_cols
        z = np.arange(nvar, nvar + n_groups)
        nvar += n_groups
        terms(z, group_row, -1.0)
        prev_rows = rows(len(self.base_supply))  # states before the first date: the bases
        upper.append((prev_rows, self.base_supply))
        for t, (mask, entry_of, stay_src, stay_dst, exit_dst, size) in enumerate(self.steps):
            g0, g1 = self.g_bounds[t], self.g_bounds[t + 1]
            n_entries = mask.shape[1]
            entry_rows = rows(n_entries)
            upper.append((entry_rows, 0.0))  # team-days entering <= teams arriving
            state_rows = rows(size)
            upper.append((state_rows, 0.0))  # teams leaving a state <= teams in it
            terms(z[g0:g1], entry_rows[entry_of], 1.0)
            terms(z[g0:g1], state_rows[exit_dst], -1.0)
            # staying: out of the state before, into the state after
            stay = np.arange(nvar, nvar + len(stay_src))
            nvar += len(stay_src)
            terms(stay, prev_rows[stay_src], 1.0)
            terms(stay, state_rows[stay_dst], -1.0)
            # moving to the first event of date t: one arc per (state, cluster), to the least morning budget
            # that the state reaches; a team that reaches an entry reaches the same cluster's larger budgets
            e_cluster, e_rank = self.entry_cluster[t], self.entry_rank[t]
            if n_entries:
                order = np.lexsort((e_rank, e_cluster))  # by cluster, then budget
                first_of = np.ones(n_entries, dtype=bool)
                first_of[1:] = e_cluster[order][1:] != e_cluster[order][:-1]
                chain_from, chain_to = order[:-1][~first_of[1:]], order[1:][~first_of[1:]]
                chain = np.arange(nvar, nvar + len(chain_from))
                nvar += len(chain_from)
                terms(chain, entry_rows[chain_from], 1.0)
                terms(chain, entry_rows[chain_to], -1.0)
                ok = mask[:, order]
                earlier = np.zeros_like(ok)
                earlier[:, 1:] = ok[:, :-1] & ~first_of[None, 1:]
                s_idx, e_pos = np.nonzero(ok & ~earlier)
                arcs = np.arange(nvar, nvar + len(s_idx))
                nvar += len(s_idx)
                terms(arcs, prev_rows[s_idx], 1.0)
                terms(arcs, entry_rows[order[e_pos]], -1.0)
            prev_rows = state_rows
        var = proto.variable
        for _ in range(nvar):
            var.add(lower_bound=0.0)
        ub = np.zeros(nrow)
        for r, value in upper:
            ub[r] = value
        v, r, c = np.concatenate(rows_var), np.concatenate(rows_row), np.concatenate(rows_coef)
        order = np.argsort(r, kind="stable")
        v, r, c = v[order], r[order], c[order]
        cuts = np.searchsorted(r, np.arange(nrow + 1))
        for i in range(nrow):
            ct = proto.constraint.add(lower_bound=-math.inf, upper_bound=float(ub[i]))
            ct.var_index.extend(v[cuts[i]:cuts[i + 1]].tolist())
            ct.coefficient.extend(c[cuts[i]:cuts[i + 1]].tolist())
        self.nvar = nvar

    def maximize(self, weight: np.ndarray) -> float:
        from ortools.linear_solver import linear_solver_pb2
        from ortools.linear_solver.python import model_builder_helper

        if self.empty:
            return 0.0
        w = np.append(weight.astype(float), 0.0)
        value = (w[self.ca] + w[self.cb]).tolist()
        var = self.proto.variable
        for x, v in enumerate(value):
            var[x].objective_coefficient = v
        request = linear_solver_pb2.MPModelRequest(
            model=self.proto, solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING)
        raw = model_builder_helper.ModelSolverHelper("glop").solve_serialized_request(request.SerializeToString())
        response = linear_solver_pb2.MPSolutionResponse.FromString(raw)
        if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
            raise RuntimeError(f"the bound's linear program did not solve (GLOP status {response.status})")
        return response.objective_value
