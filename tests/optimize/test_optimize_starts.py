"""The construction styles built on two processes (starts.py): the same start as on one, handed over whole."""
import os
import pickle
import time

from tests.support.instances import great_lakes_season
from tests.support.wait import outlives
from tourplanner.optimize import check, solve
from tourplanner.optimize import starts
from tourplanner.optimize.construct import CONSTRUCTION_STYLES
from tourplanner.optimize.model import Model
from tourplanner.optimize.moves import lns_step
from tourplanner.optimize.search import Search


def routes(plan):
    return [[(v.request, v.start) for v in r.visits] for r in plan.routes]


def test_two_processes_choose_the_start_one_process_chooses():
    _, instance = great_lakes_season(120)
    one = solve(instance, time_limit_s=30, seed=1, steps=0, walks=1)
    two = solve(instance, time_limit_s=30, seed=1, steps=0, walks=2)
    assert one.solver["constructions"] == two.solver["constructions"] == len(CONSTRUCTION_STYLES)
    assert routes(two) == routes(one) and two.solver["objective"] == one.solver["objective"]
    assert check(instance, two) == []


def test_the_best_starts_of_a_long_solve_rank_the_same_on_one_process_and_two():
    # A long solve (recombine.py) improves the four best starts: the worker's starts among them are handed over,
    # in the order one process ranks them.
    _, instance = great_lakes_season(120)
    model = Model(instance)
    ranked = {}
    for workers in (1, 2):
        got, _first_s, built = starts.best_starts(model, 1, None, 0, 30, time.perf_counter(), starts._Quiet(),
                                                  workers, keep=4)
        assert built == len(CONSTRUCTION_STYLES)
        ranked[workers] = [(s.objective(), s.order) for s in got]
    assert len(ranked[1]) == 4 and ranked[2] == ranked[1]
    objectives = [objective for objective, _order in ranked[1]]
    assert objectives == sorted(objectives, reverse=True)


def test_a_start_the_worker_built_wins_and_goes_on_exactly_as_on_one_process(monkeypatch):
    # The parent builds only the first start; the worker builds the five others, and one of them is the best
    # (test_optimize_solve: the first style is not the best on this season).
    parent, build_rest = os.getpid(), starts._build_rest

    def only_the_worker_builds(model, seed, previous, styles, first, take, may_start, reporter, keep=1):
        if os.getpid() == parent:
            take = lambda: len(styles)  # noqa: E731
        return build_rest(model, seed, previous, styles, first, take, may_start, reporter, keep)

    monkeypatch.setattr(starts, "_build_rest", only_the_worker_builds)
    _, instance = great_lakes_season(120)
    handed = solve(instance, time_limit_s=30, seed=1, steps=0, walks=2)
    handed_on = solve(instance, time_limit_s=30, seed=1, steps=60, walks=2)
    monkeypatch.setattr(starts, "_build_rest", build_rest)
    alone = solve(instance, time_limit_s=30, seed=1, steps=0, walks=1)  # one process builds all six
    shared = solve(instance, time_limit_s=30, seed=1, steps=60, walks=2)
    assert handed.solver["constructions"] == len(CONSTRUCTION_STYLES)
    assert handed.solver["objective"] == alone.solver["objective"] > first_start_objective(instance)
    assert routes(handed) == routes(alone)
    assert routes(handed_on) == routes(shared)  # the LNS goes on from it as from a start built at home


def first_start_objective(instance):
    model = Model(instance)
    return starts.build_start(model, 1, None, CONSTRUCTION_STYLES[0], False, lambda phase: None).objective()


