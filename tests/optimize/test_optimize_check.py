"""check() catches each rule broken in a hand-made plan (and accepts the same plan without the fault)."""
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tourplanner.optimize import Instance, Plan, check
from tourplanner.optimize.calendar import country_of_zone
from tourplanner.optimize.plan import Route, Unserved, Visit, plan_kpis
from tourplanner.optimize.travel import travel_matrix

RULES = {"day_start": "07:00", "day_end": "22:00", "max_drive_minutes_per_day": 480, "days_off": ["sun"],
         "max_events_per_day": 2, "setup_minutes": 30, "teardown_minutes": 15, "default_duration_minutes": 90,
         "border_crossing_minutes": 60, "holidays": True}
CHICAGO = {"lat": 41.8781, "lon": -87.6298, "tz": "America/Chicago"}
DETROIT = (42.3314, -83.0458, "America/Detroit", "US", "MI")
MILWAUKEE = (43.0389, -87.9065, "America/Chicago", "US", "WI")
CHI = (41.8781, -87.6298, "America/Chicago", "US", "IL")
TORONTO = (43.6532, -79.3832, "America/Toronto", "CA", "ON")


def req(ref, where, *windows, **kw):
    lat, lon, tz, country, region = where
    d = {"id": ref, "name": ref, "type": "community", "lat": lat, "lon": lon, "tz": tz, "country": country,
         "region": region, "audience": 100, "duration_minutes": 90, "priority": 3,
         "windows": [{"start": a, "end": b} for a, b in windows], "team": None, "fixed_start": None}
    d.update(kw)
    return d


def make_instance(requests, teams=None, start="2027-02-01", days=7, **rules):
    merged = dict(RULES)
    merged.update(rules)
    return Instance.from_dict({"name": "t", "start_date": start, "days": days, "rules": merged,
                               "teams": teams or [{"id": "a", "name": "A", "start": CHICAGO, "end": None}],
                               "requests": requests})


def hand_plan(instance, routes):
    """A plan from {team: [(request, local start 'YYYY-MM-DDTHH:MM')]} with true legs and KPIs."""
    out = []
    for team in instance.teams:
        prev = (team.start.lat, team.start.lon, country_of_zone(team.start.tz))
        visits = []
        for ref, local in routes.get(team.id, []):
            r = instance.request(ref)
            start = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(r.tz))
            travel = travel_matrix([prev[0], r.lat], [prev[1], r.lon], [prev[2], r.country],
                                   border_minutes=instance.rules.border_crossing_minutes)
            minutes, km = travel.minutes, travel.km
            visits.append(Visit(request=ref, start=start.isoformat(),
                                end=(start + dt.timedelta(minutes=r.duration(instance.rules))).isoformat(),
                                drive_minutes_before=int(minutes[0, 1]), drive_km_before=float(km[0, 1])))
            prev = (r.lat, r.lon, r.country)
        out.append(Route(team=team.id, visits=tuple(visits)))
    served = {v.request for r in out for v in r.visits}
    unserved = tuple(Unserved(r.id, "dropped_for_value") for r in instance.requests if r.id not in served)
    return Plan(instance="t", status="feasible", solver={}, routes=tuple(out), unserved=unserved,
                kpis=plan_kpis(out, len(instance.requests), lambda ref: instance.request(ref).audience))


def rules_broken(instance, plan):
    return sorted({v.rule for v in check(instance, plan)})


TUE = ("2027-02-02T08:00", "2027-02-02T21:00")

