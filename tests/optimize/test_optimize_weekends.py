"""Thin dates (a weekend with few venues open): found, anchored with a pair, cheaper to drive to, filled by the LNS.

The season: 2-7 Feb 2027, Mondays off. Six Chicago schools are open Tuesday to Friday 08:00-15:00; two Milwaukee
community centres (1 h 30 by road) are open Tuesday and Saturday, one 10:00-14:00, one 16:00-20:00. So a weekday
has 8 requests that can be held, Saturday 2 (thin: fewer than half the median date), Sunday none.
"""
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from tests.support.instances import chicago, instance_dict, req
from tourplanner.optimize import Instance, check
from tourplanner.optimize.construct import (anchor_thin_days, candidates, construct, place_must_keep, release_anchors,
                                           slot_table)
from tourplanner.optimize.model import Model
from tourplanner.optimize.moves import fill_short_day
from tourplanner.optimize.result import build_plan
from tourplanner.optimize.search import THIN_FLOOR, Search

CHICAGO_TZ = ZoneInfo("America/Chicago")
SATURDAY = 5  # date index of 2027-02-06


def milwaukee(ref, hours, **kw):
    a, b = hours
    return req(ref, 43.0389, -87.9065, "America/Chicago", "US", "WI",
               [(f"2027-02-02T{a}", f"2027-02-02T{b}"), (f"2027-02-06T{a}", f"2027-02-06T{b}")], **kw)


def season(schools=6, **rules):
    schools = [chicago(f"school{i}", *[(f"2027-02-0{d}T08:00", f"2027-02-0{d}T15:00") for d in range(2, 6)],
                       audience=300) for i in range(schools)]
    centres = [milwaukee("early", ("10:00", "14:00"), audience=80), milwaukee("late", ("16:00", "20:00"), audience=80)]
    return Instance.from_dict(instance_dict(schools + centres, days=7, days_off=["mon"], **rules))


def local(model, minute):
    return model.to_utc(minute).astimezone(CHICAGO_TZ).strftime("%a %H:%M")


def test_saturday_is_thin_and_the_weekdays_are_not():
    model = Model(season())
    assert [model.dates[d].strftime("%a") for d in range(model.days) if model.thin_dates()[d]] == ["Sat"]


def test_a_pair_is_anchored_on_the_thin_saturday_and_the_weekdays_are_built_around_it():
    instance = season()
    model = Model(instance)
    search = Search(model, random.Random(1))
    place_must_keep(search)
    anchored = anchor_thin_days(search)
    # Without the anchor both centres would start as early as they can: on Tuesday, competing with the schools.
    assert [instance.requests[r].id for r in anchored] == ["early", "late"]
    assert [local(model, s.start) for s in search.stops[0]] == ["Sat 10:30", "Sat 16:30"]
    construct(search, lambda phase: None)
    release_anchors(search, anchored)
    assert search.slots[anchored[0]] == model.slots[anchored[0]]  # free again for the LNS
    plan = build_plan(search, {})
    visits = [(v.request, dt.datetime.fromisoformat(v.start).strftime("%a %H:%M")) for v in plan.routes[0].visits]
    assert visits[-2:] == [("early", "Sat 10:30"), ("late", "Sat 16:30")]
    assert len(visits) == 8  # and the six schools on the weekdays, two a day at most
    assert check(instance, plan) == []


def test_a_drive_to_a_venue_open_on_a_thin_date_pays_less_of_the_driving_price():
    # 14 schools and 2 centres for 12 event slots (6 working dates, 2 a day): the season is crowded.
    model = Model(season(schools=14))
    search = Search(model, random.Random(1))
    assert search.crowding > 1
    ids = [r.id for r in model.instance.requests]
    early, school = ids.index("early"), ids.index("school0")
    assert search.thin[school] == 1.0
    assert THIN_FLOOR <= search.thin[early] < 1.0
    base = model.n  # the team's start, in Chicago like the school
    assert search.cost[base, early] == search.km_price * model.km[base, early] + (
        search.drive_w * model.minutes[base, early] * search.thin[early])


def test_only_the_first_days_driving_to_a_thin_date_venue_is_discounted():
    # The daily cap lowered to an hour: of the 90-minute drive to Milwaukee the first hour pays the thin share and
    # the rest the full price, as a drive beyond a day's driving takes an ordinary date from the team as well.
    model = Model(season(schools=14, max_drive_minutes_per_day=60))
    search = Search(model, random.Random(1))
    early = [r.id for r in model.instance.requests].index("early")
    base, share = model.n, search.thin[early]
    minutes = model.minutes[base, early]
    assert minutes > 60 and THIN_FLOOR <= share < 1.0
    driving = search.cost[base, early] - search.km_price * model.km[base, early]
    assert driving == pytest.approx(search.drive_w * (60 * share + (minutes - 60)))
    assert driving > search.drive_w * minutes * share * 1.1  # not the whole drive at the thin share


