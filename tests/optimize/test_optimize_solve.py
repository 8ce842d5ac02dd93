"""Hand-checkable tour instances (1-2 teams, 1-6 venues) with the exact plan the optimizer must return."""
import ast
import os
import pathlib

import pytest

from tests.support.instances import CHICAGO, chicago, great_lakes_season, instance_dict, req
from tests.support.wait import outlives
from tourplanner.optimize import Instance, InstanceError, Plan, check, solve
from tourplanner.optimize import improve as walks
from tourplanner.optimize.moves import kick, lns_step



def plan_for(requests, **kw):
    instance = Instance.from_dict(instance_dict(requests, **kw))
    plan = solve(instance, time_limit_s=2, seed=1, steps=40)
    assert check(instance, plan) == []
    assert plan.status == "feasible"
    return plan


def visits(plan, team="a"):
    return [(v.request, v.start) for v in plan.route(team).visits]


def reasons(plan):
    return {u.request: u.reason for u in plan.unserved}


def test_night_rest_splits_a_long_leg_and_sleeps_on_the_road():
    # Chicago event ends 20:00 (+15 teardown); Detroit is 251 min away. Driving stops at 22:00 Eastern =
    # 21:00 Central (both ends' day hours), 45 min that night, the other 206 from 08:00 Eastern: arrive
    # 11:26, set up 30 min, start 11:56.
    plan = plan_for([chicago("chi", ("2027-02-02T18:00", "2027-02-02T21:00")),
                     req("det", 42.3314, -83.0458, "America/Detroit", "US", "MI",
                         [("2027-02-03T07:00", "2027-02-03T15:00")])])
    assert visits(plan) == [("chi", "2027-02-02T18:30:00-06:00"), ("det", "2027-02-03T11:56:00-05:00")]
    route = plan.route("a")
    assert route.visits[1].drive_minutes_before == 251
    assert route.visits[1].drive_km_before == 450.1
    night = {n.date: (n.lat, n.lon) for n in route.nights}
    # 45/251 of the straight line (the model has no roads): near New Buffalo, Michigan
    assert night["2027-02-02"] == (41.9594, -86.808)
    assert night["2027-02-03"] == (42.3314, -83.0458)
    assert plan.kpis == {"served": 2, "requests": 2, "audience": 200, "drive_km": 450.1, "drive_minutes": 251}


def test_rest_day_moves_the_event_and_a_day_off_only_window_is_unserved():
    plan = plan_for([chicago("x", ("2027-02-03T09:00", "2027-02-04T15:00")),
                     chicago("y", ("2027-02-03T09:00", "2027-02-03T15:00"))], days_off=["wed"])
    assert visits(plan) == [("x", "2027-02-04T07:30:00-06:00")]  # the window runs overnight
    assert reasons(plan) == {"y": "holiday_or_day_off"}


def test_canadian_thanksgiving_in_ontario_is_a_holiday():
    toronto = {"lat": 43.6532, "lon": -79.3832, "tz": "America/Toronto"}
    both = req("both", 43.6532, -79.3832, "America/Toronto", "CA", "ON",
               [("2027-10-11T09:00", "2027-10-11T17:00"), ("2027-10-12T09:00", "2027-10-12T17:00")])
    only = req("only", 43.66, -79.39, "America/Toronto", "CA", "ON", [("2027-10-11T09:00", "2027-10-11T17:00")])
    plan = plan_for([both, only], teams=[{"id": "a", "name": "A", "start": toronto, "end": None}],
                    start="2027-10-11", days=3)
    assert visits(plan) == [("both", "2027-10-12T09:30:00-04:00")]
    assert reasons(plan) == {"only": "holiday_or_day_off"}


def test_presidents_day_and_holidays_off_rule():
    r = chicago("p", ("2027-02-15T09:00", "2027-02-15T17:00"), ("2027-02-16T09:00", "2027-02-16T17:00"))
    assert visits(plan_for([r], start="2027-02-15")) == [("p", "2027-02-16T09:30:00-06:00")]
    assert visits(plan_for([r], start="2027-02-15", holidays=False)) == [("p", "2027-02-15T09:30:00-06:00")]


