"""Recombination: the joined-up set of team-weeks, taken from several improved plans, that serves the most.

Why: the start decides the basin the search stays in (docs/experiments.md, sixth session): plans improved from
different starts serve different venues, and their weeks often join up (a team ends a week at the same venue in
two plans). A long solve (solve.py) improves several starts. Here every plan its walks reported at their meetings
(every few seconds) and every improved plan is cut into team-weeks (a team's visits between two days off, with the
place it comes from), and a CP-SAT set-partitioning model picks one week per team and block of the season: joined
up (a week starts where the team's week before ended, in time: `_in_time`), each request at most once, every
must-keep request of the best plan kept. It serves the most requests (the headline: every screening is an audience
reached), and of the sets that serve that many, the one worth most by the search's own objective (value minus leg
costs, a sum over the weeks). The answer is followed with the exact schedule (model.py): a week that cannot follow
the week chosen before it is cut out with that pair and the model solved again.

Every plan given is itself a joined-up set of its weeks, so the answer serves at least as many as the best of
them. Only plans built from scratch are recombined: in a re-plan, the earlier visits held at their times make a
week's feasibility depend on more than where it starts.
"""
from __future__ import annotations

import logging
import time
from typing import NamedTuple

from .improve import improve
from .search import Search

log = logging.getLogger(__name__)

