"""upper_bound(): the most requests (and people) that ANY plan obeying the rules could serve.

Why: a plan's figures mean little without the ceiling. A coordinator asks "could another plan reach many more
venues?", and a benchmark that compares engines needs to know when a target is out of reach for every
rule-abiding plan (bench/tour.py: VROOM's raw counts at 1,000 and 2,000 requests are above it).

How: a linear relaxation solved with OR-Tools GLOP. Each working date has one place per team (a team-day).
A team-day holds one request with a slot on that date, or, when `max_events_per_day` is 2, two requests
whose slots let the first event, its teardown, the drive and the second's setup end before the second's
latest start (in one order or the other) with the drive inside the daily cap. Each request is served at most
once. Left out, so that every plan that `check` accepts is a solution of the relaxation: the drive between
days (teams jump overnight), team pins, team ends, the day hours of the drive. The LP optimum is therefore
never below any such plan's count; rounded down, it is still a bound. With `max_events_per_day` > 2 a
team-day holds up to that many requests with no pairing test (a weaker bound, still valid); the same when
there are more than MAX_PAIRS pairs, so that a very large season cannot exhaust memory (500,000 pairs at
2,000 requests take about 1.2 GB).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .instance import Instance
from .model import Model

MAX_PAIRS = 800_000


@dataclass(frozen=True)
class Bound:
    """Ceilings for one instance: requests served and audience reached by any rule-abiding plan."""

    served: int
    audience: int
    team_days: int  # working dates x teams: the places the relaxation fills
    pairs: int  # request pairs that fit one team-day, as the relaxation used them (0 in the weaker bound)


def upper_bound(instance: Instance, *, matrix=None, model: Model | None = None) -> Bound:
    """Bounds on served requests and on audience (one LP, solved for each of the two objectives)."""
    m = model or Model(instance, matrix)
    columns = _team_day_columns(m)
    per_team_day = 1
    if m.max_events > 2 or sum(len(pairs) for _d, _singles, pairs in columns) > MAX_PAIRS:
        columns = [(d, singles, np.empty((0, 2), dtype=np.int64)) for d, singles, _pairs in columns]
        per_team_day = m.max_events
    lp = _TeamDayLP(m, columns, per_team_day)
    served = lp.maximize(np.ones(m.n))
    audience = lp.maximize(np.array([r.audience for r in instance.requests], dtype=float))
    working = sum(1 for d in range(m.days) if not m.off[d])
    return Bound(served=_floor(served), audience=_floor(audience), team_days=working * m.nt,
                 pairs=sum(len(pairs) for _d, _singles, pairs in columns))


def _floor(x: float) -> int:
    return int(math.floor(x + 1e-6))


def _team_day_columns(m: Model):
    """Per date: the requests with a slot then, and the pairs that fit one team on that date."""
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
        pairs = np.empty((0, 2), dtype=np.int64)
        if m.max_events == 2 and len(idx) > 1:
            drive = minutes[np.ix_(idx, idx)]
            first_then = (lo[:, None] + duration[idx][:, None] + m.teardown + drive + m.setup <= hi[None, :])
            driving = m.travel.driving[np.ix_(idx, idx)]  # the daily cap counts road minutes, not a crossing
            fits = first_then & (driving <= m.cap) & (idx[:, None] != idx[None, :])  # two windows on one date
            a, b = np.nonzero(np.triu(fits | fits.T, 1))
            pairs = np.stack([idx[a], idx[b]], axis=1)
        columns.append((d, np.unique(idx), pairs))
    return columns


class _TeamDayLP:
    """The relaxation: a column per (date, request) and per (date, pair); rows: each request once, team-days."""

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