def test_second_window_used_when_the_first_is_too_short():
    plan = plan_for([chicago("w", ("2027-02-02T09:00", "2027-02-02T10:00"), ("2027-02-03T13:00", "2027-02-03T17:00"))])
    assert visits(plan) == [("w", "2027-02-03T13:30:00-06:00")]


def test_pins_to_team_and_to_start_time():
    teams = [{"id": "a", "name": "A", "start": CHICAGO, "end": None},
             {"id": "b", "name": "B", "start": {"lat": 41.85, "lon": -87.65, "tz": "America/Chicago"}, "end": None}]
    plan = plan_for([chicago("near_a", ("2027-02-02T09:00", "2027-02-02T17:00"), team="b"),
                     chicago("fixed", ("2027-02-03T09:00", "2027-02-03T17:00"), fixed_start="2027-02-03T14:00",
                             team="a")], teams=teams)
    assert visits(plan, "b") == [("near_a", "2027-02-02T09:30:00-06:00")]
    assert visits(plan, "a") == [("fixed", "2027-02-03T14:00:00-06:00")]


def test_pinned_start_outside_windows_is_a_pinned_conflict():
    plan = plan_for([chicago("p", ("2027-02-03T09:00", "2027-02-03T12:00"), fixed_start="2027-02-03T16:00")])
    assert reasons(plan) == {"p": "pinned_conflict"}


def test_border_crossing_adds_the_delay():
    detroit = {"lat": 42.3314, "lon": -83.0458, "tz": "America/Detroit"}
    plan = plan_for([req("windsor", 42.3149, -83.0364, "America/Toronto", "CA", "ON",
                         [("2027-02-01T10:00", "2027-02-01T15:00")])],
                    teams=[{"id": "a", "name": "A", "start": detroit, "end": None}])
    visit = plan.route("a").visits[0]
    assert (visit.drive_minutes_before, visit.drive_km_before) == (64, 2.3)  # 4 min of road + 60 at the bridge
    assert visit.start == "2027-02-01T10:30:00-05:00"


def test_border_crossing_can_make_a_window_unreachable():
    detroit = {"lat": 42.3314, "lon": -83.0458, "tz": "America/Detroit"}
    plan = plan_for([req("windsor", 42.3149, -83.0364, "America/Toronto", "CA", "ON",
                         [("2027-02-01T07:00", "2027-02-01T09:30")])],
                    teams=[{"id": "a", "name": "A", "start": detroit, "end": None}])
    assert reasons(plan) == {"windsor": "no_reachable_window"}


def test_arizona_keeps_standard_time_in_summer():
    phoenix = {"lat": 33.4484, "lon": -112.074, "tz": "America/Phoenix"}
    plan = plan_for([req("phx", 33.4484, -112.074, "America/Phoenix", "US", "AZ",
                         [("2027-07-06T08:00", "2027-07-06T12:00")])],
                    teams=[{"id": "a", "name": "A", "start": phoenix, "end": None}], start="2027-07-05")
    assert visits(plan) == [("phx", "2027-07-06T08:30:00-07:00")]


def test_newfoundland_half_hour_zone_across_dst_change():
    stjohns = {"lat": 47.5615, "lon": -52.7126, "tz": "America/St_Johns"}
    nl = [req(f"n{i}", 47.5615, -52.7126, "America/St_Johns", "CA", "NL",
              [(f"2027-03-{d}T09:00", f"2027-03-{d}T12:00")]) for i, d in ((1, 13), (2, 15))]
    plan = plan_for(nl, teams=[{"id": "a", "name": "A", "start": stjohns, "end": None}], start="2027-03-12")
    assert visits(plan) == [("n1", "2027-03-13T09:30:00-03:30"), ("n2", "2027-03-15T09:30:00-02:30")]