def test_a_search_sent_back_is_the_same_search_and_goes_on_the_same_way():
    _, instance = great_lakes_season(120)
    model = Model(instance)
    first = starts.build_start(model, 1, None, CONSTRUCTION_STYLES[0], False, lambda phase: None)
    other = starts.build_start(model, 1, None, CONSTRUCTION_STYLES[2], False, lambda phase: None)
    other.price_like(first)
    sent = pickle.dumps(other.portable())
    assert len(sent) < 0.2 * other.cost.nbytes  # the cost tables stay behind (shared with the first start)
    back = Search.from_portable(pickle.loads(sent), first)
    assert back.order == other.order and back.stops == other.stops and back.objective() == other.objective()
    built = other.objective()
    for search in (other, back):  # each with its own random stream, in the same state
        for _ in range(40):
            lns_step(search, threshold=0.0)
    assert back.order == other.order and back.objective() == other.objective() > built


def test_progress_is_reported_from_the_solving_process_only(tmp_path):
    # A job's progress callback writes to the database: a forked worker must never call it. The callback writes
    # its process to a file, which a forked process would append to as well (a set in memory would not show it).
    _, instance = great_lakes_season(1000)  # starts that take long enough for progress to be due in the worker
    seen = tmp_path / "pids"

    def progress(info):
        with seen.open("a") as out:
            out.write(f"{os.getpid()}\n")

    solve(instance, time_limit_s=30, seed=1, steps=20, walks=2, progress=progress)
    assert set(seen.read_text().split()) == {str(os.getpid())}


def test_a_construction_worker_that_dies_leaves_the_parent_to_build_every_start(monkeypatch, caplog):
    monkeypatch.setattr(starts, "_worker", lambda *args: os._exit(3))
    _, instance = great_lakes_season(120)
    plan = solve(instance, time_limit_s=30, seed=1, steps=0, walks=2)
    alone = solve(instance, time_limit_s=30, seed=1, steps=0, walks=1)
    assert "a construction worker stopped answering" in caplog.text
    assert plan.solver["constructions"] == len(CONSTRUCTION_STYLES)
    assert routes(plan) == routes(alone)


def test_a_construction_worker_whose_parent_is_killed_exits():
    """A job worker killed while it builds the starts (SIGKILL): its construction worker finishes the start in hand
    (3 s here), takes no new one and exits, rather than building the rest of the season's starts for nobody."""
    import pathlib
    import signal
    import subprocess
    import sys
    import time

    root = pathlib.Path(__file__).resolve().parents[2]
    script = (
        "import os, time\n"
        "from tests.support.instances import great_lakes_season\n"
        "from tourplanner.optimize import solve, starts\n"
        "parent, build, calls = os.getpid(), starts.build_start, []\n"
        "def slow_after_the_first(*args, **kw):  # each start after the first takes 3 s\n"
        "    calls.append(1)\n"
        "    if os.getpid() != parent or len(calls) > 1:\n"
        "        time.sleep(3)\n"
        "    return build(*args, **kw)\n"
        "starts.build_start = slow_after_the_first\n"
        "_r, instance = great_lakes_season(120)\n"
        "solve(instance, time_limit_s=120, seed=1, steps=10, walks=2)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    children_file = pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    children, waited = [], time.monotonic()
    try:
        while not children and time.monotonic() - waited < 30:
            time.sleep(0.05)
            children = [int(c) for c in children_file.read_text().split()]
        assert len(children) == 1  # the construction worker, in its first start
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    assert not outlives(children[0], 8), "the construction worker outlived its killed parent"


def test_a_construction_worker_that_fails_is_named_in_the_log_and_its_start_left_out(monkeypatch, caplog):
    import time

    parent, build = os.getpid(), starts.build_start

    def failing_in_the_worker(*args, **kw):
        if os.getpid() != parent:
            raise RuntimeError("a bug in a construction style")
        time.sleep(0.3)  # the parent is slow enough for the worker to take a start
        return build(*args, **kw)

    monkeypatch.setattr(starts, "build_start", failing_in_the_worker)
    _, instance = great_lakes_season(120)
    plan = solve(instance, time_limit_s=30, seed=1, steps=0, walks=2)
    assert "a construction worker failed; the starts it took are left out" in caplog.text
    assert "RuntimeError: a bug in a construction style" in caplog.text
    assert plan.solver["constructions"] == len(CONSTRUCTION_STYLES) - 1
    assert check(instance, plan) == []
