"""upper_bound(): ceilings worked out by hand, and never below what solve() serves."""
import random

import pytest
from tests.support.instances import chicago, great_lakes_season, instance_dict, req

from tourplanner.optimize import Instance, check, solve
from tourplanner.optimize.bound import upper_bound

TUESDAY = ("2027-02-02T09:00", "2027-02-02T17:00")  # 8 hours: two 90-minute events (+45 each) fit


def bound_of(requests, **kw):
    return upper_bound(Instance.from_dict(instance_dict(requests, **kw)))


def test_two_events_a_day_for_one_team_and_the_largest_audiences():
    b = bound_of([chicago("a", TUESDAY, audience=100), chicago("b", TUESDAY, audience=300),
                  chicago("c", TUESDAY, audience=200)], days=3)  # Mon, Tue, Wed: only Tuesday has windows
    assert (b.served, b.audience) == (2, 500)
    assert b.team_days == 3 and b.pairs == 3


def test_a_pair_too_far_apart_for_one_day_counts_once():
    # Chicago and Los Angeles on the same day: no team can do both, one team-day holds one of them
    la = req("la", 34.0522, -118.2437, "America/Los_Angeles", "US", "CA", [TUESDAY], audience=400)
    reqs = [chicago("chi", TUESDAY, audience=100), la]
    b = bound_of(reqs, days=3)
    assert (b.served, b.pairs) == (1, 0)
    # the team starts in Chicago: Los Angeles (about 2,400 minutes away) is out of reach by Tuesday evening,
    # so the largest audience is Chicago's; without the drives between days it was Los Angeles's
    assert b.audience == 100
    assert upper_bound(Instance.from_dict(instance_dict(reqs, days=3)), movement=False).audience == 400


def test_the_drive_between_two_events_must_fit_between_them():
    # Chicago 09:00-11:30 (starts by 09:45, done 11:15), Milwaukee 11:15-14:00 (starts by 12:15): without the
    # drive both fit; with it (about 1.5 hours) they do not, and Milwaukee first cannot be followed by Chicago
    mke = req("mke", 43.0389, -87.9065, "America/Chicago", "US", "WI", [("2027-02-02T11:15", "2027-02-02T14:00")])
    b = bound_of([chicago("chi", ("2027-02-02T09:00", "2027-02-02T11:30")), mke], days=3)
    assert (b.served, b.pairs) == (1, 0)


def test_a_pair_whose_windows_leave_no_room_for_both_counts_once():
    # two 90-minute events in a 3-hour window: 30 + 90 + 15 + 30 + 90 + 15 = 270 minutes > 180
    short = ("2027-02-02T09:00", "2027-02-02T12:00")
    assert bound_of([chicago("a", short), chicago("b", short)], days=3).served == 1


def test_a_venue_with_two_windows_on_one_date_is_still_one_request():
    b = bound_of([chicago("a", ("2027-02-02T08:00", "2027-02-02T11:00"), ("2027-02-02T14:00", "2027-02-02T17:00"))],
                 days=3)
    assert (b.served, b.audience, b.pairs) == (1, 100, 0)


def test_one_event_a_day_and_days_off_limit_the_count():
    # a week from Monday, Sundays off, one event a day: 6 team-days for 8 requests open all week
    week = ("2027-02-01T09:00", "2027-02-07T17:00")
    reqs = [chicago(f"r{i}", week) for i in range(8)]
    b = bound_of(reqs, max_events_per_day=1)
    assert (b.served, b.team_days) == (6, 6)
    assert bound_of(reqs).served == 8  # two a day: room for all


def test_the_bound_is_never_below_what_solve_serves():
    _, instance = great_lakes_season(120)
    plan = solve(instance, time_limit_s=5, seed=1, steps=200)
    b = upper_bound(instance)
    assert plan.kpis["served"] <= b.served < 120
    assert plan.kpis["audience"] <= b.audience


def test_too_many_pairs_fall_back_to_a_weaker_bound_that_still_holds(monkeypatch):
    from tourplanner.optimize import bound

    la = req("la", 34.0522, -118.2437, "America/Los_Angeles", "US", "CA", [TUESDAY], audience=400)
    reqs = [chicago("chi", TUESDAY, audience=100), chicago("chi2", TUESDAY, audience=50), la]
    assert bound_of(reqs, days=3).served == 2  # the two Chicago events share the day; LA needs another team
    monkeypatch.setattr(bound, "MAX_PAIRS", 0)
    b = bound_of(reqs, days=3)
    assert (b.served, b.audience, b.pairs) == (2, 500, 0)  # two events for the one team-day, any two


ALBUQUERQUE = (35.0844, -106.6504, "America/Denver", "US", "NM")  # about 2,100 road km from Chicago


def test_two_events_too_far_apart_for_the_days_between_count_once():
    # One team; Chicago on Tuesday, Albuquerque on Wednesday: the leg (about 1,190 minutes of road) needs more
    # than two days of 480 minutes. The ceiling without the drives between days says 2; with them, 1.
    reqs = [chicago("chi", TUESDAY, audience=100),
            req("abq", *ALBUQUERQUE, [("2027-02-03T14:00", "2027-02-03T17:00")], audience=300)]
    instance = Instance.from_dict(instance_dict(reqs, days=7))
    assert upper_bound(instance, movement=False).served == 2
    b = upper_bound(instance)
    assert (b.served, b.audience) == (1, 300)