def test_events_per_day_and_priority_five_first():
    many = [chicago(f"c{i}", ("2027-02-02T08:00", "2027-02-02T21:00"), audience=500) for i in range(3)]
    vip = chicago("vip", ("2027-02-02T08:00", "2027-02-02T21:00"), audience=5, priority=5)
    plan = plan_for(many + [vip], days=2)
    served = [ref for ref, _ in visits(plan)]
    assert len(served) == 2 and "vip" in served
    assert sorted(reasons(plan).values()) == ["dropped_for_value", "dropped_for_value"]


def test_unserved_reasons_cheap_checks():
    vancouver = req("van", 49.2827, -123.1207, "America/Vancouver", "CA", "BC", [("2027-02-01T08:00", "2027-02-01T11:00")])
    edge = chicago("edge", ("2027-01-31T20:00", "2027-02-01T06:00"))
    nowin = chicago("nowin")
    plan = plan_for([vancouver, edge, nowin])
    assert reasons(plan) == {"van": "no_reachable_window", "edge": "outside_tour_dates",
                             "nowin": "outside_tour_dates"}


def test_team_end_must_be_reachable():
    teams = [{"id": "a", "name": "A", "start": CHICAGO,
              "end": {"lat": 42.3314, "lon": -83.0458, "tz": "America/Detroit"}}]
    # the event on the last day ends too late to drive 318 min home before the season ends
    plan = plan_for([chicago("late", ("2027-02-03T15:00", "2027-02-03T21:00"))], teams=teams, days=3)
    assert reasons(plan) == {"late": "no_reachable_window"}
    plan = plan_for([chicago("early", ("2027-02-02T09:00", "2027-02-02T21:00"))], teams=teams, days=3)
    assert visits(plan) == [("early", "2027-02-02T09:30:00-06:00")]


def test_same_seed_and_steps_give_the_same_plan():
    reqs = [req(f"r{i}", 41.0 + (i * 37 % 17) / 10, -88.0 + (i * 53 % 23) / 10, "America/Chicago", "US", "IL",
                [("2027-02-02T08:00", "2027-02-06T20:00")], audience=50 + i) for i in range(12)]
    instance = Instance.from_dict(instance_dict(reqs))
    one = solve(instance, time_limit_s=5, seed=3, steps=60).to_dict()
    two = solve(instance, time_limit_s=5, seed=3, steps=60).to_dict()
    for d in (one, two):
        d["solver"].pop("wall_s"), d["solver"].pop("first_feasible_s")
    assert one == two


def test_replanning_keeps_visits_and_counts_moves():
    base = [chicago("a1", ("2027-02-02T08:00", "2027-02-05T20:00")),
            chicago("a2", ("2027-02-02T08:00", "2027-02-05T20:00"))]
    first = Instance.from_dict(instance_dict(base))
    plan = solve(first, time_limit_s=2, seed=1, steps=20)
    added = Instance.from_dict(instance_dict(base + [chicago("new", ("2027-02-02T08:00", "2027-02-05T20:00"))]))
    again = solve(added, time_limit_s=2, seed=1, steps=20, previous=plan)
    assert check(added, again) == []
    old = dict(visits(plan))
    assert {k: v for k, v in visits(again) if k in old} == old
    assert "new" in dict(visits(again))
    assert again.solver["moved"] == 0 and again.solver["dropped"] == 0


def one_slot_for_two():
    """Two Chicago requests with the same one-hour-and-a-half slot, one event a day: one of them cannot be served."""
    window = ("2027-02-02T09:00", "2027-02-02T11:15")
    return Instance.from_dict(instance_dict([chicago("x", window), chicago("y", window, audience=50)],
                                            max_events_per_day=1))


def test_progress_can_stop_the_search():
    # One request stays unserved, so the search would run its whole 20 s: only the callback's False stops it.
    seen = []
    plan = solve(one_slot_for_two(), time_limit_s=20, seed=1, progress=lambda info: seen.append(info) or False)
    assert plan.solver["wall_s"] < 5
    assert {"phase", "served", "audience", "drive_km", "elapsed_s", "time_limit_s"} <= set(seen[0])