CASES = {
    "window": (dict(requests=[req("a", CHI, ("2027-02-02T08:00", "2027-02-02T12:00"))]),
               {"a": [("a", "2027-02-02T14:00")]}, {"a": [("a", "2027-02-02T09:00")]}),
    "day_hours": (dict(requests=[req("a", CHI, ("2027-02-02T05:00", "2027-02-02T12:00"))]),
                  {"a": [("a", "2027-02-02T05:30")]}, {"a": [("a", "2027-02-02T07:30")]}),
    "day_off": (dict(requests=[req("a", CHI, ("2027-02-06T08:00", "2027-02-07T21:00"))]),
                {"a": [("a", "2027-02-07T09:30")]}, {"a": [("a", "2027-02-06T09:30")]}),
    "holiday": (dict(requests=[req("a", CHI, ("2027-02-15T08:00", "2027-02-16T21:00"))], start="2027-02-15"),
                {"a": [("a", "2027-02-15T09:30")]}, {"a": [("a", "2027-02-16T09:30")]}),
    "events_per_day": (dict(requests=[req(x, CHI, TUE) for x in "abc"]),
                       {"a": [("a", "2027-02-02T08:30"), ("b", "2027-02-02T11:00"), ("c", "2027-02-02T13:30")]},
                       {"a": [("a", "2027-02-02T08:30"), ("b", "2027-02-02T11:00")]}),
    "overlap": (dict(requests=[req(x, CHI, TUE) for x in "ab"]),
                {"a": [("a", "2027-02-02T08:30"), ("b", "2027-02-02T09:30")]},
                {"a": [("a", "2027-02-02T08:30"), ("b", "2027-02-02T10:45")]}),
    "leg_too_short": (dict(requests=[req("a", CHI, TUE), req("d", DETROIT, ("2027-02-02T08:00", "2027-02-03T21:00"))]),
                      {"a": [("a", "2027-02-02T08:30"), ("d", "2027-02-02T12:00")]},
                      {"a": [("a", "2027-02-02T08:30"), ("d", "2027-02-02T17:30")]}),
    "night_rest": (dict(requests=[req("a", CHI, TUE), req("d", DETROIT, ("2027-02-02T08:00", "2027-02-03T21:00"))]),
                   {"a": [("a", "2027-02-02T18:30"), ("d", "2027-02-03T09:00")]},
                   {"a": [("a", "2027-02-02T18:30"), ("d", "2027-02-03T13:03")]}),
    "daily_drive": (dict(requests=[req("a", CHI, TUE), req("m", MILWAUKEE, TUE)], max_drive_minutes_per_day=60),
                    {"a": [("a", "2027-02-02T08:30"), ("m", "2027-02-02T13:30")]},
                    {"a": [("a", "2027-02-02T08:30")]}),
    "pin_team": (dict(requests=[req("a", CHI, TUE, team="b")],
                      teams=[{"id": "a", "name": "A", "start": CHICAGO, "end": None},
                             {"id": "b", "name": "B", "start": CHICAGO, "end": None}]),
                 {"a": [("a", "2027-02-02T08:30")]}, {"b": [("a", "2027-02-02T08:30")]}),
    "pin_start": (dict(requests=[req("a", CHI, TUE, fixed_start="2027-02-02T14:00")]),
                  {"a": [("a", "2027-02-02T08:30")]}, {"a": [("a", "2027-02-02T14:00")]}),
    "duplicate": (dict(requests=[req("a", CHI, ("2027-02-02T08:00", "2027-02-03T21:00"))]),
                  {"a": [("a", "2027-02-02T08:30"), ("a", "2027-02-03T08:30")]}, {"a": [("a", "2027-02-02T08:30")]}),
    "season": (dict(requests=[req("a", CHI, ("2027-02-02T08:00", "2027-02-03T21:00"))], days=2),
               {"a": [("a", "2027-02-03T09:30")]}, {"a": [("a", "2027-02-02T09:30")]}),
    "end_unreachable": (dict(requests=[req("a", CHI, ("2027-02-02T08:00", "2027-02-03T21:00"))], days=3,
                             teams=[{"id": "a", "name": "A", "start": CHICAGO,
                                     "end": {"lat": 42.3314, "lon": -83.0458, "tz": "America/Detroit"}}]),
                        {"a": [("a", "2027-02-03T18:30")]}, {"a": [("a", "2027-02-02T09:30")]}),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_check_catches_a_broken_rule(rule):
    spec, broken, fixed = CASES[rule]
    instance = make_instance(**spec)
    assert rules_broken(instance, hand_plan(instance, broken)) == [rule]
    assert rules_broken(instance, hand_plan(instance, fixed)) == []


def test_check_catches_understated_leg_kpis_unserved_offset_and_duration():
    instance = make_instance([req("a", CHI, TUE), req("t", TORONTO, ("2027-02-03T08:00", "2027-02-04T21:00")),
                              req("x", CHI, TUE)])
    good = hand_plan(instance, {"a": [("a", "2027-02-02T08:30"), ("t", "2027-02-04T10:00")]})
    assert rules_broken(instance, good) == []
    route = good.routes[0]
    a, t = route.visits

    def with_visits(*vs, **kw):
        routes = (dataclasses.replace(route, visits=vs),)
        kpis = plan_kpis(routes, 3, lambda ref: instance.request(ref).audience)
        return dataclasses.replace(good, routes=routes, kpis=kw.get("kpis", kpis), unserved=kw.get("unserved", good.unserved))

    assert rules_broken(instance, with_visits(a, dataclasses.replace(t, drive_minutes_before=100))) == ["leg_too_short"]
    assert rules_broken(instance, with_visits(a, t, kpis=dict(good.kpis, audience=999))) == ["kpis"]
    assert rules_broken(instance, with_visits(a, t, unserved=())) == ["unserved"]
    # 09:00 Central is 10:00 in Toronto: the right instant, the wrong offset for the venue
    assert rules_broken(instance, with_visits(a, dataclasses.replace(t, start="2027-02-04T09:00:00-06:00",
                                                                     end="2027-02-04T10:30:00-06:00"))) == ["time_zone"]
    assert rules_broken(instance, with_visits(a, dataclasses.replace(t, end="2027-02-04T11:00:00-05:00"))) == ["duration"]
    unknown = dataclasses.replace(good, routes=good.routes + (Route(team="ghost", visits=()),))
    assert rules_broken(instance, unknown) == ["unknown_team"]


def test_night_rest_boundary_is_the_first_start_the_travel_model_allows():
    """Chicago event ends 20:00 CST (+15 teardown = 21:15 Eastern). Driving stops at 22:00 Eastern (day hours
    of both ends): 45 minutes that night, the rest of the travel model's minutes from 08:00 Eastern (07:00
    Central) on Wednesday, then 30 minutes of setup: T. Accepted at T, night_rest at T - 1 minute."""
    instance = make_instance(CASES["night_rest"][0]["requests"])
    minutes = travel_matrix([CHI[0], DETROIT[0]], [CHI[1], DETROIT[1]], ["US", "US"], border_minutes=60).minutes
    need = int(minutes[0, 1])
    assert need > 45  # the leg does not fit in Tuesday evening's 45 minutes
    earliest = dt.datetime(2027, 2, 3, 8, 0) + dt.timedelta(minutes=need - 45 + RULES["setup_minutes"])
    at = earliest.strftime("%Y-%m-%dT%H:%M")
    before = (earliest - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert rules_broken(instance, hand_plan(instance, {"a": [("a", "2027-02-02T18:30"), ("d", at)]})) == []
    assert rules_broken(instance, hand_plan(instance, {"a": [("a", "2027-02-02T18:30"), ("d", before)]})) == [
        "night_rest"]


def with_nights(plan, nights):
    """The plan with team a's nights replaced by {date: (lat, lon)}."""
    from tourplanner.optimize.plan import Night

    route = dataclasses.replace(plan.routes[0], nights=tuple(Night(d, lat, lon) for d, (lat, lon) in nights.items()))
    return dataclasses.replace(plan, routes=(route,))


def test_nights_are_one_per_day_at_the_last_venue_or_on_the_leg_being_driven():
    from tourplanner.optimize import solve

    instance = make_instance([req("a", CHI, ("2027-02-02T18:00", "2027-02-02T21:00")),
                              req("d", DETROIT, ("2027-02-03T07:00", "2027-02-03T15:00"))])
    plan = solve(instance, time_limit_s=2, seed=1, steps=10)
    nights = {n.date: (n.lat, n.lon) for n in plan.routes[0].nights}
    assert list(nights) == ["2027-02-01", "2027-02-02", "2027-02-03"]  # the base, the road, Detroit
    assert nights["2027-02-01"] == (CHICAGO["lat"], CHICAGO["lon"]) and nights["2027-02-03"] == DETROIT[:2]
    assert rules_broken(instance, plan) == []
    # Tuesday night on the road elsewhere on the Chicago-Detroit line: still near the leg being driven
    lat, lon = CHI[0] + 0.5 * (DETROIT[0] - CHI[0]), CHI[1] + 0.5 * (DETROIT[1] - CHI[1])
    assert rules_broken(instance, with_nights(plan, {**nights, "2027-02-02": (lat, lon)})) == []
    wrong = {
        "off the leg (Milwaukee)": {**nights, "2027-02-02": MILWAUKEE[:2]},
        "a day missing": {d: p for d, p in nights.items() if d != "2027-02-01"},
        "a night after the last event (a stale one)": {**nights, "2027-02-04": DETROIT[:2]},
        "at the base on the event's day": {**nights, "2027-02-03": CHI[:2]},
    }
    for case, given in wrong.items():
        assert rules_broken(instance, with_nights(plan, given)) == ["nights"], case
