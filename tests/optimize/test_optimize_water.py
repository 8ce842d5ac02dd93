"""Water in the travel model: islands by car ferry, places no road reaches, and a checker that catches both.

The facts come from outside the code: which places are bridged (PEI's Confederation Bridge, the Canso
Causeway to Cape Breton, the Overseas Highway to Key West), which are reached only by car ferry
(Vancouver Island, Newfoundland, the Magdalen Islands), which no road or car ferry reaches (Hawaii,
Juneau), and the operators' published crossing times: BC Ferries Tsawwassen - Swartz Bay 1 h 35,
Horseshoe Bay - Departure Bay 1 h 40, Tsawwassen - Duke Point 2 h; Marine Atlantic North Sydney - Port aux
Basques about 7 h; CTMA Souris - Cap-aux-Meules 5 h.
"""
import dataclasses
import datetime as dt

import pytest

from tourplanner.optimize import Instance, check, solve
from tourplanner.optimize.plan import Plan
from tourplanner.optimize.travel import UNREACHABLE, RoadMatrix, road_leg, travel_matrix

PUBLISHED_MINUTES = {  # at least this long on the water, whatever the timetable file says
    "Tsawwassen - Swartz Bay": 95, "Horseshoe Bay - Departure Bay": 100, "Tsawwassen - Duke Point": 120,
    "North Sydney - Port aux Basques": 6 * 60, "Souris - Cap-aux-Meules": 5 * 60,
}
SEASON = ("2027-03-01T08:00", "2027-05-14T20:00")


def venue(ref, name, lat, lon, tz, country, region, window=SEASON, **kw):
    d = {"id": ref, "name": name, "type": "community", "lat": lat, "lon": lon, "tz": tz, "country": country,
         "region": region, "audience": 100, "duration_minutes": 90, "priority": 5,
         "windows": [{"start": window[0], "end": window[1]}], "team": None, "fixed_start": None}
    d.update(kw)
    return d


WORLD = [
    venue("honolulu", "Honolulu", 21.3069, -157.8583, "Pacific/Honolulu", "US", "HI"),
    venue("juneau", "Juneau", 58.3019, -134.4197, "America/Juneau", "US", "AK"),
    venue("stjohns", "St. John's", 47.5615, -52.7126, "America/St_Johns", "CA", "NL"),
    venue("victoria", "Victoria", 48.4284, -123.3656, "America/Vancouver", "CA", "BC"),
    venue("nanaimo", "Nanaimo", 49.1659, -123.9401, "America/Vancouver", "CA", "BC"),
    venue("magdalen", "Cap-aux-Meules", 47.3776, -61.8623, "America/Halifax", "CA", "QC"),
    venue("charlottetown", "Charlottetown", 46.2382, -63.1311, "America/Halifax", "CA", "PE"),
    venue("sydney", "Sydney NS", 46.1368, -60.1942, "America/Glace_Bay", "CA", "NS"),
    venue("keywest", "Key West", 24.5551, -81.7800, "America/New_York", "US", "FL"),
    venue("montreal", "Montreal", 45.5017, -73.5673, "America/Toronto", "CA", "QC"),
    venue("manhattan", "Manhattan", 40.7831, -73.9712, "America/New_York", "US", "NY"),
]
ON_ISLANDS = {"stjohns": "newfoundland", "victoria": "vancouver_island", "nanaimo": "vancouver_island",
              "magdalen": "magdalen_islands"}
SEATTLE = {"lat": 47.6062, "lon": -122.3321, "tz": "America/Los_Angeles"}
BOSTON = {"lat": 42.3601, "lon": -71.0589, "tz": "America/New_York"}
VANCOUVER = {"lat": 49.2827, "lon": -123.1207, "tz": "America/Vancouver"}


def season(requests, teams=None, start="2027-03-01", days=77, **rules):
    teams = teams or [{"id": "west", "name": "West", "start": SEATTLE, "end": None},
                      {"id": "east", "name": "East", "start": BOSTON, "end": None}]
    return Instance.from_dict({"name": "water", "start_date": start, "days": days, "rules": rules,
                               "teams": teams, "requests": requests})


def planned(instance, **kw):
    plan = solve(instance, time_limit_s=kw.pop("time_limit_s", 10), seed=1, **kw)
    assert plan.status == "feasible"
    assert "repaired" not in plan.solver  # the safety net did not have to drop anything
    assert check(instance, plan) == []
    return plan


@pytest.fixture(scope="module")
def world():
    instance = season(WORLD)
    return instance, planned(instance)


