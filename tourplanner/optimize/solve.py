"""solve(): a day-aware construction (teams advance through the season), then a seeded LNS.

Why not one OR-Tools model: with one break per night (77 per team) the routing model inserted nothing
under tight rests and ignored events/day and night driving (design.md). Here every rule lives in one
exact forward schedule (model.py); the search only proposes orders:

1. pins with a fixed start and the must-keep requests (priority 5; in a re-plan, every earlier visit, held at its
   time where the rules allow) are inserted first (cheapest feasible insertion); no later step serves fewer of them;
2. the team whose day is earliest picks its next event: the best of value - km cost - time used
   (numpy pre-ranking of all requests, exact schedule check of the best few), nights where the day
   ends, long relocations over several days; built in several styles (prices of team time and of
   driving), the best by the objective goes on;
3. LNS until the time limit (or --steps; early only once everything is served): remove a stretch of a route,
   re-insert the best of the removed and nearby unserved requests, keep the change when value - km cost (- a
   price per moved earlier visit) does not get worse; one walk per core, meeting every few seconds to go on
   from the best plan of all (improve.py). A long solve (3 minutes or more, a crowded season, a new plan) improves
   several of the best starts in turn and recombines their team-weeks into the set that serves the most
   (recombine.py);
4. the plan is checked by check.py; any visit it rejects is dropped and the plan rebuilt (never happens
   when model and checker agree, which every test asserts; solver["repaired_requests"] names them).

Steps 1-2 are construct.py (its styles built on two cores by starts.py), step 3 moves.py and improve.py (on
search.py's state and exact schedule), the Plan is built by result.py; this module runs them within the time limit
or step budget.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time

import numpy as np

from .check import check
from .improve import improve
from .instance import Instance
from .model import Model
from .plan import Plan, Route
from .result import build_plan, replan_counts
from .search import Search
from .recombine import improve_and_recombine
from .starts import best_starts

ENGINE = "tourplanner day-aware greedy + LNS"
log = logging.getLogger(__name__)

WALKS = 2  # most LNS walks by default: measured on a 2-core machine (docs/benchmarks.md)
BASIN_SECONDS = 60.0  # a long solve improves one start per minute of its time limit, less the first minute
MAX_BASINS = 4


class Progress:
    """What solve() tells its caller while it runs (at most every 0.5 s), and whether the caller asked it to stop."""

    def __init__(self, callback, instance: Instance, time_limit_s: float, clock: float):
        self.callback, self.instance, self.time_limit_s, self.clock = callback, instance, time_limit_s, clock
        self.last = clock
        self.stop_asked = False
        self.search: Search | None = None  # the best start so far, then the search: what a report shows

    def show(self, search: Search, phase: str):
        """Report `search` as the plan so far, now (a long solve's best improved start, recombine.py)."""
        self.search = search
        self.report(phase, force=True)

    def report(self, phase: str, force: bool = False):
        now = time.perf_counter()
        if self.callback is None or (not force and now - self.last < 0.5):
            return
        self.last = now
        search = self.search
        served = search.served()
        info = {"phase": phase, "served": served,
                "audience": int(sum(self.instance.requests[i].audience for i in np.flatnonzero(search.team_of >= 0))),
                "drive_km": round(sum(search.route_km(k) for k in range(search.model.nt)), 1),
                "elapsed_s": round(now - self.clock, 2), "time_limit_s": self.time_limit_s}
        if self.callback(info) is False:
            self.stop_asked = True


def solve(instance: Instance, *, time_limit_s: float, seed: int, progress=None, previous: Plan | None = None,
          matrix=None, steps: int | None = None, walks: int | None = None) -> Plan:
    """Plan the season: which requests, which team, which day and time, where each team sleeps.

    `walks`: LNS walks on as many cores (improve.py), and as many processes building the starts (starts.py); by
    default one per core, at most WALKS."""
    walks = default_walks() if walks is None else walks
    clock = time.perf_counter()
    # leave room for building and checking the plan at the end (about 1 s per 1,000 requests here)
    reserve = min(0.25 * float(time_limit_s), 0.2 + 0.001 * len(instance.requests) + 0.05 * float(time_limit_s))
    deadline = clock + max(0.0, float(time_limit_s) - reserve)
    model = Model(instance, matrix=matrix)
    reporter = Progress(progress, instance, time_limit_s, clock)
    starts, first_feasible, styles = best_starts(model, seed, previous, steps, time_limit_s, clock, reporter, walks,
                                                 keep=basin_count(model, time_limit_s, previous))
    search = reporter.search = starts[0]
    reporter.report("constructed", force=True)
    stop, tick = (lambda: reporter.stop_asked), (lambda: reporter.report("improve"))
    if len(starts) == 1:
        walked = improve(search, steps=steps, deadline=deadline, time_limit_s=time_limit_s, walks=walks, seed=seed,
                         stop=stop, tick=tick)
    else:
        search, walked = improve_and_recombine(starts, steps=steps, deadline=deadline, time_limit_s=time_limit_s,
                                               walks=walks, seed=seed, stop=stop, tick=tick,
                                               shown=lambda best, phase: reporter.show(best, phase))
        reporter.search = search

    solver = {"time_limit_s": time_limit_s, "seed": seed, "wall_s": 0.0, "engine": ENGINE,
              **walked, "constructions": styles,
              "first_feasible_s": round(first_feasible, 3),
              "objective": round(search.objective(), 1)}
    plan = build_plan(search, solver)
    violations = check(instance, plan, matrix=matrix)
    guard = 0
    while violations and guard < 50:
        guard += 1
        bad = {v.request for v in violations if v.request}
        _drop_rejected(search, bad)
        if not bad:
            break
        # The safety net: never silent. The job and the review page name these requests.
        solver["repaired"] = solver.get("repaired", 0) + len(bad)
        solver["repaired_requests"] = sorted(set(solver.get("repaired_requests", [])) | bad)
        log.warning("plan repaired: the checker rejected %s (%s); dropped from the plan", ", ".join(sorted(bad)),
                    "; ".join(sorted({v.rule for v in violations})))
        plan = build_plan(search, solver)
        violations = check(instance, plan, matrix=matrix)
    if previous is not None:
        solver.update(replan_counts(instance, previous, plan))
    if violations:
        plan = Plan(instance=instance.name, status="error", solver=solver, routes=plan.routes,
                    unserved=plan.unserved, kpis=plan.kpis)
    solver["wall_s"] = round(time.perf_counter() - clock, 2)
    reporter.report("done", force=True)
    return plan


def basin_count(model: Model, time_limit_s: float, previous: Plan | None) -> int:
    """How many starts the solve improves, one after the other, and recombines (recombine.py): one, unless the
    season is crowded, the plan is new and the time limit gives each start about a minute of search (a 60 s solve's
    worth), at most MAX_BASINS. Why: the start decides the basin the search stays in; a longer search of one basin
    buys objective, not screenings (docs/experiments.md)."""
    if previous is not None or model.crowding() <= 1.0:
        return 1
    return max(1, min(MAX_BASINS, int(time_limit_s // BASIN_SECONDS) - 1))


def default_walks() -> int:
    """One walk per core this process may use, at most WALKS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(WALKS, cores))


def _drop_rejected(search: Search, bad: set[str]):
    """Take the requests the checker rejected out of their routes (a route that cannot be rescheduled empties)."""
    requests = search.model.instance.requests
    for k in range(search.model.nt):
        idxs = [i for i, r in enumerate(search.order[k]) if requests[r].id in bad]
        if idxs:
            order = [r for i, r in enumerate(search.order[k]) if i not in set(idxs)]
            rescheduled = search.reschedule(k, order, 0, 10 ** 9, 0)
            for i in idxs:
                search.team_of[search.order[k][i]] = -1
                search.excluded.add(search.order[k][i])
            search.order[k] = order if rescheduled is not None else []
            search.stops[k] = rescheduled[0] if rescheduled is not None else []
            if rescheduled is None:
                search.team_of[search.team_of == k] = -1


def route_schedule(instance: Instance, team: str, visits: list[tuple[str, str]], matrix=None) -> Route | None:
    """One team's visits (request id, ISO start) at exactly those starts: legs and nights as solve derives them.

    Plan edits (drop, move, lock) re-derive the routes they touch with it, so that no night of the old schedule
    stays stored. None when the schedule cannot keep a visit at its start (the checker then says why)."""
    model = Model(instance, matrix=matrix)
    search = Search(model, random.Random(0))
    k = next(i for i, t in enumerate(instance.teams) if t.id == team)
    for ref, start in sorted(visits, key=lambda v: dt.datetime.fromisoformat(v[1])):
        r = instance.request_index[ref]
        minute = int((dt.datetime.fromisoformat(start) - model.t0).total_seconds() // 60)
        if not search.allowed[k, r] or not search.hold(r, minute):
            return None
        pos = len(search.order[k])
        got = search.try_insert(k, pos, r)
        if got is None:
            return None
        search.insert(k, pos, r, got)
    return build_plan(search, {}).route(team)