def test_a_day_between_gives_the_team_time_to_cross():
    # the same two venues with Thursday for Albuquerque: three days of driving (1,440 minutes) are enough,
    # the ceiling says 2 and a plan that check accepts serves both
    reqs = [chicago("chi", TUESDAY), req("abq", *ALBUQUERQUE, [("2027-02-04T14:00", "2027-02-04T17:00")])]
    instance = Instance.from_dict(instance_dict(reqs, days=7))
    plan = solve(instance, time_limit_s=5, seed=1, steps=100)
    assert check(instance, plan) == []
    assert plan.kpis["served"] == upper_bound(instance).served == 2


def test_the_start_base_is_a_place_too():
    # a team starting in Los Angeles cannot be in Chicago on the first morning (about 2,400 minutes away),
    # but can be by Friday; a team starting in Chicago can do both
    la = {"lat": 34.0522, "lon": -118.2437, "tz": "America/Los_Angeles"}
    reqs = [chicago("mon", ("2027-02-01T09:00", "2027-02-01T12:00")), chicago("fri", ("2027-02-05T09:00",
                                                                                    "2027-02-05T12:00"))]
    far = Instance.from_dict(instance_dict(reqs, teams=[{"id": "a", "name": "A", "start": la, "end": None}]))
    assert upper_bound(far, movement=False).served == 2
    assert upper_bound(far).served == 1
    assert bound_of(reqs).served == 2


def test_a_night_on_the_road_between_an_evening_and_a_morning_event_is_allowed():
    # Chicago ends 20:00, Detroit (251 minutes away) starts next morning: a rule-abiding plan serves both
    reqs = [chicago("chi", ("2027-02-02T18:00", "2027-02-02T21:00")),
            req("det", 42.3314, -83.0458, "America/Detroit", "US", "MI", [("2027-02-03T07:00", "2027-02-03T15:00")])]
    assert bound_of(reqs).served == 2


@pytest.mark.parametrize("seed", range(6))
def test_random_small_seasons_never_go_below_a_plan_check_accepts(seed):
    rng = random.Random(seed)
    towns = [CITIES[k] for k in rng.sample(sorted(CITIES), 6)]
    reqs = []
    for i in range(10):
        lat, lon, tz, country, region = rng.choice(towns)
        day = rng.randrange(1, 12)
        hour = rng.choice([8, 10, 13, 17])
        windows = [(f"2027-02-{day:02d}T{hour:02d}:00", f"2027-02-{day:02d}T{hour + rng.choice([3, 5]):02d}:00")]
        reqs.append(req(f"r{i}", lat, lon, tz, country, region, windows, audience=rng.randrange(20, 300)))
    bases = rng.sample(sorted(CITIES), 2)
    teams = [{"id": f"t{k}", "name": f"T{k}", "start": {"lat": CITIES[b][0], "lon": CITIES[b][1], "tz": CITIES[b][2]},
              "end": None} for k, b in enumerate(bases)]
    instance = Instance.from_dict(instance_dict(reqs, teams=teams, days=14))
    plan = solve(instance, time_limit_s=3, seed=seed, steps=60)
    assert check(instance, plan) == []
    b, loose = upper_bound(instance), upper_bound(instance, movement=False)
    assert plan.kpis["served"] <= b.served <= loose.served
    assert plan.kpis["audience"] <= b.audience <= loose.audience


CITIES = {  # far enough apart that the drives between days matter, near enough that some fit
    "chicago": (41.8781, -87.6298, "America/Chicago", "US", "IL"),
    "detroit": (42.3314, -83.0458, "America/Detroit", "US", "MI"),
    "minneapolis": (44.9778, -93.2650, "America/Chicago", "US", "MN"),
    "st_louis": (38.6270, -90.1994, "America/Chicago", "US", "MO"),
    "nashville": (36.1627, -86.7816, "America/Chicago", "US", "TN"),
    "toronto": (43.6532, -79.3832, "America/Toronto", "CA", "ON"),
    "denver": (39.7392, -104.9903, "America/Denver", "US", "CO"),
    "atlanta": (33.7490, -84.3880, "America/New_York", "US", "GA"),
    "albuquerque": ALBUQUERQUE,
}


def test_an_evening_event_and_an_early_start_next_morning_leave_little_time_to_drive():
    # Chicago 18:00-21:00 (done 20:15 at the earliest: 105 minutes to drive before 22:00), Minneapolis the next
    # morning 07:00-10:00 (setup starts by 07:45 at the latest: 45 minutes to drive from 07:00): about 385 minutes of
    # road do not fit, though two days' cap (960) would. With a day between, they do.
    msp = ("msp", 44.9778, -93.2650, "America/Chicago", "US", "MN")
    reqs = [chicago("chi", ("2027-02-02T18:00", "2027-02-02T21:00")),
            req(*msp, [("2027-02-03T07:00", "2027-02-03T10:00")])]
    instance = Instance.from_dict(instance_dict(reqs))
    assert (upper_bound(instance, movement=False).served, upper_bound(instance).served) == (2, 1)
    later = [reqs[0], req(*msp, [("2027-02-04T07:00", "2027-02-04T10:00")])]
    assert bound_of(later).served == 2


def test_a_movement_lp_over_the_limit_leaves_the_drives_out():
    reqs = [chicago("chi", TUESDAY, audience=100),
            req("abq", *ALBUQUERQUE, [("2027-02-03T14:00", "2027-02-03T17:00")], audience=300)]
    instance = Instance.from_dict(instance_dict(reqs, days=7))
    b = upper_bound(instance, movement_limit=0)
    assert (b.served, b.audience, b.clusters) == (2, 400, 0)
    assert upper_bound(instance).clusters == 2  # each venue its own cluster