def test_no_road_venues_are_unserved_and_everything_else_is_served(world):
    instance, plan = world
    unserved = {u.request: (u.reason, u.detail) for u in plan.unserved}
    assert set(unserved) == {"honolulu", "juneau"}
    assert unserved["honolulu"][0] == unserved["juneau"][0] == "no_road"
    assert "Honolulu" in unserved["honolulu"][1] and "Hawai" in unserved["honolulu"][1]
    assert "Juneau" in unserved["juneau"][1] and "Alaska" in unserved["juneau"][1]
    assert plan.kpis["served"] == 9


def test_every_crossing_takes_at_least_the_published_time(world):
    instance, plan = world
    rules = instance.rules
    crossings = 0
    for route in plan.routes:
        previous_end = None
        for v in route.visits:
            start = dt.datetime.fromisoformat(v.start)
            if v.ferry is not None:
                crossings += 1
                published = PUBLISHED_MINUTES[v.ferry.name]
                assert v.ferry.minutes >= published
                depart = dt.datetime.fromisoformat(v.ferry.depart)
                # on the water for the published time, then set up (the road on comes on top)
                assert depart + dt.timedelta(minutes=published + rules.setup_minutes) <= start
                if previous_end is not None:
                    assert previous_end + dt.timedelta(minutes=rules.teardown_minutes) <= depart
            previous_end = dt.datetime.fromisoformat(v.end)
    assert crossings >= 3  # Vancouver Island, Newfoundland and the Magdalen Islands, at least once each
    # every island was reached on a ferry, unless the visit before was on the same island
    legs = {v.request: v for r in plan.routes for v in r.visits}
    for ref, island in ON_ISLANDS.items():
        if ON_ISLANDS.get(_previous(plan, ref)) != island:
            assert legs[ref].ferry is not None, f"{ref} reached without a ferry"


def test_bridged_places_are_driven_not_ferried(world):
    _, plan = world
    legs = {v.request: v for r in plan.routes for v in r.visits}
    for ref in ("keywest", "montreal", "manhattan", "charlottetown", "sydney"):
        before = _previous(plan, ref)
        if before not in ON_ISLANDS:
            assert legs[ref].ferry is None or legs[ref].ferry.name == "Wood Islands - Caribou", ref


def _previous(plan, ref):
    for route in plan.routes:
        refs = [v.request for v in route.visits]
        if ref in refs:
            i = refs.index(ref)
            return refs[i - 1] if i else None
    return None


def test_checker_catches_a_leg_over_water_without_its_ferry(world):
    instance, plan = world
    route = next(r for r in plan.routes if any(v.ferry for v in r.visits))
    i, v = next((i, v) for i, v in enumerate(route.visits) if v.ferry)
    bare = dataclasses.replace(v, ferry=None)
    cheat = _with_visit(plan, route.team, i, bare)
    rules = {x.rule for x in check(instance, cheat) if x.request == v.request}
    assert "water" in rules


def test_checker_catches_a_sailing_that_does_not_exist(world):
    instance, plan = world
    route = next(r for r in plan.routes if any(v.ferry for v in r.visits))
    i, v = next((i, v) for i, v in enumerate(route.visits) if v.ferry)
    depart = dt.datetime.fromisoformat(v.ferry.depart) - dt.timedelta(minutes=10)
    early = dataclasses.replace(v, ferry=dataclasses.replace(v.ferry, depart=depart.isoformat()))
    assert "ferry" in {x.rule for x in check(instance, _with_visit(plan, route.team, i, early))}
    short = dataclasses.replace(v, ferry=dataclasses.replace(v.ferry, minutes=v.ferry.minutes - 30))
    assert "ferry" in {x.rule for x in check(instance, _with_visit(plan, route.team, i, short))}


def test_checker_catches_a_visit_no_road_reaches(world):
    instance, plan = world
    honolulu = next(r for r in instance.requests if r.id == "honolulu")
    route = plan.routes[0]
    last = route.visits[-1]
    start = dt.datetime.fromisoformat(last.start) + dt.timedelta(days=20)
    start = start.astimezone(dt.timezone(dt.timedelta(hours=-10))).replace(hour=12, minute=0)
    fake = type(last)(request=honolulu.id, start=start.isoformat(),
                      end=(start + dt.timedelta(minutes=90)).isoformat(), drive_minutes_before=6000,
                      drive_km_before=4710.0)
    d = plan.to_dict()
    d["routes"][0]["visits"].append(fake.to_dict())
    d["unserved"] = [u for u in d["unserved"] if u["request"] != "honolulu"]
    rules = {x.rule for x in check(instance, Plan.from_dict(d)) if x.request == "honolulu"}
    assert {"no_road", "water"} <= rules


