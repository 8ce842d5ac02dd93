"""Recombination: the best compatible set of team-weeks from the plans the walks have found (issue #18).

Why: at every meeting of the walks (improve.py) one plan wins and the others are dropped, with whatever
their walks improved elsewhere in the season. Here each plan is cut into team-weeks (a team's visits
between two days off, with the place it comes from), every distinct week seen is kept in a pool, and a
CP-SAT set-partitioning model picks one week per team and week, joined up (a week starts where the team's
week before ended), each request at most once, must-keep requests kept, the most value minus leg costs
(the search's own objective, which is a sum over the weeks). The answer is followed with the exact
schedule (model.py): a week that cannot follow the week chosen before it is cut out with that pair and the
model solved again.

Only a plan built from scratch is recombined: in a re-plan, the earlier visits held at their times make a
week's feasibility depend on more than where it starts.
"""
from __future__ import annotations

from typing import NamedTuple

from ortools.sat.python import cp_model

from .search import Search

SCALE = 100  # objective units per value unit (CP-SAT wants integers)
MAX_ROUNDS = 5  # exact-schedule checks (and cuts) before giving up on a recombination
DETERMINISTIC_TIME = 2.0  # CP-SAT's deterministic time limit for one solve (one worker: same answer every time)
MAX_SEGMENTS = 20_000  # the oldest weeks leave the pool beyond this


class Week(NamedTuple):
    """One team's visits in one block of the season (between days off), and where the team came from."""

    team: int
    block: int
    entry: int  # the point the team leaves from: its start, or its last visit before the block
    visits: tuple[int, ...]

    @property
    def exit(self) -> int:
        return self.visits[-1] if self.visits else self.entry


def blocks_of(model) -> list[int]:
    """Per date, its block: a new block starts after each day off (after every 7 dates when there are none)."""
    block, out = 0, []
    for d in range(model.days):
        out.append(block)
        if model.off[d] or (not any(model.off) and d % 7 == 6):
            block += 1
    return out


class Pool:
    """The distinct team-weeks seen, with their value minus leg costs in the search's prices."""

    def __init__(self, search: Search):
        self.search = search
        self.block = blocks_of(search.model)
        self.blocks = self.block[-1] + 1 if self.block else 0
        self.gain: dict[Week, float] = {}  # insertion-ordered: the oldest first

    def weeks(self, orders, stops) -> list[Week]:
        """The plan cut into weeks: one per team and block, empty ones included."""
        model = self.search.model
        out = []
        for k in range(model.nt):
            by_block = [[] for _ in range(self.blocks)]
            for r, stop in zip(orders[k], stops[k]):
                by_block[self.block[stop.date]].append(r)
            entry = model.n + k
            for b, visits in enumerate(by_block):
                out.append(Week(k, b, entry, tuple(visits)))
                entry = visits[-1] if visits else entry
        return out

    def add(self, orders, stops) -> list[Week]:
        """Put a plan's weeks in the pool; returns them."""
        search, cost = self.search, self.search.cost_list
        weeks = self.weeks(orders, stops)
        for w in weeks:
            if w in self.gain:
                continue
            g, p = 0.0, w.entry
            for r in w.visits:
                g += float(search.value[r]) - cost[p][r]
                p = r
            self.gain[w] = g
        while len(self.gain) > MAX_SEGMENTS:
            del self.gain[next(iter(self.gain))]
        return weeks

    def best(self, incumbent: list[Week]) -> list[list[int]] | None:
        """Per team the route of the best compatible set of weeks, or None when it is not better than the
        incumbent's weeks (which the model is given as its hint) or no exact schedule follows."""
        search = self.search
        model = search.model
        weeks = list(self.gain)
        index = {w: i for i, w in enumerate(weeks)}
        cp = cp_model.CpModel()
        x = [cp.NewBoolVar("") for _ in weeks]
        by_slot: dict[tuple[int, int], list[int]] = {}
        ins: dict[tuple[int, int, int], list[int]] = {}
        outs: dict[tuple[int, int, int], list[int]] = {}
        covers: dict[int, list[int]] = {}
        for i, w in enumerate(weeks):
            by_slot.setdefault((w.team, w.block), []).append(i)
            if w.block > 0:
                ins.setdefault((w.team, w.block, w.entry), []).append(i)
            outs.setdefault((w.team, w.block + 1, w.exit), []).append(i)
            for r in w.visits:
                covers.setdefault(r, []).append(i)
        for ids in by_slot.values():
            cp.AddExactlyOne(x[i] for i in ids)
        for key in set(ins) | {k for k in outs if k[1] < self.blocks}:
            cp.Add(sum(x[i] for i in ins.get(key, [])) == sum(x[i] for i in outs.get(key, [])))
        served = {r for w in incumbent for r in w.visits}
        for r, ids in covers.items():
            if search.keep[r] and r in served:
                cp.AddExactlyOne(x[i] for i in ids)
            elif len(ids) > 1:
                cp.AddAtMostOne(x[i] for i in ids)
        cp.Maximize(sum(round(SCALE * self.gain[w]) * x[i] for i, w in enumerate(weeks)))
        chosen_now = {index[w] for w in incumbent}
        for i in range(len(weeks)):
            cp.AddHint(x[i], i in chosen_now)
        floor = sum(round(SCALE * self.gain[w]) for w in incumbent)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = DETERMINISTIC_TIME
        for _ in range(MAX_ROUNDS):
            status = solver.Solve(cp)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.ObjectiveValue() <= floor:
                return None
            chosen = sorted((weeks[i] for i in range(len(weeks)) if solver.BooleanValue(x[i])),
                            key=lambda w: (w.team, w.block))
            routes = [[] for _ in range(model.nt)]
            for w in chosen:
                routes[w.team].extend(w.visits)
            bad = self._first_break(routes, chosen)
            if bad is None:
                return routes
            before, after = bad
            cp.AddBoolOr([x[index[before]].Not(), x[index[after]].Not()])
        return None

    def _first_break(self, routes, chosen) -> tuple[Week, Week] | None:
        """The first pair (week before, week) where the exact schedule of the joined routes fails, or None."""
        search = self.search
        per_team = {}
        for w in chosen:
            per_team.setdefault(w.team, []).append(w)
        for k, order in enumerate(routes):
            stop, seq = search.start_stop(k), per_team[k]
            j = 0
            for b, w in enumerate(seq):
                for r in w.visits:
                    stop = search.visit(stop, r)
                    if stop is None:
                        return (seq[b - 1] if b else w), w
                    j += 1
            if not search.reaches_end(k, stop):
                last = max((b for b, w in enumerate(seq) if w.visits), default=len(seq) - 1)
                return (seq[last - 1] if last else seq[last]), seq[last]
        return None


def install(search: Search, routes: list[list[int]]):
    """Make the routes the search's plan (each route's stops from its exact schedule)."""
    search.team_of[:] = -1
    for k, order in enumerate(routes):
        if order == search.order[k]:
            search.team_of[order] = k
            continue
        got = search.reschedule(k, list(order), 0, 10 ** 9, 0)
        assert got is not None, "a recombined route that was checked no longer follows"
        search.order[k], search.stops[k] = list(order), got[0]
        search.team_of[order] = k
