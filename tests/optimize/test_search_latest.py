"""The latest start of each visit (Search.latest_starts) and the cut it allows: a try gives up at the first visit
that starts later than that, and before any drive when the new request cannot start in time.

The cut may only save work: every answer must be the one the full exact schedule gives. These tests compare
every insertion and removal on a real season with the full walk along the route, which knows nothing of the cut.
"""
import random
from zoneinfo import ZoneInfo

from tests.support.instances import CHICAGO, chicago, instance_dict, req
from tourplanner.optimize import Instance
from tourplanner.optimize.construct import construct, place_must_keep
from tourplanner.optimize.model import Model
from tourplanner.optimize.moves import lns_step
from tourplanner.optimize.search import NO_START, Search

CHICAGO_TZ = ZoneInfo("America/Chicago")
TUESDAY = "2027-02-02"


def local(model, minute):
    return model.to_utc(minute).astimezone(CHICAGO_TZ).strftime("%a %H:%M")


def test_latest_starts_worked_out_by_hand():
    # Both at one place (no drive). "late" is open Tuesday 08:00-12:00: a 90-minute event with 15 minutes of
    # teardown starts by 10:15. "early" must be done, torn down and "late" set up (30 min) by then: it starts
    # by 10:15 - 30 - 15 - 90 = 08:00, although its own window would let it start until 13:15.
    instance = Instance.from_dict(instance_dict([chicago("early", (f"{TUESDAY}T07:00", f"{TUESDAY}T15:00")),
                                                 chicago("late", (f"{TUESDAY}T08:00", f"{TUESDAY}T12:00")),
                                                 chicago("third", (f"{TUESDAY}T07:00", f"{TUESDAY}T13:45"))],
                                                max_events_per_day=3))
    model = Model(instance)
    search = Search(model, random.Random(1))
    for pos, r in enumerate((0, 1)):
        search.insert(0, pos, r, search.try_insert(0, pos, r))
    assert [local(model, s.start) for s in search.stops[0]] == ["Tue 07:30", "Tue 09:45"]
    assert [local(model, m) for m in search.latest_starts(0)] == ["Tue 08:00", "Tue 10:15"]
    # A third event between them would push "late" past 10:15: refused before any drive is followed...
    assert search.try_insert(0, 1, 2) is None
    # ...while after "late" it fits, just: 09:45 + 90 + 15 + 30 is 12:00, the latest its window allows.
    got = search.try_insert(0, 2, 2)
    assert got is not None and local(model, got[1][0][0].start) == "Tue 12:00"


def test_a_visit_pushed_to_exactly_its_latest_start_is_kept():
    # "late" alone starts at 08:30. "first" opens at 07:30, so it starts at 08:00 (set up first), is done and torn
    # down at 09:45, and "late" is set up by 10:15: exactly its latest start. The insertion must stand.
    instance = Instance.from_dict(instance_dict([chicago("late", (f"{TUESDAY}T08:00", f"{TUESDAY}T12:00")),
                                                 chicago("first", (f"{TUESDAY}T07:30", f"{TUESDAY}T15:00"))]))
    model = Model(instance)
    search = Search(model, random.Random(1))
    search.insert(0, 0, 0, search.try_insert(0, 0, 0))
    assert [local(model, m) for m in search.latest_starts(0)] == ["Tue 10:15"]
    got = search.try_insert(0, 0, 1)
    assert got is not None
    assert [local(model, s.start) for s in got[1][0]] == ["Tue 08:00", "Tue 10:15"]


def test_a_request_with_no_slot_left_before_the_bound_has_no_latest_start():
    instance = Instance.from_dict(instance_dict([chicago("late", (f"{TUESDAY}T12:00", f"{TUESDAY}T16:00"))]))
    search = Search(Model(instance), random.Random(1))
    (date, lo, hi), = search.slots[0]
    assert search.latest_start_by(0, lo - 1) == NO_START
    assert search.latest_start_by(0, lo) == lo
    assert search.latest_start_by(0, hi + 500) == hi


CITIES = [(41.88, -87.63, "America/Chicago", "US", "IL"), (42.33, -83.05, "America/Detroit", "US", "MI"),
          (43.65, -79.38, "America/Toronto", "CA", "ON"), (44.98, -93.27, "America/Chicago", "US", "MN"),
          (46.14, -60.19, "America/Glace_Bay", "CA", "NS"),  # Sydney NS: the Cabot Strait ferry's side
          (47.56, -52.71, "America/St_Johns", "CA", "NL")]  # St. John's: only by the ferry


def crowded_season(requests=70, seed=3):
    """Three weeks, two teams (one ends at home), venues open on a few weekdays over one to three weeks: more
    requests than the teams can hold, so most tries fail, some of them far down the route."""
    rng = random.Random(seed)
    reqs = []
    for i in range(requests):
        lat, lon, tz, country, region = rng.choice(CITIES)
        first = rng.randrange(1, 12)
        hour = rng.choice([8, 10, 13, 18])
        windows = [(f"2027-02-{d:02d}T{hour:02d}:00", f"2027-02-{d:02d}T{hour + rng.choice([3, 4]):02d}:00")
                   for d in range(first, min(22, first + rng.randrange(4, 16))) if rng.random() < 0.5]
        reqs.append(req(f"r{i}", lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3), tz, country, region,
                        windows or [(f"2027-02-{first:02d}T09:00", f"2027-02-{first:02d}T15:00")],
                        audience=rng.randrange(20, 400), priority=rng.choice([1, 2, 3, 4])))
    teams = [{"id": "a", "name": "A", "start": CHICAGO, "end": None},
             {"id": "b", "name": "B", "start": {"lat": 43.65, "lon": -79.38, "tz": "America/Toronto"},
              "end": {"lat": 43.65, "lon": -79.38, "tz": "America/Toronto"}}]
    return Instance.from_dict(instance_dict(reqs, teams=teams, days=21))