def _with_visit(plan, team, i, visit):
    d = plan.to_dict()
    route = next(r for r in d["routes"] if r["team"] == team)
    route["visits"][i] = visit.to_dict()
    return Plan.from_dict(d)


def test_victoria_from_vancouver_takes_the_first_sailing_that_fits():
    # Leave Vancouver at 07:00; Tsawwassen terminal is 25 km away: the 09:00 sailing is the first one
    # after the drive (07:00 sails before the team can be there); 1 h 35 on the water, then Swartz Bay to
    # Victoria on the road, 30 min setup.
    instance = season([venue("victoria", "Victoria", 48.4284, -123.3656, "America/Vancouver", "CA", "BC",
                             window=("2027-03-01T07:00", "2027-03-01T22:00"))],
                      teams=[{"id": "w", "name": "W", "start": VANCOUVER, "end": None}], days=7)
    plan = planned(instance, time_limit_s=2, steps=20)
    (v,) = plan.route("w").visits
    assert v.ferry is not None and v.ferry.name == "Tsawwassen - Swartz Bay"
    assert v.ferry.depart == "2027-03-01T09:00:00-08:00"
    post, post_km = road_leg(48.6889, -123.4103, 48.4284, -123.3656)
    pre, pre_km = road_leg(49.2827, -123.1207, 49.0069, -123.1288)
    start = dt.datetime(2027, 3, 1, 9, 0) + dt.timedelta(minutes=95 + int(post) + 30)
    assert v.start == start.isoformat() + "-08:00"
    assert v.drive_minutes_before == int(pre) + int(post)  # road only: the crossing is not driving
    assert v.drive_km_before == round(float(pre_km) + float(post_km), 1)


def test_the_daily_cap_counts_road_minutes_not_the_crossing():
    # Vancouver to Nanaimo: about half an hour of road and 1 h 40 (or 2 h) at sea. With a 60-minute cap a
    # day the visit fits the same day only because the crossing is not driving.
    instance = season([venue("nanaimo", "Nanaimo", 49.1659, -123.9401, "America/Vancouver", "CA", "BC",
                             window=("2027-03-01T07:00", "2027-03-01T22:00"))],
                      teams=[{"id": "w", "name": "W", "start": VANCOUVER, "end": None}], days=7,
                      max_drive_minutes_per_day=60)
    plan = planned(instance, time_limit_s=2, steps=20)
    (v,) = plan.route("w").visits
    assert v.ferry is not None and v.drive_minutes_before <= 60
    assert v.drive_minutes_before + v.ferry.minutes > 60
    assert v.start.startswith("2027-03-01T")


def test_an_overnight_sailing_is_the_night_and_the_night_is_on_the_water():
    # From Port aux Basques to Sydney NS with the event at 08:00 next morning: only the 23:45 sailing
    # (about 7 h, cabins) gets there; the team sleeps aboard, between the two terminals.
    pab = {"lat": 47.5766, "lon": -59.1367, "tz": "America/St_Johns"}
    instance = season([venue("before", "Port aux Basques hall", 47.58, -59.15, "America/St_Johns", "CA", "NL",
                             window=("2027-03-01T18:00", "2027-03-01T20:30")),
                       venue("sydney", "Sydney NS", 46.1368, -60.1942, "America/Glace_Bay", "CA", "NS",
                             window=("2027-03-02T07:00", "2027-03-02T11:00"))],
                      teams=[{"id": "e", "name": "E", "start": pab, "end": None}], days=7)
    plan = planned(instance, time_limit_s=2, steps=20)
    before, sydney = plan.route("e").visits
    assert sydney.ferry.depart == "2027-03-01T23:45:00-03:30"
    night = {n.date: (n.lat, n.lon) for n in plan.route("e").nights}["2027-03-01"]
    assert 46.2 < night[0] < 47.6 and -60.25 < night[1] < -59.1  # on the Cabot Strait, aboard


def test_legs_that_need_two_ferries_or_reach_no_road_places_are_unreachable():
    lats = [48.4284, 47.5615, 21.3069, 45.5017]  # Victoria, St. John's, Honolulu, Montreal
    lons = [-123.3656, -52.7126, -157.8583, -73.5673]
    travel = travel_matrix(lats, lons, ["CA", "CA", "US", "CA"], border_minutes=60)
    assert travel.minutes[0, 1] == UNREACHABLE  # Vancouver Island to Newfoundland: two ferries
    assert travel.minutes[3, 2] == UNREACHABLE and travel.minutes[2, 3] == UNREACHABLE
    assert travel.minutes[3, 0] < UNREACHABLE and travel.ferry_leg(3, 0) is not None
    assert travel.ferry_leg(3, 1).crossing.name == "North Sydney - Port aux Basques"


