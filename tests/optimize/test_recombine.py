"""Recombination of team-weeks (optimize/recombine.py): the joined-up set of weeks from several plans that serves most.

The seasons are small enough to work the answer out by hand: two weeks (Monday to Sunday, Sundays off), one or
two teams at Chicago, venues whose value is their audience. Each test says what the right answer is and why.
"""
import logging
import random
import time

import pytest

from tests.support.instances import CHICAGO, chicago, instance_dict, req
from tourplanner.optimize import Instance, check, solve
from tourplanner.optimize import recombine
from tourplanner.optimize.__main__ import _summary
from tourplanner.optimize.improve import SYNC_STEPS, improve
from tourplanner.optimize.model import Model
from tourplanner.optimize.recombine import Pool, blocks_of, install
from tourplanner.optimize.search import Search
from tourplanner.optimize.solve import MAX_BASINS, basin_count

TWO_TEAMS = [{"id": "a", "name": "A", "start": CHICAGO, "end": None},
             {"id": "b", "name": "B", "start": CHICAGO, "end": None}]


def season(requests, teams=None):
    return Model(Instance.from_dict(instance_dict(requests, teams=teams, days=14)))


def plan(model, routes):
    """A search holding these routes (request ids per team, in order)."""
    search = Search(model, random.Random(1))
    index = model.instance.request_index
    for k, refs in enumerate(routes):
        for ref in refs:
            r, pos = index[ref], len(search.order[k])
            got = search.try_insert(k, pos, r)
            assert got is not None, f"{ref} cannot follow in the hand-made plan"
            search.insert(k, pos, r, got)
    return search


def ids(model, routes):
    return [[model.instance.requests[r].id for r in order] for order in routes]


def recombined(a, *others):
    """The routes recombination picks from plan a (the incumbent) and the others."""
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    for other in others:
        pool.add(other.order, other.stops)
    return pool.best(incumbent)


def test_a_week_is_the_stretch_between_two_days_off():
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"))])
    # 2027-02-01 is a Monday; Sunday 7th is off: the first block ends with it
    assert blocks_of(model) == [0] * 7 + [1] * 7


def test_the_better_week_of_each_team_from_two_plans():
    # Plan A: team a holds x in week one; plan B: team b holds y in week two. Each plan alone serves one; the
    # weeks are independent (both teams stay in Chicago), so the answer serves both, as neither plan did.
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=100),
                    chicago("y", ("2027-02-10T09:00", "2027-02-10T12:00"), audience=200)], TWO_TEAMS)
    a, b = plan(model, [["x"], []]), plan(model, [[], ["y"]])
    routes = recombined(a, b)
    assert ids(model, routes) == [["x"], ["y"]]
    # The search's objective is the sum of the weeks' gains: what the model weighed is what the plan is worth.
    install(a, routes)
    assert a.served() == 2
    pool = Pool(a)
    assert abs(a.objective() - sum(pool.gain[w] for w in pool.add(a.order, a.stops))) < 1e-6


def test_more_screenings_win_over_a_more_valuable_plan():
    # Plan A holds one big venue on Tuesday (audience 1,000); plan B holds two small ones that day instead (50
    # each), one in the morning and one in the evening. A is worth more by the objective; B serves more, and
    # screenings are the headline: the answer is B.
    model = season([chicago("big", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=1000),
                    chicago("s1", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=50),
                    chicago("s2", ("2027-02-02T18:00", "2027-02-02T21:00"), audience=50)])
    a, b = plan(model, [["big"]]), plan(model, [["s1", "s2"]])
    assert a.objective() > b.objective()
    assert ids(model, recombined(a, b)) == [["s1", "s2"]]


def test_of_as_many_screenings_the_more_valuable_set():
    # Plan A: x (worth 100) in week one, nothing in week two. Plan B: nothing in week one, y (worth 300) in week
    # two, coming from the team's start. A's first week and B's second do not join up (B's second week leaves
    # from the start, not from x), so every answer serves one: the more valuable, B.
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=100),
                    chicago("y", ("2027-02-10T09:00", "2027-02-10T12:00"), audience=300)])
    a, b = plan(model, [["x"]]), plan(model, [["y"]])
    assert ids(model, recombined(a, b)) == [["y"]]


