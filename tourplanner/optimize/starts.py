"""The starts the search chooses from: every construction style, built on as many cores as the search may use.

Why on two cores: at 2,000 requests the twelve starts take about 12 s on one core, a fifth of a 60 s solve, while
the second core waits for the LNS walks (docs/benchmarks.md). A forked worker takes starts from a shared counter
as the parent does; at the end it reports its best start and, when that one wins, hands its plan over.

Determinism: with a step budget every start is built, each from its own `random.Random(seed)`, and the winner is
chosen in the order of the starts as in one process (ties go to the earlier start): same instance, seed and steps
give the same plan on one core or two.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import random
import time
import traceback

from .construct import (CONSTRUCTION_STYLES, anchor_thin_days, construct, place_must_keep, release_anchors,
                        start_from_previous)
from .improve import receive
from .model import Model
from .plan import Plan
from .search import Search

log = logging.getLogger(__name__)

CONSTRUCTION_SHARE = 0.2  # of the time limit: no new construction starts after this (all of them with --steps)
HANDOVER_TIMEOUT_S = 120.0  # a worker that says nothing this long after the parent's last start is left behind


def best_starts(model: Model, seed: int, previous: Plan | None, steps: int | None, time_limit_s: float,
                clock: float, reporter, workers: int = 1, keep: int = 1) -> tuple[list[Search], float, int]:
    """Build the construction styles (all with a step budget, else while CONSTRUCTION_SHARE of the time lasts),
    each plain and, when the season is crowded and has thin dates, with a pair anchored on each
    (construct.anchor_thin_days; with room for everyone the anchors only add driving: 300 requests, 337 against
    305 km per event), on `workers` processes.

    Returns the `keep` best starts, best first, by (must-keep served, objective in the first style's prices), the
    seconds to the first one, and how many were built."""
    thin = bool(model.thin_dates().any()) and model.crowding() > 1.0
    starts = [(style, anchored) for style in CONSTRUCTION_STYLES for anchored in (False, True) if thin or not anchored]
    first = build_start(model, seed, previous, *starts[0], reporter.report,
                        shown=lambda trial: setattr(reporter, "search", trial))  # progress shows it grow
    first_feasible = time.perf_counter() - clock
    reporter.search = first

    def may_start() -> bool:
        return steps is not None or (time.perf_counter() - clock <= CONSTRUCTION_SHARE * time_limit_s
                                     and not reporter.stop_asked)

    if workers > 1 and len(starts) > 1 and "fork" in multiprocessing.get_all_start_methods():
        ranked, built = _on_two_processes(model, seed, previous, starts, first, may_start, reporter, keep)
    else:
        counter = iter(range(1, len(starts)))
        ranked, built = _build_rest(model, seed, previous, starts, first, lambda: next(counter, len(starts)),
                                    may_start, reporter, keep)
    return [start[2] for start in ranked], first_feasible, built + 1


def build_start(model: Model, seed: int, previous: Plan | None, style, anchored: bool, report,
                shown=lambda trial: None) -> Search:
    """One start: the earlier plan held (a re-plan), must-keep requests, weekend pairs if `anchored`, then the
    construction in this style. `shown(trial)` is told the new search before it is built."""
    trial = Search(model, random.Random(seed), style)
    shown(trial)
    if previous is not None:
        start_from_previous(trial, previous)
    place_must_keep(trial)
    anchors = anchor_thin_days(trial) if anchored else []
    construct(trial, report)
    release_anchors(trial, anchors)
    return trial


def _better(a, b) -> bool:
    """Is start a = (index, key, search) better than b, b being the earlier one? (A later start must win by more
    than rounding.)"""
    return (a[1][0], a[1][1]) > (b[1][0], b[1][1] + 1e-9)


def _winner(a, b):
    """The better of two starts as one process would choose them: in the order they were built."""
    earlier, later = sorted((a, b), key=lambda start: start[0])
    return later if _better(later, earlier) else earlier


def _ranked(starts, keep: int) -> list:
    """The `keep` best of these (index, key, search) starts, best first, as one process would rank them: a start
    goes before every start it beats as _winner chooses."""
    ranked = []
    for start in sorted(starts, key=lambda s: s[0]):
        at = next((j for j, other in enumerate(ranked) if _winner(start, other) is start), len(ranked))
        ranked.insert(at, start)
    return ranked[:keep]


def _build_rest(model, seed, previous, starts, first, take, may_start, reporter, keep=1):
    """Build the starts `take()` hands out (in rising order) until none is left or time is up; returns this
    process's `keep` best (index, key, search), best first, the first start included, and how many it built
    besides the first."""
    ranked, built = [(0, (first.kept(), first.objective()), first)], 0
    while may_start():
        index = take()
        if index >= len(starts):
            break
        trial = build_start(model, seed, previous, *starts[index], reporter.report)
        trial.price_like(first)  # the search and the comparison use one objective: the first style's
        built += 1
        ranked = _ranked(ranked + [(index, (trial.kept(), trial.objective()), trial)], keep)
        if ranked[0][2] is trial:
            reporter.search = trial  # progress shows the best start so far
    return ranked, built


class _Quiet:
    """The forked worker's reporter: it reports nothing (the caller's callback may write to a database)."""

    search, stop_asked = None, False

    @staticmethod
    def report(phase, force=False):
        pass


def _on_two_processes(model, seed, previous, starts, first, may_start, reporter, keep=1):
    """The parent and one forked worker share the starts after the first; returns the `keep` best, best first, and
    how many were built besides the first."""
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 1)

    def take() -> int:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        return index

    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=_worker, args=(child_end, parent_end, model, seed, previous, starts, first, take,
                                             may_start, keep), daemon=True)
    proc.start()
    child_end.close()
    try:
        ranked, built = _build_rest(model, seed, previous, starts, first, take, may_start, reporter, keep)
        if not may_start():  # out of time or asked to stop: the worker takes no new start either
            with counter.get_lock():
                counter.value = len(starts)
        got = _receive(parent_end)
        if got is not None and got[0] == "best":
            _, theirs, count = got
            built += count
            if theirs:  # the worker waits for the answer only then; its searches stay there unless they rank
                ranked = _ranked(ranked + [(index, key, None) for index, key in theirs], keep)
                wanted = [start[0] for start in ranked if start[2] is None]
                states = dict(zip(wanted, _ask(parent_end, wanted) or []))
                ranked = [start if start[2] is not None else (start[0], start[1], Search.from_portable(
                    states[start[0]], first)) for start in ranked if start[2] is not None or start[0] in states]
        elif got is not None:
            log.warning("a construction worker failed; the starts it took are left out:\n%s", got[1])
    finally:
        parent_end.close()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
    return ranked, built


def _worker(link, inherited, model, seed, previous, starts, first, take, may_start, keep=1):
    """The forked worker: builds the starts it takes, reports its `keep` best (index and key; the first start is the
    parent's) and sends the plans of those the parent asks for. It closes the parent's end it inherited, stops
    when its parent is gone, and ends with os._exit (as improve.py's walks, for the same reasons)."""
    inherited.close()
    parent = os.getppid()
    try:  # a parent that is gone (a job worker's SIGKILL) wants no more starts
        ranked, built = _build_rest(model, seed, previous, starts, first, take,
                                    lambda: os.getppid() == parent and may_start(), _Quiet, keep)
        mine = {index: search for index, _key, search in ranked if index != 0}
        link.send(("best", [(index, key) for index, key, _s in ranked if index != 0], built))
        if mine:
            link.send([mine[index].portable() for index in link.recv()])
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        os._exit(0)
    except BaseException:  # a bug: say so (the parent goes on with its own starts)
        try:
            link.send(("error", traceback.format_exc()))
        except (OSError, ValueError):
            pass
        os._exit(1)
    os._exit(0)


def _receive(link):
    return receive(link, HANDOVER_TIMEOUT_S, "a construction worker stopped answering; the parent goes on with its own"
                   " starts")


def _ask(link, wanted: list[int]):
    """Tell the worker which of its starts rank; their plans in that order (None when it is gone)."""
    try:
        link.send(wanted)
    except (BrokenPipeError, OSError):
        return None
    return _receive(link) if wanted else []