def test_the_search_uses_its_time_while_a_request_is_unserved():
    plan = solve(one_slot_for_two(), time_limit_s=2, seed=1)
    assert visits(plan) == [("x", "2027-02-02T09:30:00-06:00")]
    assert plan.solver["wall_s"] >= 1.4  # 2 s less the reserve for building and checking the plan


def test_a_search_that_serves_everything_stops_early():
    plan = solve(Instance.from_dict(instance_dict([chicago("x", ("2027-02-02T08:00", "2027-02-05T20:00"))])),
                 time_limit_s=20, seed=1)
    assert plan.kpis["served"] == 1 and plan.solver["wall_s"] < 5


def test_replanning_with_nothing_changed_keeps_every_visit():
    # The demo's bug: a re-plan seeded priority-5 requests a second time; the checker rejected the duplicates
    # and the safety net dropped them (5 of 262 removed). The autouse fixture fails any test on a repair too.
    _, instance = great_lakes_season()
    first = solve(instance, time_limit_s=5, seed=2, steps=150)
    again = solve(instance, time_limit_s=5, seed=2, steps=150, previous=first)
    assert check(instance, again) == []
    before = {v.request: (r.team, v.start) for r in first.routes for v in r.visits}
    after = {v.request: (r.team, v.start) for r in again.routes for v in r.visits}
    assert {ref: after.get(ref) for ref in before} == before
    assert sum(r.priority == 5 for r in instance.requests if r.id in before) >= 5  # the case that broke
    assert (again.solver["kept"], again.solver["moved"], again.solver["dropped"]) == (len(before), 0, 0)


def test_replanning_moves_an_earlier_visit_to_serve_a_new_priority_five_and_counts_the_move():
    # One event a day. The earlier plan has "old" on Tuesday; a new priority-5 request can only be on Tuesday,
    # and "old" can also be on Wednesday: moving it serves both.
    old = chicago("old", ("2027-02-02T09:00", "2027-02-03T12:00"))
    first_instance = Instance.from_dict(instance_dict([old], max_events_per_day=1, days=4))
    first = solve(first_instance, time_limit_s=2, seed=1, steps=20)
    assert visits(first) == [("old", "2027-02-02T09:30:00-06:00")]
    must = chicago("must", ("2027-02-02T09:00", "2027-02-02T12:00"), priority=5, audience=10)
    instance = Instance.from_dict(instance_dict([old, must], max_events_per_day=1, days=4))
    again = solve(instance, time_limit_s=2, seed=1, steps=60, previous=first)
    assert visits(again) == [("must", "2027-02-02T09:30:00-06:00"), ("old", "2027-02-03T07:30:00-06:00")]
    assert (again.solver["kept"], again.solver["moved"], again.solver["dropped"]) == (0, 1, 0)


def test_replanning_never_drops_an_earlier_visit_for_a_bigger_new_request():
    small = chicago("small", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=20)
    first = solve(Instance.from_dict(instance_dict([small], max_events_per_day=1, days=4)),
                  time_limit_s=2, seed=1, steps=20)
    big = chicago("big", ("2027-02-02T09:00", "2027-02-02T12:00"), audience=900, priority=4)
    instance = Instance.from_dict(instance_dict([small, big], max_events_per_day=1, days=4))
    again = solve(instance, time_limit_s=2, seed=1, steps=60, previous=first)
    assert visits(again) == [("small", "2027-02-02T09:30:00-06:00")]
    assert reasons(again) == {"big": "dropped_for_value"}
    assert (again.solver["kept"], again.solver["dropped"]) == (1, 0)