def test_a_request_is_served_once():
    # Plan A: team a holds z, team b holds w; plan B: team a holds w, team b holds z. Team a's week from A and
    # team b's from B would serve z twice (and w never); the answer serves each once: one whole plan, here A,
    # worth as much as B, the incumbent on the tie.
    model = season([chicago("z", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=400),
                    chicago("w", ("2027-02-03T09:00", "2027-02-03T12:00"), audience=50)], TWO_TEAMS)
    a, b = plan(model, [["z"], ["w"]]), plan(model, [["w"], ["z"]])
    routes = recombined(a, b)
    assert sorted(r for order in routes for r in order) == [0, 1]


def test_a_must_keep_request_served_is_never_dropped():
    # Plan A serves the priority-5 p; plan B serves q and q2 instead that day, more screenings and more value
    # (the must-keep bonus taken off p). Only the rule keeps p: no plan serves fewer must-keep requests.
    model = season([chicago("p", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=10, priority=5),
                    chicago("q", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=1000),
                    chicago("q2", ("2027-02-02T18:00", "2027-02-02T21:00"), audience=1000)])
    a, b = plan(model, [["p"]]), plan(model, [["q", "q2"]])
    a.value[0] = b.value[0] = 10
    assert ids(model, recombined(a, b)) == [["p"]]


MINNEAPOLIS = (44.9778, -93.2650, "America/Chicago", "US", "MN")


@pytest.mark.parametrize("timing", ["states", "cuts only"])
def test_a_week_that_cannot_follow_the_week_before_is_cut_out(timing, monkeypatch):
    # x is open Monday 1st from 09:00 and Saturday 6th from 19:00. Plan A holds v first on Monday, so x waits until
    # Saturday night; plan B holds x on Monday. Both first weeks end at x. Plan B's second week is y in
    # Minneapolis on Monday 8th from 09:00, reached from Chicago during the week. The weeks that serve most (A's
    # first: v and x, B's second: y) join up at x, but from x on Saturday night, with Sunday off, Minneapolis
    # cannot be reached by Monday morning. The states the weeks were entered and left in say so
    # (recombine._in_time), and without them the exact schedule does (a cut); the answer serves two, and of the two
    # plans that do, B is worth more.
    if timing == "cuts only":
        monkeypatch.setattr(recombine, "_in_time", lambda leaving, entering: True)
    model = season([chicago("v", ("2027-02-01T09:00", "2027-02-01T11:30"), audience=100),
                    chicago("x", ("2027-02-01T09:00", "2027-02-01T11:30"), ("2027-02-06T19:00", "2027-02-06T21:30"),
                            audience=100),
                    req("y", *MINNEAPOLIS, [("2027-02-08T09:00", "2027-02-08T11:30")], audience=1000)])
    a, b = plan(model, [["v", "x"]]), plan(model, [["x", "y"]])
    assert model.dates[a.stops[0][1].date].isoformat() == "2027-02-06"
    assert a.visit(a.stops[0][1], model.instance.request_index["y"]) is None  # the pair the model must not take
    assert ids(model, recombined(a, b)) == [["x", "y"]]


def crowded(requests=110, seed=5):
    """Two teams, three weeks, more requests than they can hold."""
    rng = random.Random(seed)
    cities = [(41.88, -87.63, "America/Chicago", "US", "IL"), (43.04, -87.91, "America/Chicago", "US", "WI"),
              (42.33, -83.05, "America/Detroit", "US", "MI"),
              (39.77, -86.16, "America/Indiana/Indianapolis", "US", "IN")]
    reqs = []
    for i in range(requests):
        lat, lon, tz, country, region = rng.choice(cities)
        day = rng.randrange(1, 20)
        reqs.append(req(f"r{i}", lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3), tz, country, region,
                        [(f"2027-02-{d:02d}T09:00", f"2027-02-{d:02d}T13:00") for d in (day, day + 1)],
                        audience=rng.randrange(20, 400), priority=rng.choice([1, 2, 3, 4])))
    return Instance.from_dict(instance_dict(reqs, teams=TWO_TEAMS, days=21))


def visits(plan_):
    return [[(v.request, v.start) for v in r.visits] for r in plan_.routes]