def test_a_season_with_room_for_everyone_has_no_driving_discount():
    search = Search(Model(season()), random.Random(1))  # 8 requests, 12 event slots
    assert search.crowding < 1 and set(search.thin.tolist()) == {1.0}


def test_the_lns_fills_a_short_day_with_a_pair():
    instance = season()
    model = Model(instance)
    search = Search(model, random.Random(1))
    ids = [r.id for r in instance.requests]
    for pos in range(6):  # the six schools, two a day from Tuesday: Friday and Saturday are short days
        got = search.try_insert(0, pos, ids.index(f"school{pos}"))
        search.insert(0, pos, ids.index(f"school{pos}"), got)
    assert [local(model, s.start)[:3] for s in search.stops[0]] == ["Tue", "Tue", "Wed", "Wed", "Thu", "Thu"]
    fill_short_day(search)  # Friday has no pair left unserved, so the move takes Saturday's
    served = {instance.requests[r].id: local(model, s.start) for r, s in zip(search.order[0], search.stops[0])}
    assert served["early"] == "Sat 10:30" and served["late"] == "Sat 16:30" and len(served) == 8
    assert check(instance, build_plan(search, {})) == []


def test_a_pair_pinned_to_one_team_is_anchored_on_that_team_only():
    schools = [chicago(f"school{i}", *[(f"2027-02-0{d}T08:00", f"2027-02-0{d}T15:00") for d in range(2, 6)],
                       audience=300) for i in range(6)]
    centres = [milwaukee("early", ("10:00", "14:00"), audience=80, team="b"),
               milwaukee("late", ("16:00", "20:00"), audience=80, team="b")]
    chicago_base = {"lat": 41.8781, "lon": -87.6298, "tz": "America/Chicago"}
    teams = [{"id": "a", "name": "A", "start": chicago_base, "end": None},
             {"id": "b", "name": "B", "start": chicago_base, "end": None}]
    instance = Instance.from_dict(instance_dict(schools + centres, teams=teams, days=7, days_off=["mon"]))
    search = Search(Model(instance), random.Random(1))
    anchored = anchor_thin_days(search)
    assert [instance.requests[r].id for r in anchored] == ["early", "late"]
    assert search.order[0] == [] and [instance.requests[r].id for r in search.order[1]] == ["early", "late"]


def test_a_km_costs_more_only_in_a_crowded_season():
    crowded = Search(Model(season(schools=14)), random.Random(1))
    roomy = Search(Model(season()), random.Random(1))
    assert crowded.crowding > 1 > roomy.crowding
    assert crowded.km_price == pytest.approx(1.3 * crowded.model.km_weight)
    assert roomy.km_price == roomy.model.km_weight == 0.1  # the season's own weight where everyone fits


def test_the_construction_ranks_a_far_venue_by_the_crowded_km_price():
    # Two Saturday venues, one in Chicago where the team starts and one in Minneapolis. The far one is worth more by
    # 1.15 x km_weight x the extra km: worth the drive at km_weight (room for everyone) and not at 1.3 x km_weight
    # (a crowded season, where a nearer venue can take its place). The construction's pre-ranking must say so.
    def saturday_pair(extra_audience, fillers):
        venues = [chicago("near", ("2027-02-06T10:00", "2027-02-06T16:00"), audience=100),
                  req("far", 44.9778, -93.2650, "America/Chicago", "US", "MN",
                      [("2027-02-06T10:00", "2027-02-06T16:00")], audience=100 + extra_audience)]
        small = [chicago(f"small{i}", *[(f"2027-02-0{d}T08:00", f"2027-02-0{d}T12:00") for d in range(2, 6)],
                         audience=5) for i in range(fillers)]
        return Model(Instance.from_dict(instance_dict(venues + small, days=7)))

    probe = saturday_pair(0, 0)
    extra_km = float(probe.km[probe.n, 1] - probe.km[probe.n, 0])
    assert extra_km > 400
    extra_audience = round(1.15 * probe.km_weight * extra_km)

    def ranked(fillers):
        model = saturday_pair(extra_audience, fillers)
        search = Search(model, random.Random(1))
        ranking = candidates(search, slot_table(model), 0, search.start_stop(0), limit=model.n)
        return search, [model.instance.requests[r].id for r in ranking if r < 2]

    roomy, order = ranked(fillers=8)  # 10 requests, 12 event slots (six working days, two events a day)
    assert roomy.crowding < 1 and order == ["far", "near"]
    crowded, order = ranked(fillers=12)
    assert crowded.crowding > 1 and order == ["near", "far"]
