"""repair_week: one team's week re-planned exactly with CP-SAT (hand-checked weeks around Chicago and Milwaukee).

Times are local (America/Chicago, UTC-6 in February). The hand instances use tests/support/instances.py's rules:
day 07:00-22:00, setup 30, teardown 15, events of 90 minutes, 2 events a day, 480 driving minutes a day, Sundays
off. A request's value is its audience + 50 x priority squared. Chicago -> Milwaukee is 88 minutes (154.6 km),
Milwaukee -> Madison 82, Chicago -> Madison 130 in the model's travel times.
"""
import random

import pytest

from tests.support.instances import chicago, instance_dict, req
from tourplanner.optimize import Instance, check
from tourplanner.optimize.construct import construct, place_must_keep
from tourplanner.optimize.model import Model
from tourplanner.optimize.result import build_plan
from tourplanner.optimize.search import Search
from tourplanner.optimize.week import repair_week

TUE = "2027-02-02"  # date index 1 of a season starting Monday 2027-02-01


def milwaukee(ref, *windows, **kw):
    return req(ref, 43.0389, -87.9065, "America/Chicago", "US", "WI", windows, **kw)


def madison(ref, *windows, **kw):
    return req(ref, 43.0731, -89.4012, "America/Chicago", "US", "WI", windows, **kw)


def search_for(requests, **rules):
    instance = Instance.from_dict(instance_dict(requests, **rules))
    return instance, Search(Model(instance), random.Random(0))


def visits(search, team=0):
    plan = build_plan(search, {})
    return [(v.request, v.start) for v in plan.routes[team].visits]


def state(search):
    """Everything repair_week may touch, as plain values."""
    return ([o[:] for o in search.order], [s[:] for s in search.stops], search.team_of.tolist(),
            sorted(search.held), list(search.slots))


def blocking_week():
    # big: Milwaukee, window 11:00-13:15, so its only start is 11:30 (setup 30 after 11:00; 90 min + teardown 15
    #   end at 13:15); value 400 + 50 x 4^2 = 1200.
    # a: Chicago, window 08:00-10:15: only start 08:30; b: Chicago, window 13:00-16:00: starts 13:30-14:15;
    #   each 300 + 50 x 3^2 = 750.
    # a then big: a ends 10:00, packed up 10:15, 88 min to Milwaukee: 11:43, set up: 12:13 > 11:30. No.
    # big then b: big ends 13:00, 13:15, 88 min back: 14:43, set up: 15:13 > 14:15. No.
    # a then b (both in Chicago, no drive): 08:30 and 13:30. Worth 1500 against big's 1200 less its drive.
    return [chicago("a", (f"{TUE}T08:00", f"{TUE}T10:15"), audience=300),
            chicago("b", (f"{TUE}T13:00", f"{TUE}T16:00"), audience=300),
            milwaukee("big", (f"{TUE}T11:00", f"{TUE}T13:15"), audience=400, priority=4)]


def test_two_events_beat_the_one_big_event_the_greedy_repair_takes():
    instance, search = search_for(blocking_week())
    a, b, big = 0, 1, 2
    search.repair([a, b, big])  # the LNS's greedy repair: the best request first (1200 - its drive > 750)
    assert visits(search) == [("big", f"{TUE}T11:30:00-06:00")]
    before = search.objective()
    assert before == pytest.approx(1200 - search.cost_list[search.model.n][big])  # the drive from the start

    stats = {}
    assert repair_week(search, 0, 0, 6, stats=stats) is True
    assert visits(search) == [("a", f"{TUE}T08:30:00-06:00"), ("b", f"{TUE}T13:30:00-06:00")]
    assert search.team_of.tolist() == [0, 0, -1]
    assert search.objective() == pytest.approx(1500.0)  # no driving at all
    assert stats["gain"] == pytest.approx(1500 - before) and stats["gain"] == pytest.approx(317.18, abs=0.01)
    assert stats["rounds"] == 1  # the model's first answer holds in the exact schedule
    assert check(instance, build_plan(search, {})) == []