SCALE = 100  # objective units per value unit (CP-SAT wants integers)
MAX_ROUNDS = 5  # exact-schedule checks (and cuts) before giving up on a recombination
DETERMINISTIC_TIME = 5.0  # CP-SAT's deterministic time limit for one solve (one worker: the same answer every time)
RECOMBINE_SECONDS = 10.0  # of a long solve's search time, kept for the recombination (1-13 s measured, 2,000 weeks)


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
    """The distinct team-weeks of the plans added, with their value minus leg costs in the search's prices."""

    def __init__(self, search: Search):
        self.search = search
        self.block = blocks_of(search.model)
        self.blocks = self.block[-1] + 1 if self.block else 0
        self.gain: dict[Week, float] = {}
        self.states: dict[Week, tuple] = {}  # per week: the Stop it was entered from and the Stop it left at

    def weeks(self, orders, stops) -> list[Week]:
        """A plan cut into weeks: one per team and block, empty ones included."""
        return [w for w, _states in self._cut(orders, stops)]

    def _cut(self, orders, stops) -> list[tuple[Week, tuple]]:
        """A plan's weeks, each with the team's schedule state (a Stop) as it enters the week and as it leaves it."""
        out = []
        for k in range(self.search.model.nt):
            by_block = [[] for _ in range(self.blocks)]
            for r, stop in zip(orders[k], stops[k]):
                by_block[self.block[stop.date]].append((r, stop))
            state = self.search.start_stop(k)
            for b, visits in enumerate(by_block):
                leaving = visits[-1][1] if visits else state
                out.append((Week(k, b, state.point, tuple(r for r, _stop in visits)), (state, leaving)))
                state = leaving
        return out

    def add(self, orders, stops) -> list[Week]:
        """Put a plan's weeks in the pool (a week seen before keeps its first gain and states); returns them."""
        search, cost = self.search, self.search.cost_list
        weeks = []
        for w, states in self._cut(orders, stops):
            weeks.append(w)
            if w in self.gain:
                continue
            g, p = 0.0, w.entry
            for r in w.visits:
                g += float(search.value[r]) - cost[p][r]
                p = r
            self.gain[w], self.states[w] = g, states
        return weeks

    def best(self, incumbent: list[Week], until: float | None = None) -> list[list[int]] | None:
        """Per team the route of the joined-up set of weeks that serves the most, then is worth the most; None when
        CP-SAT finds no answer in its time or no exact schedule follows in MAX_ROUNDS. Every must-keep request the
        incumbent serves is kept; the incumbent's weeks are the model's hint. `until`: a clock time (time.perf_counter)
        at which CP-SAT stops (None: only its deterministic limit, so the answer is the same every time)."""
        weeks = list(self.gain)
        index = {w: i for i, w in enumerate(weeks)}
        kept = {r for w in incumbent for r in w.visits if self.search.keep[r]}
        hint = {index[w] for w in incumbent}
        cuts: list[tuple[int, int]] = []
        for _ in range(MAX_ROUNDS):
            chosen = self._solve(weeks, kept, hint, cuts, until)
            if chosen is None:
                return None
            chosen.sort(key=lambda w: (w.team, w.block))
            bad = self._first_break(chosen)
            if bad is None:
                routes = [[] for _ in range(self.search.model.nt)]
                for w in chosen:
                    routes[w.team].extend(w.visits)
                return routes
            cuts.append((index[bad[0]], index[bad[1]]))
        return None

    def _solve(self, weeks: list[Week], kept: set[int], hint: set[int], cuts, until) -> list[Week] | None:
        """The weeks CP-SAT chooses: first the most requests served, then, with that many, the most gain."""
        # imported here: CP-SAT adds about 60 MB to every process that loads it, and a solve forks its walks and
        # its construction worker before it recombines (2,000 requests: 1,990 MB against 1,896 in bench/tour.py)
        from ortools.sat.python import cp_model

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
        for key, ids in ins.items():  # and the week before leaves in time for the week's own schedule
            for i in ids:
                entering = self.states[weeks[i]][0]
                cp.Add(x[i] <= sum(x[o] for o in outs.get(key, []) if _in_time(self.states[weeks[o]][1], entering)))
        for r, ids in covers.items():
            if r in kept:
                cp.AddExactlyOne(x[i] for i in ids)
            elif len(ids) > 1:
                cp.AddAtMostOne(x[i] for i in ids)
        for before, after in cuts:
            cp.AddBoolOr([x[before].Not(), x[after].Not()])
        for i in range(len(weeks)):
            cp.AddHint(x[i], i in hint)
        served = sum(len(w.visits) * x[i] for i, w in enumerate(weeks))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = DETERMINISTIC_TIME
        if until is not None:
            solver.parameters.max_time_in_seconds = max(0.1, until - time.perf_counter())
        cp.Maximize(served)
        if solver.Solve(cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        cp.Add(served >= round(solver.ObjectiveValue()))
        cp.Maximize(sum(round(SCALE * self.gain[w]) * x[i] for i, w in enumerate(weeks)))
        if until is not None:
            solver.parameters.max_time_in_seconds = max(0.1, until - time.perf_counter())
        if solver.Solve(cp) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return [weeks[i] for i in range(len(weeks)) if solver.BooleanValue(x[i])]

    def _first_break(self, chosen: list[Week]) -> tuple[Week, Week] | None:
        """The first pair (week before, week) where the exact schedule of the joined routes fails, or None."""
        search = self.search
        per_team: dict[int, list[Week]] = {}
        for w in chosen:
            per_team.setdefault(w.team, []).append(w)
        for k, seq in sorted(per_team.items()):
            stop = search.start_stop(k)
            for b, w in enumerate(seq):
                for r in w.visits:
                    stop = search.visit(stop, r)
                    if stop is None:
                        return (seq[b - 1] if b else w), w
            if not search.reaches_end(k, stop):
                last = max((b for b, w in enumerate(seq) if w.visits), default=len(seq) - 1)
                return (seq[last - 1] if last else seq[last]), seq[last]
        return None


def _in_time(leaving, entering) -> bool:
    """Whether a team that leaves a place in state `leaving` can follow a week that was entered there in state
    `entering`: it is free no later and, on the same date, has driven no more and held no more events. The exact
    schedule takes every visit as early as the rules allow, so the week's visits then fit as they did (the exact
    schedule still checks the answer)."""
    return leaving.free_at <= entering.free_at and (
        leaving.date < entering.date or (leaving.driven <= entering.driven and leaving.events <= entering.events))


def install(search: Search, routes: list[list[int]]):
    """Make the routes the search's plan (each route's stops from its exact schedule)."""
    search.team_of[:] = -1
    for k, order in enumerate(routes):
        if order != search.order[k]:
            got = search.reschedule(k, list(order), 0, 10 ** 9, 0)
            assert got is not None, "a recombined route that was checked no longer follows"
            search.order[k], search.stops[k] = list(order), got[0]
        search.team_of[order] = k


def improve_and_recombine(starts: list[Search], *, steps: int | None, deadline: float, time_limit_s: float,
                          walks: int, seed: int, stop=lambda: False, tick=lambda: None,
                          shown=lambda search, phase: None) -> tuple[Search, dict]:
    """Improve each start in turn (improve.py) for an equal share of the time left (less RECOMBINE_SECONDS, at most
    5 % of the time limit) or of the steps, then recombine the weeks of every plan the walks reported at their
    meetings and of the improved plans. Returns the search holding the plan and the figures for solver[...].
    `shown(search, phase)` is told the best plan so far after each start ("improve") and before the recombination
    ("recombine"): what progress reports show."""
    figures = {"steps": 0, "improvements": 0, "kicks": 0, "walks": walks}
    until = None if steps is not None else deadline  # with a step budget the plan must not depend on the clock
    deadline -= 0.0 if steps is not None else min(RECOMBINE_SECONDS, 0.05 * time_limit_s)
    pool = Pool(starts[0])  # every start is priced like the first (starts.py)
    done: list[Search] = []
    for i, search in enumerate(starts):
        if done and stop():
            break
        now = time.perf_counter()
        walked = improve(search, steps=None if steps is None else max(1, steps // len(starts)),
                         deadline=now + max(0.0, deadline - now) / (len(starts) - i), time_limit_s=time_limit_s,
                         walks=walks, seed=seed, stop=stop, tick=tick, seen=pool.add)
        for name in ("steps", "improvements", "kicks"):
            figures[name] += walked[name]
        done.append(search)
        shown(_most_served(done), "improve")
    best = _most_served(done)
    shown(best, "recombine")
    for search in done:
        pool.add(search.order, search.stops)
    single, clock = best.served(), time.perf_counter()
    routes = pool.best(pool.add(best.order, best.stops), until)
    if routes is None:
        log.warning("recombination found no plan that follows (CP-SAT or the exact schedule): the plan is the best"
                    " of the %d improved starts", len(done))
    else:
        install(best, routes)
    figures["recombination"] = {"starts": len(done), "weeks": len(pool.gain), "best_start_served": single,
                                "served": best.served(), "followed": routes is not None,
                                "seconds": round(time.perf_counter() - clock, 2)}
    return best, figures


def _most_served(searches: list[Search]) -> Search:
    """The plan that keeps the most must-keep requests, then serves the most, then is worth most (first on a tie)."""
    return max(searches, key=lambda s: (s.kept(), s.served(), s.objective()))