def test_a_visit_that_cannot_stay_at_its_time_is_placed_elsewhere():
    # The venue's Tuesday is gone (a refused date): the earlier visit takes Wednesday's one event, even from
    # a bigger new request, rather than be dropped.
    first = solve(Instance.from_dict(instance_dict([chicago("v", ("2027-02-02T09:00", "2027-02-03T12:00"))],
                                                   max_events_per_day=1)), time_limit_s=2, seed=1, steps=20)
    assert visits(first) == [("v", "2027-02-02T09:30:00-06:00")]
    wednesday = ("2027-02-03T09:00", "2027-02-03T12:00")
    instance = Instance.from_dict(instance_dict([chicago("v", wednesday, audience=20),
                                                 chicago("big", wednesday, audience=900)], max_events_per_day=1))
    again = solve(instance, time_limit_s=2, seed=1, steps=40, previous=first)
    assert visits(again) == [("v", "2027-02-03T09:30:00-06:00")]
    assert (again.solver["kept"], again.solver["moved"], again.solver["dropped"]) == (0, 1, 0)


@pytest.mark.repairs_expected
def test_a_repair_is_never_silent(monkeypatch):
    """The safety net (a visit check rejects is dropped) names what it dropped in solver and in the log."""
    import importlib

    from tourplanner.optimize.check import Violation

    solve_module = importlib.import_module("tourplanner.optimize.solve")  # the package's `solve` is the function

    real = solve_module.check
    calls = []

    def rejects_x_once(instance, plan, matrix=None):
        calls.append(1)
        found = real(instance, plan, matrix=matrix)
        return found + [Violation("window", "x", "a", "made up")] if len(calls) == 1 else found

    monkeypatch.setattr(solve_module, "check", rejects_x_once)
    instance = Instance.from_dict(instance_dict([chicago("x", ("2027-02-02T08:00", "2027-02-05T20:00")),
                                                 chicago("y", ("2027-02-02T08:00", "2027-02-05T20:00"))]))
    plan = solve(instance, time_limit_s=2, seed=1, steps=10)
    assert plan.status == "feasible"
    assert [v.request for v in plan.route("a").visits] == ["y"]
    assert plan.solver["repaired"] == 1 and plan.solver["repaired_requests"] == ["x"]


def test_instance_and_plan_json_round_trip():
    d = instance_dict([chicago("x", ("2027-02-02T08:00", "2027-02-05T20:00"), team="a", fixed_start="2027-02-03T10:00")],
                      audience_weight=2.0)
    instance = Instance.from_dict(d)
    assert instance.to_dict() == d
    plan = solve(instance, time_limit_s=1, seed=1, steps=5)
    assert Plan.from_dict(plan.to_dict()) == plan
    assert Plan.from_dict(plan.to_dict()).to_dict() == plan.to_dict()


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(tz="Mars/Olympus"), "request x: unknown time zone 'Mars/Olympus'"),
    (lambda r: r.update(windows=[{"start": "2027-02-03T10:00", "end": "2027-02-03T09:00"}]),
     "request x: window 1 ends (2027-02-03T09:00) before it starts (2027-02-03T10:00)"),
    (lambda r: r.update(windows=[{"start": "2027-03-03T10:00", "end": "2027-03-03T12:00"}]),
     "request x: window 1 (2027-03-03T10:00 to 2027-03-03T12:00) lies outside the season (2027-02-01 to 2027-02-07)"),
    (lambda r: r.update(team="ghost"), "request x: pinned to unknown team 'ghost' (teams: a)"),
    (lambda r: r.update(region="ZZ"), "request x: no public-holiday calendar for country 'US' region 'ZZ'"),
    (lambda r: r.update(windows=[{"start": "2027-02-03T10:00-05:00", "end": "2027-02-03T12:00"}]),
     "request x window 1 start: give local wall-clock time without a UTC offset"),
])
def test_bad_input_names_the_request(change, message):
    r = chicago("x", ("2027-02-02T08:00", "2027-02-05T20:00"))
    change(r)
    with pytest.raises(InstanceError) as err:
        Instance.from_dict(instance_dict([r]))
    assert message in str(err.value)