def test_a_third_event_on_a_day_is_never_proposed():
    # Three Chicago requests with the whole of Tuesday open (room for all three by the clock), 2 events a day:
    # the two worth most (750 and 650), as early as the day allows: 07:30 (day start 07:00 + setup), then the
    # first ends 09:00, packed up 09:15, set up 09:45.
    instance, search = search_for([chicago(f"c{aud}", (f"{TUE}T07:00", f"{TUE}T21:00"), audience=aud)
                                   for aud in (100, 300, 200)])
    stats = {}
    assert repair_week(search, 0, 0, 6, stats=stats) is True
    served = visits(search)  # the two are at one place: either order costs the same
    assert sorted(ref for ref, _ in served) == ["c200", "c300"]
    assert [start for _, start in served] == [f"{TUE}T07:30:00-06:00", f"{TUE}T09:45:00-06:00"]
    assert stats["rounds"] == 1  # without the events-per-date constraint the model proposes all three first
    assert search.objective() == pytest.approx(750 + 650)
    assert check(instance, build_plan(search, {})) == []


def test_a_days_driving_over_the_cap_is_never_proposed():
    # At most 150 driving minutes a day, 3 events a day. Chicago, Milwaukee and Madison are all open on Tuesday
    # 07:00-21:00; by the clock one day holds all three (Chicago 07:30, Milwaukee 10:43, Madison 13:20) and each
    # leg (88, 82) is under the cap, but together 170 > 150. Any two: the cheapest pair is Chicago then
    # Milwaukee (154.6 km; Milwaukee-Madison needs the drive from Chicago as well, Chicago-Madison 130 min):
    # Chicago 07:30-09:00, packed up 09:15, 88 min: 10:43, set up: 11:13.
    open_tuesday = (f"{TUE}T07:00", f"{TUE}T21:00")
    instance, search = search_for([chicago("chi", open_tuesday), milwaukee("mil", open_tuesday),
                                   madison("mad", open_tuesday)], max_drive_minutes_per_day=150,
                                  max_events_per_day=3)
    stats = {}
    assert repair_week(search, 0, 0, 6, stats=stats) is True
    assert visits(search) == [("chi", f"{TUE}T07:30:00-06:00"), ("mil", f"{TUE}T11:13:00-06:00")]
    assert stats["rounds"] == 1  # without the cap the model proposes all three first
    assert search.objective() == pytest.approx(2 * 550 - search.cost_list[0][1])
    assert check(instance, build_plan(search, {})) == []


def test_a_window_it_cannot_reach_is_never_proposed():
    # chi: Chicago, window 09:00-11:15, only start 09:30 (worth 550); mil: Milwaukee, window 11:30-14:00, starts
    # 12:00-12:15 (worth 400 + 450 = 850). chi ends 11:00, packed up 11:15, 88 min: 12:43, set up 13:13 > 12:15;
    # mil first ends 13:30, too late for chi. One of them: mil, 850 less its drive from Chicago (17.2).
    instance, search = search_for([chicago("chi", (f"{TUE}T09:00", f"{TUE}T11:15")),
                                   milwaukee("mil", (f"{TUE}T11:30", f"{TUE}T14:00"), audience=400)])
    stats = {}
    assert repair_week(search, 0, 0, 6, stats=stats) is True
    assert visits(search) == [("mil", f"{TUE}T12:00:00-06:00")]
    assert stats["rounds"] == 1  # without the drive between events the model proposes both first
    assert search.objective() == pytest.approx(850 - search.cost_list[search.model.n][1])
    assert check(instance, build_plan(search, {})) == []