def built(seed=3, steps=150):
    model = Model(crowded_season(seed=seed))
    search = Search(model, random.Random(seed))
    place_must_keep(search)
    construct(search, lambda phase: None)
    for _ in range(steps):
        lns_step(search)
    return search


def full_walk(search, team, order):
    """The route's whole schedule from its start, visit by visit: the answer the cut must never change."""
    stop, stops = search.start_stop(team), []
    for r in order:
        stop = search.visit(stop, r)
        if stop is None:
            return None
        stops.append(stop)
    return stops if search.reaches_end(team, stop) else None


def test_no_visit_of_a_built_route_starts_after_its_latest_start():
    search = built()
    assert search.model.ferry_legs, "the season must hold a ferry leg (its wait is what the bound leaves out)"
    for k in range(search.model.nt):
        latest = search.latest_starts(k)
        assert len(latest) == len(search.stops[k]) > 5
        assert all(s.start <= m for s, m in zip(search.stops[k], latest))
        assert latest[-1] == search.slot_hi[search.order[k][-1]][-1]  # nothing after the last visit


def test_every_insertion_is_answered_as_the_full_schedule_answers_it():
    search = built()
    for k in range(search.model.nt):  # every third visit out: room for some insertions, most still fail
        assert search.remove(k, list(range(0, len(search.order[k]), 3)))
    feasible = refused = 0
    for k in range(search.model.nt):
        order = search.order[k]
        for r in search.unserved_pool().tolist():
            for pos in range(len(order) + 1):
                new_order = order[:pos] + [r] + order[pos:]
                want = full_walk(search, k, new_order)
                got = search.try_insert(k, pos, r)
                if want is None:
                    assert got is None, (k, pos, r)
                    refused += 1
                else:
                    assert got is not None, (k, pos, r)
                    new, resume = got[1]
                    assert search.stops[k][:pos] + new + search.stops[k][resume - 1:] == want
                    feasible += 1
    assert feasible > 50 and refused > 5 * feasible


def test_every_removal_of_a_stretch_is_answered_as_the_full_schedule_answers_it():
    search = built(seed=4)
    checked = 0
    for k in range(search.model.nt):
        order = search.order[k]
        for pos in range(len(order)):
            for length in (1, 2, 3):
                if pos + length > len(order):
                    continue
                new_order = order[:pos] + order[pos + length:]
                want = full_walk(search, k, new_order)
                got = search.reschedule(k, new_order, pos, pos, -length)
                assert (got is None) == (want is None), (k, pos, length)
                if got is not None:
                    new, resume = got
                    assert search.stops[k][:pos] + new + search.stops[k][resume + length:] == want
                checked += 1
    assert checked > 30


def test_a_changed_route_and_a_released_hold_get_fresh_latest_starts():
    search = built()
    k = 0
    before = search.latest_starts(k)
    r = search.order[k][-1]
    assert search.remove(k, [len(search.order[k]) - 1])
    assert len(search.latest_starts(k)) == len(before) - 1
    # a hold narrows r's slots to one minute; releasing it must widen the bound again, not keep the narrow one
    search.insert(k, len(search.order[k]), r, search.try_insert(k, len(search.order[k]), r))
    minute = search.stops[k][-1].start
    assert search.hold(r, minute)
    assert search.latest_starts(k)[-1] == minute
    search.release(r)
    assert search.latest_starts(k)[-1] == search.model.slot_hi[r][-1]


def latest_by_hand(search, team):
    """latest_starts written out plainly: every slot of every visit looked at, from the last visit back."""
    model, order = search.model, search.order[team]
    latest, bound = [], None
    for i in range(len(order) - 1, -1, -1):
        r = order[i]
        if latest:
            bound = latest[0] - model.min_list[r][order[i + 1]] - model.setup - model.teardown - model.duration[r]
        fits = [min(hi, bound) if bound is not None else hi for _d, lo, hi in search.slots[r]
                if bound is None or lo <= bound]
        latest.insert(0, max(fits) if fits else NO_START)
    return latest


def test_the_latest_starts_kept_along_the_search_are_those_of_the_route_as_it_stands():
    search = built(seed=5, steps=0)
    compared = 0
    for _ in range(120):
        lns_step(search)
        for k in range(search.model.nt):
            cached = search._latest.get(k)
            if cached is not None and cached[0] is search.order[k] and cached[1] is search._slots_token:
                assert cached[2] == latest_by_hand(search, k)
                compared += 1
            assert search.latest_starts(k) == latest_by_hand(search, k)
    assert compared > 100  # most were carried over from the route before the step, not computed afresh