def test_with_a_road_engine_its_ferries_are_used_and_no_road_places_stay_cut_off():
    # an engine's matrix already holds its own ferry times: no crossing is added, but Hawaii stays out
    ids = ("victoria", "honolulu", "start:w")
    minutes = [[0, 9999, 180], [9999, 0, 9999], [180, 9999, 0]]
    km = [[0, 9999, 110], [9999, 0, 9999], [110, 9999, 0]]
    road = RoadMatrix(ids=ids, minutes=__import__("numpy").array(minutes, float),
                      km=__import__("numpy").array(km, float))
    instance = season([venue("victoria", "Victoria", 48.4284, -123.3656, "America/Vancouver", "CA", "BC",
                             window=("2027-03-01T07:00", "2027-03-01T22:00")),
                       venue("honolulu", "Honolulu", 21.3069, -157.8583, "Pacific/Honolulu", "US", "HI")],
                      teams=[{"id": "w", "name": "W", "start": VANCOUVER, "end": None}], days=7)
    plan = solve(instance, time_limit_s=2, seed=1, steps=20, matrix=road)
    assert check(instance, plan, matrix=road) == []
    (v,) = plan.route("w").visits
    assert v.ferry is None and v.drive_minutes_before == 180
    assert {u.request: u.reason for u in plan.unserved} == {"honolulu": "no_road"}


def test_the_checkers_land_lookup_agrees_with_the_solvers_on_random_points():
    # two implementations (numpy in lands.py, plain Python in check.py) over the same data: a bug in either
    # shows as a disagreement somewhere in North America
    import numpy as np

    from tourplanner.optimize.check import land_at
    from tourplanner.optimize.lands import lands_of

    rng = np.random.default_rng(7)
    lats, lons = rng.uniform(15, 75, 4000), rng.uniform(-170, -50, 4000)
    # and points near every ferry terminal and island, where the outlines are
    near = [(48.43, -123.37), (47.56, -52.71), (47.38, -61.86), (41.28, -70.10), (41.45, -70.60), (48.53, -123.02),
            (21.31, -157.86), (58.30, -134.42), (49.37, -123.27), (49.43, -123.47), (46.21, -60.25)]
    for lat, lon in near:
        lats = np.append(lats, lat + rng.uniform(-0.3, 0.3, 100))
        lons = np.append(lons, lon + rng.uniform(-0.3, 0.3, 100))
    fast = [land.key for land in lands_of(lats, lons)]
    plain = [land_at(float(a), float(b))[0] for a, b in zip(lats, lons)]
    assert fast == plain
    assert len(set(fast)) > 8  # the sample does reach many lands, not only the mainland


OPERATORS_MINUTES = {  # the crossing times the operators publish (outside facts, kept apart from ferries.json)
    "Tsawwassen - Swartz Bay": 95, "Horseshoe Bay - Departure Bay": 100, "Tsawwassen - Duke Point": 120,
    "Horseshoe Bay - Langdale": 40, "Tsawwassen - Long Harbour (Salt Spring)": 90,
    "Swartz Bay - Fulford Harbour": 35, "Prince Rupert - Skidegate": 420, "North Sydney - Port aux Basques": 420,
    "Souris - Cap-aux-Meules": 300, "Hyannis - Nantucket": 135, "Woods Hole - Vineyard Haven": 45,
    "Anacortes - Friday Harbor": 65, "Point Judith - Block Island": 55, "Fauntleroy - Vashon": 20,
    "Point Defiance - Tahlequah": 15, "Saint John - Digby": 135, "Wood Islands - Caribou": 75,
}


def test_every_route_in_the_ferry_table_takes_at_least_its_published_time_and_joins_real_lands():
    from tourplanner.optimize.ferries import crossings
    from tourplanner.optimize.lands import land, land_of

    for c in crossings():
        assert c.minutes >= OPERATORS_MINUTES[c.name], c.name
        for terminal in (c.a, c.b):
            assert land_of(terminal.lat, terminal.lon).key == terminal.land == land(terminal.land).key, terminal
            assert land(terminal.land).kind != "no_road"
        assert c.departures and all(0 <= m < 24 * 60 for m in c.departures)
    assert {c.name for c in crossings()} == set(OPERATORS_MINUTES)