def test_a_long_solve_improves_several_starts_and_serves_at_least_the_best_of_them(monkeypatch):
    instance = crowded()
    added, add = [], Pool.add
    monkeypatch.setattr(Pool, "add", lambda self, orders, stops: added.append(1) or add(self, orders, stops))
    model = Model(instance)
    assert model.crowding() > 1.0
    assert basin_count(model, 60, None) == 1 and basin_count(model, 180, None) == 2
    assert basin_count(model, 300, None) == basin_count(model, 3600, None) == MAX_BASINS
    first = solve(instance, time_limit_s=300, seed=3, steps=1600, walks=2)
    again = solve(instance, time_limit_s=300, seed=3, steps=1600, walks=2)
    figures = first.solver["recombination"]
    assert figures["starts"] == MAX_BASINS and figures["followed"]
    assert first.kpis["served"] == figures["served"] >= figures["best_start_served"]
    assert visits(first) == visits(again)  # the same steps give the same plan
    # pooled: both walks' best plans at each start's meeting (400 steps each), then the four improved plans and the
    # incumbent; twice, one solve after the other
    assert len(added) == 2 * (MAX_BASINS * 2 + MAX_BASINS + 1)
    assert check(instance, first) == []
    assert (f"long solve: 4 starts improved, the best served {figures['best_start_served']}; their weeks recombined "
            f"serve {figures['served']} ({figures['weeks']} weeks") in _summary(first)


def test_a_short_solve_or_a_replan_improves_one_start():
    instance = crowded()
    short = solve(instance, time_limit_s=60, seed=3, steps=400, walks=1)
    assert "recombination" not in short.solver
    assert basin_count(Model(instance), 300, short) == 1  # a re-plan: earlier visits held at their times


def test_a_recombination_that_never_follows_leaves_the_best_start_and_says_so(monkeypatch, caplog):
    # The safety net: when no answer passes the exact schedule, the plan is the best improved start, the log
    # says so and solver["recombination"]["followed"] is False (asserted True above).
    monkeypatch.setattr(Pool, "_first_break", lambda self, chosen: (chosen[0], chosen[0]))
    instance = crowded()
    with caplog.at_level(logging.WARNING, logger=recombine.log.name):
        got = solve(instance, time_limit_s=300, seed=3, steps=1600, walks=1)
    figures = got.solver["recombination"]
    assert not figures["followed"] and got.kpis["served"] == figures["best_start_served"]
    assert "recombination found no plan that follows" in caplog.text
    assert "no recombination followed, so the plan is that start's" in _summary(got)
    assert check(instance, got) == []


def test_a_long_solve_that_is_cancelled_stops_after_the_start_it_is_improving():
    # The job page's Cancel: the callback answers False; the solve stops within its current start and does not
    # go on to the next ones, and the plan it returns keeps every rule.
    instance = crowded()
    phases = []

    def cancel_when_improving(info):
        phases.append(info["phase"])
        return info["phase"] != "improve"

    got = solve(instance, time_limit_s=300, seed=3, steps=10 ** 6, walks=1, progress=cancel_when_improving)
    assert got.solver["recombination"]["starts"] == 1
    assert got.solver["steps"] < 10 ** 6 // MAX_BASINS
    assert phases[-2:] == ["recombine", "done"]
    assert check(instance, got) == []


def test_the_walks_show_every_best_plan_at_each_meeting_to_the_pool():
    # What a long solve recombines: improve() hands each walk's best plan to `seen` at every meeting (every
    # SYNC_STEPS with a step budget): two walks, three meetings, six plans, the last of them the plan it returns.
    instance = crowded()
    model = Model(instance)
    search = Search(model, random.Random(3))
    for r in range(0, model.n, 3):
        got = search.best_insertion(r)
        if got is not None:
            _delta, k, pos, placed = got
            search.insert(k, pos, r, placed)
    shown = []
    improve(search, steps=3 * SYNC_STEPS, deadline=time.perf_counter() + 60, time_limit_s=60, walks=2, seed=3,
            seen=lambda orders, stops: shown.append([list(o) for o in orders]))
    assert len(shown) == 6
    assert [list(o) for o in search.order] in shown[-2:]