def test_optimize_imports_only_stdlib_numpy_ortools_holidays():
    import sys

    allowed = {"numpy", "ortools", "holidays"} | set(sys.stdlib_module_names)
    package = pathlib.Path(__file__).resolve().parents[2] / "tourplanner" / "optimize"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_optimize_modules_import_one_way():
    """No import circle inside the optimizer, and no import inside a function but the optional heavy ones."""
    package = pathlib.Path(__file__).resolve().parents[2] / "tourplanner" / "optimize"
    imports = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        imports[path.stem] = {(node.module or "").split(".")[0] for node in ast.walk(tree)
                              if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    assert all(n.split(".")[0] in ("ortools", "holidays") for n in names) and not getattr(
                        node, "level", 0), f"{path.name} imports {names} inside {function.name}"

    def reaches(start, target, seen=()):
        return any(m == target or (m not in seen and reaches(m, target, (*seen, m))) for m in imports.get(start, ()))

    assert not [m for m in imports if reaches(m, m)], "import circle in tourplanner/optimize"


def test_random_great_lakes_season_passes_check():
    reqs, instance = great_lakes_season()
    plan = solve(instance, time_limit_s=5, seed=2, steps=150)
    assert check(instance, plan) == []
    served = {v.request for r in plan.routes for v in r.visits}
    assert served | {u.request for u in plan.unserved} == {r["id"] for r in reqs}
    assert plan.kpis["served"] == len(served) > 20
    fives = {r["id"] for r in reqs if r["priority"] == 5}
    assert all(u.reason != "dropped_for_value" or u.request not in fives
               or "priority-5" in u.detail for u in plan.unserved)


def test_the_search_starts_from_the_best_construction_style():
    import random

    from tourplanner.optimize.construct import CONSTRUCTION_STYLES, construct, place_must_keep
    from tourplanner.optimize.model import Model
    from tourplanner.optimize.search import Search

    _, instance = great_lakes_season(120)
    model = Model(instance)
    built = []
    for style in CONSTRUCTION_STYLES:
        search = Search(model, random.Random(1), style)
        place_must_keep(search)
        construct(search, lambda phase: None)
        search.weigh(*CONSTRUCTION_STYLES[0])
        built.append(round(search.objective(), 1))
    assert len(set(built)) > 1  # the styles do build different plans here
    plan = solve(instance, time_limit_s=5, seed=1, steps=0)  # no improvement step: the start itself
    assert plan.solver["constructions"] == len(CONSTRUCTION_STYLES)
    assert plan.solver["objective"] == max(built) > built[0]
    assert check(instance, plan) == []


def test_two_walks_with_a_step_budget_give_the_same_plan_every_time(monkeypatch):
    # Meetings every 25 steps, so the walks meet and pass plans on several times within the budget.
    monkeypatch.setattr(walks, "SYNC_STEPS", 25)
    _reqs, instance = great_lakes_season(40)
    one = solve(instance, time_limit_s=30, seed=5, steps=150, walks=2).to_dict()
    two = solve(instance, time_limit_s=30, seed=5, steps=150, walks=2).to_dict()
    assert one["solver"]["walks"] == 2 and one["solver"]["steps"] == 300  # both walks' steps
    assert one["solver"]["meetings"] == 6 and one["solver"]["adopted"] > 0  # plans were passed on
    for d in (one, two):
        d["solver"].pop("wall_s"), d["solver"].pop("first_feasible_s")
    assert one == two
    assert check(instance, Plan.from_dict(one)) == []


def test_a_walk_that_dies_leaves_the_others_to_finish(monkeypatch, caplog):
    monkeypatch.setattr(walks, "SYNC_STEPS", 25)
    monkeypatch.setattr(walks, "_walk_process", lambda *args: os._exit(3))
    _reqs, instance = great_lakes_season(40)
    plan = solve(instance, time_limit_s=30, seed=5, steps=100, walks=2)
    alone = solve(instance, time_limit_s=30, seed=5, steps=100, walks=1)
    assert "a search walk stopped answering" in caplog.text
    assert plan.solver["steps"] == 100 and [r.visits for r in plan.routes] == [r.visits for r in alone.routes]


def test_a_stuck_walk_is_kicked_and_the_plan_stays_reproducible(monkeypatch):
    # 120 requests for 2 teams x 18 working days x 2 events (crowded): a walk that stops improving is kicked.
    monkeypatch.setattr(walks, "KICK_STEPS", 5)
    monkeypatch.setattr(walks, "KICK_PER_REQUEST", 0)
    monkeypatch.setattr(walks, "SYNC_STEPS", 40)
    reqs, instance = great_lakes_season(120)
    one = solve(instance, time_limit_s=30, seed=2, steps=200, walks=2)
    two = solve(instance, time_limit_s=30, seed=2, steps=200, walks=2)
    assert one.solver["kicks"] > 0
    assert [r.visits for r in one.routes] == [r.visits for r in two.routes]
    assert check(instance, one) == []
    fives = {r["id"] for r in reqs if r["priority"] == 5}
    alone = solve(instance, time_limit_s=30, seed=2, steps=0)  # the start: every priority 5 it can hold
    served = {v.request for r in one.routes for v in r.visits}
    assert {v.request for r in alone.routes for v in r.visits} & fives <= served  # kicks never drop one


def _constructed(instance, seed):
    import random

    from tourplanner.optimize.construct import construct, place_must_keep
    from tourplanner.optimize.model import Model
    from tourplanner.optimize.search import Search

    search = Search(Model(instance), random.Random(seed))
    place_must_keep(search)
    construct(search, lambda phase: None)
    return search


def test_a_walk_that_adopts_a_better_plan_goes_on_from_exactly_that_plan():
    _reqs, instance = great_lakes_season(120)
    ahead, behind = _constructed(instance, 1), _constructed(instance, 1)
    for _ in range(200):
        lns_step(ahead)
    leader = walks.Walk(ahead, 200, 0.0, 30)
    follower = walks.Walk(behind, 200, 0.0, 30)
    assert leader.best_key > follower.best_key
    follower.adopt(*leader.best_plan())
    assert (behind.order, behind.stops, behind.team_of.tolist()) == (ahead.order, ahead.stops, ahead.team_of.tolist())
    assert (behind.kept(), behind.objective()) == follower.best_key == leader.best_key


def test_a_kick_empties_days_of_one_team_and_never_drops_a_must_keep_request():
    from tourplanner.optimize.result import build_plan

    _reqs, instance = great_lakes_season(120)
    search = _constructed(instance, 1)
    before = [o[:] for o in search.order]
    kept = search.kept()
    kick(search)
    changed = [k for k in range(len(before)) if search.order[k] != before[k]]
    assert len(changed) == 1  # one team's days, refilled from the pool
    gone = set(before[changed[0]]) - set(search.order[changed[0]])
    assert gone and all(search.team_of[r] < 0 for r in gone)  # the removed wait in the pool
    assert search.kept() >= kept
    assert check(instance, build_plan(search, {})) == []


def test_a_walk_whose_parent_is_killed_exits():
    """A job worker killed mid-solve (SIGKILL, as the stale-job test does): its forked walk sees the pipe
    close and exits. It used to hold the parent's end of the pipe itself and wait for a meeting forever."""
    import signal
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    script = (
        "from tests.support.instances import great_lakes_season\n"
        "from tourplanner.optimize import solve\n"
        "_r, instance = great_lakes_season(120)\n"
        "def progress(info):\n"
        "    if info['phase'] == 'improve':\n"
        "        print('improving', flush=True)\n"
        "solve(instance, time_limit_s=120, seed=1, walks=2, progress=progress)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "improving"
        children = [int(c) for c in pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(children) == 1  # the second walk
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()

    assert not outlives(children[0], 20), "the walk outlived its killed parent"
