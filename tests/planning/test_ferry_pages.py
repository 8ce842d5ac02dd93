"""A ferry crossing as people see it: the day sheet names it, the team feed has it at its sailing time in
UTC, the maps draw it dashed between the terminals (not a road across the strait)."""
import datetime as dt
import json
import re
from html import unescape

import pytest
from icalendar import Calendar

from tourplanner import feeds, planning
from tourplanner.extensions import db
from tourplanner.models import Team

PASSWORD = "a long coordinator password"
TSAWWASSEN, SWARTZ_BAY = [49.0069, -123.1288], [48.6889, -123.4103]


@pytest.fixture
def ferry_plan(app, make_season, make_request):
    """A team based in Vancouver and one venue in Victoria, on Vancouver Island, solved and published."""
    from tourplanner.optimize import solve

    season = make_season(name="island", start_date=dt.date(2027, 3, 1), weeks=1)
    db.session.add(Team(season=season, slug="west", name="West", base_name="Vancouver, BC", base_lat=49.2827,
                        base_lon=-123.1207, base_tz="America/Vancouver"))
    db.session.commit()
    make_request(season, ref="vic", status="approved", venue_name="Oak Bay High", city="Victoria", region="BC",
                 country="CA", postal_code="V8R 1H5", lat=48.4284, lon=-123.3656, tz="America/Vancouver")
    data = planning.instance_dict(season)
    instance = planning.build_instance(season, data)
    plan = solve(instance, time_limit_s=2, seed=1, steps=30)
    row = planning.save_plan(season, plan, params={"time_limit_s": 2, "seed": 1}, previous=None,
                             instance=instance, instance_data=data)
    planning.publish(row)
    (visit,) = row.visits
    return season, row, visit, plan


def test_the_stored_visit_carries_the_crossing_of_the_plan(ferry_plan):
    season, row, visit, plan = ferry_plan
    (planned,) = plan.route("west").visits
    assert planned.ferry is not None
    assert visit.ferry_name == planned.ferry.name == "Tsawwassen - Swartz Bay"
    assert visit.ferry_minutes == 95
    assert visit.ferry_depart_dt == dt.datetime.fromisoformat(planned.ferry.depart).astimezone(dt.timezone.utc)
    exported = planning_json(season, row)
    assert exported["routes"][0]["visits"][0]["ferry"] == planned.ferry.to_dict()


def planning_json(season, row):
    from tourplanner.review import plan_dict

    return plan_dict(season, row)


def test_day_sheet_names_the_ferry_and_when_to_leave(app, client, ferry_plan):
    from tourplanner.accounts import create_user

    season, row, visit, _ = ferry_plan
    create_user("coord@example.org", PASSWORD)
    client.post("/login", data={"email": "coord@example.org", "password": PASSWORD})
    day = visit.start_dt.astimezone(dt.timezone(dt.timedelta(hours=-8))).date()
    html = unescape(client.get(f"/admin/seasons/island/teams/west/days/{day}").get_data(as_text=True))
    sails = visit.ferry_depart_dt.astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert f"Ferry Tsawwassen - Swartz Bay, 1 h 35, sails {sails:%H:%M}" in html
    leave = re.search(r"leave by (\d\d:\d\d)", html).group(1)
    # at the terminal 30 min before it sails, after about half an hour on the road from Vancouver
    latest = sails - dt.timedelta(minutes=30)
    assert dt.time.fromisoformat(leave) < latest.time()
    assert (dt.datetime.combine(day, latest.time()) - dt.datetime.combine(day, dt.time.fromisoformat(leave))
            < dt.timedelta(hours=1))


def test_team_feed_has_the_crossing_at_its_sailing_time(app, client, ferry_plan):
    season, row, visit, _ = ferry_plan
    team = db.session.query(Team).filter_by(slug="west").one()
    token = feeds.issue_token(season, "team", team=team, now=dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc))
    body = client.get(f"/feeds/{token}.ics").get_data()
    events = {str(c["UID"]): c for c in Calendar.from_ical(body).walk("VEVENT")}
    (ferry,) = [c for uid, c in events.items() if uid.startswith("ferry-")]
    assert str(ferry["SUMMARY"]) == "Ferry Tsawwassen - Swartz Bay"
    assert ferry.decoded("DTSTART").astimezone(dt.timezone.utc) == visit.ferry_depart_dt
    assert ferry.decoded("DTEND") - ferry.decoded("DTSTART") == dt.timedelta(minutes=95)
    (drive,) = [c for uid, c in events.items() if uid.startswith("drive-")]
    # the drive item starts before the sailing (road to the terminal, check-in), not after the crossing
    assert drive.decoded("DTSTART").astimezone(dt.timezone.utc) < visit.ferry_depart_dt


def spec_of(html: str) -> dict:
    """What the page hands tourmap.js to draw."""
    return json.loads(re.search(r"TourMap\.draw\([^,]+, (\{.*?\})\);", html, re.S).group(1))


def test_team_map_draws_the_crossing_dashed_between_the_terminals(app, client, ferry_plan):
    from tourplanner.accounts import create_user

    create_user("coord@example.org", PASSWORD)
    client.post("/login", data={"email": "coord@example.org", "password": PASSWORD})
    html = client.get("/admin/seasons/island/teams/west/map").get_data(as_text=True)
    spec = spec_of(html)
    dashed = [line for line in spec["lines"] if line.get("dash")]
    assert [line["pts"] for line in dashed] == [[TSAWWASSEN, SWARTZ_BAY]]
    assert "Ferry Tsawwassen - Swartz Bay" in dashed[0]["tip"]
    solid = [p for line in spec["lines"] if not line.get("dash") for p in line["pts"]]
    assert SWARTZ_BAY in solid  # the road goes on from the arrival terminal


