"""upper_bound(): ceilings worked out by hand, and never below what solve() serves."""
from test_optimize_solve import chicago, great_lakes_season, instance_dict, req

from tourplanner.optimize import Instance, solve
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
    b = bound_of([chicago("chi", TUESDAY, audience=100), la], days=3)
    assert (b.served, b.audience, b.pairs) == (1, 400, 0)


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
