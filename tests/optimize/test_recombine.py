"""Recombination of team-weeks (optimize/recombine.py): the best joined-up set of weeks from several plans.

The seasons are small enough to work the answer out by hand: two weeks (Monday to Sunday, Sundays off), one or
two teams at Chicago, venues whose value is their audience. Each test says what the right answer is and why.
"""
import random

from tests.support.instances import CHICAGO, chicago, instance_dict, req
from tourplanner.optimize import Instance, check, solve
from tourplanner.optimize.model import Model
from tourplanner.optimize.recombine import Pool, blocks_of, install
from tourplanner.optimize.search import Search

TWO_TEAMS = [{"id": "a", "name": "A", "start": CHICAGO, "end": None},
             {"id": "b", "name": "B", "start": CHICAGO, "end": None}]


def season(requests, teams=None):
    return Model(Instance.from_dict(instance_dict(requests, teams=teams, days=14)))


def plan(model, routes):
    """A search holding these routes (request ids per team, in order): its (orders, stops)."""
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


def test_a_week_is_the_stretch_between_two_days_off():
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"))])
    # 2027-02-01 is a Monday; Sunday 7th is off: the first block ends with it
    assert blocks_of(model) == [0] * 7 + [1] * 7


def test_the_better_week_of_each_team_from_two_plans():
    # Plan A: team a holds x in week one; plan B: team b holds y in week two. Each plan alone serves one; the
    # weeks are independent (both teams stay in Chicago), so the answer serves both, as no plan reported did.
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=100),
                    chicago("y", ("2027-02-10T09:00", "2027-02-10T12:00"), audience=200)], TWO_TEAMS)
    a, b = plan(model, [["x"], []]), plan(model, [[], ["y"]])
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    pool.add(b.order, b.stops)
    routes = pool.best(incumbent)
    assert ids(model, routes) == [["x"], ["y"]]
    # The search's objective is the sum of the weeks' gains: what the model maximised is what the plan is worth.
    install(a, routes)
    assert a.served() == 2
    expected = sum(pool.gain[w] for w in pool.weeks(a.order, a.stops))
    assert abs(a.objective() - expected) < 1e-6


def test_a_week_starts_where_the_week_before_ended():
    # Plan A: x (worth 100) in week one, nothing in week two. Plan B: nothing in week one, y (worth 300) in week
    # two, coming from the team's start. The two weeks worth most (A's first, B's second) do not join up: B's
    # second week leaves from the start, not from x. Only whole plans are joined up here, and B is worth more.
    model = season([chicago("x", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=100),
                    chicago("y", ("2027-02-10T09:00", "2027-02-10T12:00"), audience=300)])
    a, b = plan(model, [["x"]]), plan(model, [["y"]])
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    pool.add(b.order, b.stops)
    assert ids(model, pool.best(incumbent)) == [["y"]]


def test_a_request_is_served_once():
    # Plan A: team a holds z (worth most); plan B: team b holds z and team a holds w. Taking team a's week from A
    # and team b's from B would serve z twice; the best answer that serves it once is plan B.
    model = season([chicago("z", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=400),
                    chicago("w", ("2027-02-03T09:00", "2027-02-03T12:00"), audience=50)], TWO_TEAMS)
    a, b = plan(model, [["z"], []]), plan(model, [["w"], ["z"]])
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    pool.add(b.order, b.stops)
    assert ids(model, pool.best(incumbent)) == [["w"], ["z"]]


def test_a_must_keep_request_served_is_never_dropped():
    # Plan A serves the priority-5 p; plan B serves q instead on the same day. A must-keep request carries a
    # bonus that outweighs any other (model.value); here it is taken off, so that q is worth more (1,000 +
    # 50 x 3^2 against 10 + 50 x 5^2) and only the rule keeps p: no accepted change serves fewer must-keep requests.
    model = season([chicago("p", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=10, priority=5),
                    chicago("q", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=1000)])
    a, b = plan(model, [["p"]]), plan(model, [["q"]])
    a.value[0] = b.value[0] = 10 + 50 * 25
    assert b.objective() > a.objective()
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    pool.add(b.order, b.stops)
    assert pool.best(incumbent) is None


MINNEAPOLIS = (44.9778, -93.2650, "America/Chicago", "US", "MN")


def test_a_week_that_cannot_follow_the_week_before_is_cut_out():
    # x is open Monday 1st from 09:00 and Saturday 6th from 19:00. Plan A holds v first on Monday, so x waits until
    # Saturday night; plan B holds x on Monday. Both first weeks end at x. Plan B's second week is y in
    # Minneapolis on Monday 8th from 09:00, reached from Chicago during the week. The weeks worth most (A's first:
    # v and x, B's second: y) join up at x, but from x on Saturday night, with Sunday off, Minneapolis cannot be
    # reached by Monday morning. The exact schedule says so; the answer is plan B, worth more than plan A.
    model = season([chicago("v", ("2027-02-01T09:00", "2027-02-01T11:30"), audience=100),
                    chicago("x", ("2027-02-01T09:00", "2027-02-01T11:30"), ("2027-02-06T19:00", "2027-02-06T21:30"),
                            audience=100),
                    req("y", *MINNEAPOLIS, [("2027-02-08T09:00", "2027-02-08T11:30")], audience=1000)])
    a, b = plan(model, [["v", "x"]]), plan(model, [["x", "y"]])
    assert model.dates[a.stops[0][1].date].isoformat() == "2027-02-06"
    late = a.stops[0][1]
    assert a.visit(late, model.instance.request_index["y"]) is None  # the pair the model must not take
    pool = Pool(a)
    incumbent = pool.add(a.order, a.stops)
    pool.add(b.order, b.stops)
    assert ids(model, pool.best(incumbent)) == [["x", "y"]]


def crowded(requests=60, seed=5):
    """Two teams, three weeks, more requests than they can hold: what the walks' meetings recombine."""
    rng = random.Random(seed)
    cities = [(41.88, -87.63, "America/Chicago", "US", "IL"), (43.04, -87.91, "America/Chicago", "US", "WI"),
              (42.33, -83.05, "America/Detroit", "US", "MI"), (39.77, -86.16, "America/Indiana/Indianapolis", "US",
                                                                 "IN")]
    reqs = []
    for i in range(requests):
        lat, lon, tz, country, region = rng.choice(cities)
        day = rng.randrange(1, 20)
        reqs.append(req(f"r{i}", lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3), tz, country, region,
                        [(f"2027-02-{d:02d}T09:00", f"2027-02-{d:02d}T13:00") for d in (day, day + 1)],
                        audience=rng.randrange(20, 400), priority=rng.choice([1, 2, 3, 4])))
    return Instance.from_dict(instance_dict(reqs, teams=TWO_TEAMS, days=21))


def test_solve_with_recombining_walks_is_repeatable_and_keeps_every_rule():
    instance = crowded()
    first = solve(instance, time_limit_s=60, seed=3, steps=1200, walks=2)
    again = solve(instance, time_limit_s=60, seed=3, steps=1200, walks=2)
    assert first.solver["meetings"] == 3 and "recombined" in first.solver
    assert [[(v.request, v.start) for v in r.visits] for r in first.routes] == \
        [[(v.request, v.start) for v in r.visits] for r in again.routes]
    assert check(instance, first) == []