def test_a_route_goes_by_road_to_the_terminal_by_sea_across_and_by_road_on():
    from tourplanner import maps

    when = dt.datetime(2027, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    ferry = maps.FerryCrossing("Tsawwassen - Swartz Bay", *TSAWWASSEN, *SWARTZ_BAY)
    stops = [maps.Stop(team="w", lat=49.2827, lon=-123.1207, start=when, venue="Vancouver hall"),
             maps.Stop(team="w", lat=48.4284, lon=-123.3656, start=when + dt.timedelta(hours=6), venue="Oak Bay High",
                       ferry=ferry)]
    spec = spec_of(str(maps.team_map(maps.TeamInfo(key="w", name="West", colour="#1f77b4"), stops,
                                     season_start=dt.date(2027, 3, 1))))
    pieces = [(line["pts"], bool(line.get("dash"))) for line in spec["lines"]]
    assert pieces == [([[49.2827, -123.1207], TSAWWASSEN], False), ([TSAWWASSEN, SWARTZ_BAY], True),
                      ([SWARTZ_BAY, [48.4284, -123.3656]], False)]


def test_a_day_map_draws_the_crossing_on_the_day_it_sails_only():
    from tourplanner import maps

    pst = dt.timezone(dt.timedelta(hours=-8))
    ferry = maps.FerryCrossing("Tsawwassen - Swartz Bay", *TSAWWASSEN, *SWARTZ_BAY,
                               depart=dt.datetime(2027, 3, 1, 15, 0, tzinfo=pst), minutes=95)
    team = maps.TeamInfo(key="w", name="West", colour="#1f77b4")
    puyallup = maps.Stop(team="w", lat=47.1854, lon=-122.2929, start=dt.datetime(2027, 3, 1, 9, 30, tzinfo=pst),
                         venue="First Church")
    victoria = maps.Stop(team="w", lat=48.4284, lon=-123.3656, start=dt.datetime(2027, 3, 2, 8, 30, tzinfo=pst),
                         venue="Oak Bay High", ferry=ferry)
    night = maps.Sleep(team="w", day=dt.date(2027, 3, 1), lat=48.4284, lon=-123.3656, town="Victoria, BC")
    # the evening drive crosses on the 15:00 sailing toward tomorrow's stop: road, dashed crossing, road
    first = spec_of(str(maps.day_map(team, dt.date(2027, 3, 1), [puyallup, victoria], tonight=night)))
    assert [(line["pts"], bool(line.get("dash"))) for line in first["lines"]] == [
        ([[47.1854, -122.2929], TSAWWASSEN], False), ([TSAWWASSEN, SWARTZ_BAY], True),
        ([SWARTZ_BAY, [48.4284, -123.3656]], False)]
    # next morning the team wakes in Victoria: no crossing on that day's map
    second = spec_of(str(maps.day_map(team, dt.date(2027, 3, 2), [puyallup, victoria], start=night)))
    assert not [line for line in second["lines"] if line.get("dash")]


def test_the_day_sheet_before_an_evening_crossing_says_to_catch_the_ferry(app, client, make_season, make_request):
    """Puyallup in the morning, the Victoria event the next morning: the crossing is that evening."""
    from tourplanner.accounts import create_user
    from tourplanner.models import AvailabilityWindow
    from tourplanner.optimize import solve

    season = make_season(name="evening", start_date=dt.date(2027, 3, 1), weeks=1)
    db.session.add(Team(season=season, slug="west", name="West", base_name="Tacoma, WA", base_lat=47.2529,
                        base_lon=-122.4443, base_tz="America/Los_Angeles"))
    db.session.commit()

    def on(day, start, end):
        return [AvailabilityWindow(first_date=day, last_date=day, weekdays="mon,tue,wed,thu,fri,sat,sun",
                                   start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end))]

    make_request(season, ref="puy", status="approved", venue_name="First Church", city="Puyallup", region="WA",
                 postal_code="98371", lat=47.1854, lon=-122.2929, tz="America/Los_Angeles",
                 windows=on(dt.date(2027, 3, 2), "09:00", "11:30"))
    make_request(season, ref="vic", status="approved", venue_name="Oak Bay High", city="Victoria", region="BC",
                 country="CA", postal_code="V8R 1H5", lat=48.4284, lon=-123.3656, tz="America/Vancouver",
                 windows=on(dt.date(2027, 3, 3), "08:00", "10:30"))
    data = planning.instance_dict(season)
    instance = planning.build_instance(season, data)
    plan = solve(instance, time_limit_s=2, seed=1, steps=30)
    assert plan.kpis["served"] == 2
    planning.save_plan(season, plan, params={"time_limit_s": 2, "seed": 1}, previous=None, instance=instance,
                       instance_data=data)
    ferry = plan.route("west").visits[1].ferry
    assert ferry is not None and ferry.depart.startswith("2027-03-02T")
    create_user("coord@example.org", PASSWORD)
    client.post("/login", data={"email": "coord@example.org", "password": PASSWORD})
    html = unescape(client.get("/admin/seasons/evening/teams/west/days/2027-03-02").get_data(as_text=True))
    sails = dt.datetime.fromisoformat(ferry.depart)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"On the way: Ferry {ferry.name}, 1 h 35, sails {sails:%H:%M}" in text
