"""The improvement phase: LNS walks on one or more cores that share the best plan every few seconds.

Why several walks: one walk of threshold-accepting LNS is step-bound on the big seasons (about 250 steps a
second at 2,000 requests) and a machine has two cores or more. Each extra walk is a forked process that
starts from the same constructed plan with its own random stream; at every meeting (every SYNC_SECONDS, or
every SYNC_STEPS with a step budget) each walk reports its best plan, and a walk whose best is not the best
of all continues from the best of all. The parent is walk 0, so one walk is exactly the single-core search.

Determinism: with a step budget the meetings fall on step counts, every walk's stream is fixed by the seed
and its number, and ties go to the lower number: same instance, seed, steps and walks give the same plan.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import random
import time
import traceback

from .model import BIG_PRIORITY_BONUS
from .moves import kick, lns_step
from .search import Search

log = logging.getLogger(__name__)

THRESHOLD_SHARE = 0.05  # LNS accepts a loss of up to 5% of a mean request's value at first, 0 at the end
STALL_STEPS = 1000  # + 20 per request: steps without a better plan after which a search that serves all stops
SYNC_SECONDS = 3.0  # walks meet this often (time limit)
SYNC_STEPS = 400  # or after this many steps each (step budget)
KICK_STEPS = 500  # + KICK_PER_REQUEST per request: steps without a better plan of its own before a walk is kicked
KICK_PER_REQUEST = 2
MEETING_TIMEOUT_S = 120.0  # a walk that says nothing for this long is left behind (it crashed or hangs)


class Walk:
    """One walk of LNS: its search (the current plan), the best plan it has seen and its cooling."""

    def __init__(self, search: Search, steps: int | None, deadline: float, time_limit_s: float,
                 stop=lambda: False, tick=lambda: None):
        self.search, self.steps, self.deadline, self.time_limit_s = search, steps, deadline, time_limit_s
        self.stop, self.tick = stop, tick  # stop(): the caller asked to stop; tick(): after every step
        base = search.value[search.has_slots] % BIG_PRIORITY_BONUS
        self.start_threshold = THRESHOLD_SHARE * float(base.mean()) if base.size else 0.0
        self.stall_steps = STALL_STEPS + 20 * search.model.n
        self.done = self.improved = self.best_step = self.kicks = self.kicked_at = 0
        self.kick_steps = KICK_STEPS + KICK_PER_REQUEST * search.model.n
        # only in a crowded season: with room for everyone a kick only undoes work (300 requests: 295 vs 300)
        self.kicking = search.crowding > 1.0
        self.best_key, self.best = (search.kept(), search.objective()), search.snapshot()
        self.start = time.perf_counter()

    def over(self) -> bool:
        """The budget is spent, the caller asked to stop, or everything is served and nothing improves."""
        if self.stop():
            return True
        if self.steps is not None:
            # a step budget far beyond the time limit: stop anyway
            return self.done >= self.steps or time.perf_counter() >= self.deadline + 10 * max(1.0, self.time_limit_s)
        if time.perf_counter() >= self.deadline:
            return True
        return self.stalled()

    def stalled(self) -> bool:
        return self.done - self.best_step > self.stall_steps and not self.search.unserved_pool().size

    def _limit(self) -> float:
        return max(0.0, self.deadline - self.start)

    def run(self, until_step: int | None = None, until_time: float | None = None):
        """LNS steps until the meeting (a step count or a clock time) or the end of the walk."""
        search = self.search
        while not self.over():
            if until_step is not None and self.done >= until_step:
                return
            if until_time is not None and time.perf_counter() >= until_time:
                return
            if self.steps is not None:
                left = 1.0 - self.done / max(1, self.steps)
            else:
                left = max(0.0, 1.0 - (time.perf_counter() - self.start) / max(1e-9, self._limit()))
            self.improved += bool(lns_step(search, threshold=self.start_threshold * left))
            self.done += 1
            key = (search.kept(), search.objective())
            if key > (self.best_key[0], self.best_key[1] + 1e-9):
                self.best_key, self.best, self.best_step = key, search.snapshot(), self.done
            elif self.kicking and self.done - max(self.best_step, self.kicked_at) > self.kick_steps \
                    and search.unserved_pool().size:
                kick(search)  # stuck below its best with requests left: shake a week of one team and go on
                self.kicks += 1
                self.kicked_at = self.done
            self.tick()

    def best_plan(self):
        """What a meeting compares and passes on: (kept, objective) and the routes of the best plan."""
        return self.best_key, (self.best.order, self.best.stops, sorted(self.best.held))

    def adopt(self, key, plan):
        """Continue from another walk's better plan (it becomes this walk's current and best)."""
        orders, stops, held = plan
        search = self.search
        for r in list(search.held):
            search.release(r)
        for r in held:
            search.hold(r, search.previous_at[r][1])
        search.order, search.stops = [o[:] for o in orders], [s[:] for s in stops]
        search.team_of[:] = -1
        for k, order in enumerate(orders):
            search.team_of[order] = k
        self.best_key, self.best, self.best_step = key, search.snapshot(), self.done

    def finish(self):
        self.search.restore(self.best)


def improve(search: Search, *, steps: int | None, deadline: float, time_limit_s: float, walks: int, seed: int,
            stop=lambda: False, tick=lambda: None, seen=lambda orders, stops: None) -> dict:
    """Run the walks until the budget; leaves `search` at the best plan of all. Returns the figures for
    solver[...]: steps and improvements summed over the walks, walks, meetings, and `adopted`: how many times
    a walk went on from another walk's better plan. `seen(orders, stops)` is shown every walk's best plan at each
    meeting (what a long solve recombines)."""
    main = Walk(search, steps, deadline, time_limit_s, stop, tick)
    walks = max(1, int(walks))
    if walks > 1 and "fork" not in multiprocessing.get_all_start_methods():
        log.warning("this platform cannot fork: the search runs on one core")
        walks = 1
    if walks == 1:
        main.run()
        main.finish()
        return {"steps": main.done, "improvements": main.improved, "walks": 1, "kicks": main.kicks}

    ctx = multiprocessing.get_context("fork")
    links, procs = {}, []
    for w in range(1, walks):
        parent_end, child_end = ctx.Pipe()
        inherited = [parent_end, *links.values()]  # the child must not hold the parent's ends open
        proc = ctx.Process(target=_walk_process, args=(child_end, inherited, main, w, seed), daemon=True)
        proc.start()
        child_end.close()
        links[w] = parent_end
        procs.append(proc)
    meeting = adopted = 0
    figures = {}
    try:
        while True:
            meeting += 1
            until_step = meeting * SYNC_STEPS if steps is not None else None
            until_time = main.start + meeting * SYNC_SECONDS if steps is None else None
            main.run(until_step, until_time)
            last = main.over()
            reports = [(*main.best_plan(), 0)]
            for w, link in list(links.items()):
                got = receive(link)
                if got is None:
                    del links[w]  # it crashed or hangs: the others go on without it
                    continue
                key, plan, done, improved, kicks, over = got
                figures[w] = (done, improved, kicks)
                reports.append((key, plan, w))
                last = last and over
            last = last or main.stop()
            for _key, (orders, stops, _held), _w in reports:
                seen(orders, stops)
            key, plan, winner = max(reports, key=lambda x: (x[0][0], x[0][1], -x[2]))
            # a walk whose best is as good as the best of all goes its own way (a kicked walk keeps its kick)
            behind = {w for (k, _p, w) in reports if (k[0], k[1] + 1e-9) < (key[0], key[1])}
            if 0 in behind:
                main.adopt(key, plan)
            adopted += 0 if last else len(behind)
            for w, link in links.items():
                _send(link, ("stop",) if last else ("go", (key, plan) if w in behind else None))
            if last:
                break
    finally:
        for link in links.values():
            link.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    main.finish()
    return {"steps": main.done + sum(f[0] for f in figures.values()),
            "improvements": main.improved + sum(f[1] for f in figures.values()), "walks": walks,
            "meetings": meeting, "adopted": adopted, "kicks": main.kicks + sum(f[2] for f in figures.values())}


def _walk_process(link, inherited, walk: Walk, number: int, seed: int):
    """A forked walk: its own random stream; runs to each meeting, reports, adopts the best if told.

    It closes the parent's ends of the pipes it inherited at the fork: otherwise, when the parent is killed
    (a job worker's SIGKILL), the pipe never reads as closed and the walk waits for a meeting forever.
    It ends with os._exit: a walk forked from a threaded process (a job worker's thread, the development
    server) must not flush streams or run exit handlers whose locks another thread may have held at the fork."""
    for end in inherited:
        end.close()
    walk.search.rng = random.Random(f"walk {seed} {number}")
    walk.stop, walk.tick = (lambda: False), (lambda: None)
    meeting = 0
    try:
        while True:
            meeting += 1
            walk.run(meeting * SYNC_STEPS if walk.steps is not None else None,
                     walk.start + meeting * SYNC_SECONDS if walk.steps is None else None)
            key, plan = walk.best_plan()
            link.send((key, plan, walk.done, walk.improved, walk.kicks, walk.over()))
            answer = link.recv()
            if answer[0] == "stop":
                break
            if answer[1] is not None:
                walk.adopt(*answer[1])
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        os._exit(0)
    except BaseException:  # a bug: say so (the parent goes on without this walk and logs that)
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def receive(link, timeout: float = MEETING_TIMEOUT_S,
            silence: str = "a search walk stopped answering; the others go on without it"):
    """The next message from a forked process, or None (and `silence` in the log) when it died or said nothing for
    `timeout` seconds."""
    try:
        if link.poll(timeout):
            return link.recv()
    except (EOFError, OSError):
        pass
    log.warning(silence)
    return None


def _send(link, message):
    try:
        link.send(message)
    except (BrokenPipeError, OSError):
        pass