def test_nothing_changes_when_nothing_better_exists():
    instance, search = search_for(blocking_week())
    assert repair_week(search, 0, 0, 6) is True
    before, objective = state(search), search.objective()
    stats = {}
    assert repair_week(search, 0, 0, 6, stats=stats) is False
    assert state(search) == before and search.objective() == objective
    assert stats["gain"] == 0.0
    # a week with no visits and nothing to bring in: nothing to do
    assert repair_week(search, 0, 2, 6) is False
    assert state(search) == before


@pytest.mark.parametrize("how", ["must_keep", "locked", "held"])
def test_locked_held_and_must_keep_visits_stay(how):
    # The blocking week, with big kept: it stays at 11:30, so a and b cannot come (see blocking_week); a fourth
    # request on Thursday in Chicago (c, 550) is brought in all the same, from Milwaukee: 88 minutes back.
    thu = "2027-02-04"
    requests = blocking_week() + [chicago("c", (f"{thu}T09:00", f"{thu}T12:00"))]
    if how == "must_keep":
        requests[2]["priority"] = 5
    if how == "locked":
        requests[2]["fixed_start"] = f"{TUE}T11:30"
    instance, search = search_for(requests)
    big = 2
    if how == "held":
        assert search.hold(big, search.model.slots[big][0][1])
    place_must_keep(search)
    if search.team_of[big] < 0:  # a must-keep or pinned request is placed by place_must_keep already
        search.insert(0, 0, big, search.try_insert(0, 0, big))
    assert visits(search) == [("big", f"{TUE}T11:30:00-06:00")]
    kept, held = search.kept(), set(search.held)
    assert repair_week(search, 0, 0, 6) is True
    assert visits(search) == [("big", f"{TUE}T11:30:00-06:00"), ("c", f"{thu}T09:30:00-06:00")]
    assert search.kept() == kept and search.held == held
    assert check(instance, build_plan(search, {})) == []
    before = state(search)
    assert repair_week(search, 0, 0, 6) is False
    assert state(search) == before


def crowded_week():
    """30 random requests between Chicago and Milwaukee, 3-4 hour windows on Tuesday to Saturday, one team."""
    rng = random.Random(11)
    requests = []
    for i in range(30):
        day, hour = rng.randrange(2, 7), rng.choice([8, 10, 13, 16])
        requests.append(req(f"r{i}", rng.uniform(41.6, 43.2), rng.uniform(-88.4, -87.6), "America/Chicago", "US",
                            "IL", [(f"2027-02-{day:02d}T{hour:02d}:00",
                                    f"2027-02-{day:02d}T{hour + rng.choice([3, 4]):02d}:00")],
                            audience=rng.randrange(50, 500)))
    return Instance.from_dict(instance_dict(requests))


def test_the_same_seed_gives_the_same_week():
    instance = crowded_week()
    runs = []
    for _ in range(2):
        search = Search(Model(instance), random.Random(1))
        place_must_keep(search)
        construct(search, lambda phase: None)
        before = search.objective()
        stats = {}
        changed = repair_week(search, 0, 0, 6, seed=3, stats=stats)
        runs.append((changed, state(search), search.objective(), stats))
        assert check(instance, build_plan(search, {})) == []
    assert runs[0] == runs[1]
    assert runs[0][0] is True and runs[0][2] > before  # the construction left something to gain


def test_an_answer_the_exact_schedule_rejects_leaves_the_search_as_it_was(monkeypatch):
    # The greedy's week of the blocking instance, and an exact schedule that (here, by decree) holds nothing new:
    # the answer a, b is cut (b, a cannot be held: a's only start is 08:30), so the model's best is then the
    # current week, and the search stays exactly as it was.
    instance, search = search_for(blocking_week())
    search.repair([0, 1, 2])
    before, objective = state(search), search.objective()
    monkeypatch.setattr(Search, "reschedule", lambda self, *args: None)
    stats = {}
    assert repair_week(search, 0, 0, 6, rounds=3, stats=stats) is False
    assert stats["rounds"] == 2 and stats["status"] == "OPTIMAL"
    assert state(search) == before and search.objective() == objective
