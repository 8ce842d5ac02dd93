"""Plan review pages and exports: KPIs, itineraries with local times, the week grid, unserved, CSV/JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from tests.support.review import REVIEW_GETS, venue, weekday_window
from tourplanner.extensions import db
from tourplanner.models import (
    AvailabilityWindow,
    Overnight,
    Plan,
    Request,
    Team,
    UnservedRequest,
    Venue,
    Visit,
)

UTC = dt.timezone.utc
PASSWORD = "correct horse battery"


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def build_plan(season):
    """Two teams, four served requests (Illinois, Arizona, Ontario), two unserved; plan v1, a draft.

    Central: Tue Feb 2 Springfield IL 10:00-11:30 CST and Peoria IL 14:00-15:30 CST, sleeps in Peoria;
    Wed Feb 3 Toronto ON 13:00-14:30 EST after a long leg.  West: Wed Feb 3 Phoenix AZ 09:00-10:30 MST,
    sleeps on the road in Blythe CA on Feb 2.  Unserved: a Flagstaff church available only on Sundays
    (rest days), and a request whose window lies after the tour.
    """
    west = Team(season=season, slug="west", name="West", colour="#d62728", base_name="Los Angeles, CA",
                base_lat=34.0522, base_lon=-118.2437, base_tz="America/Los_Angeles")
    central = Team(season=season, slug="central", name="Central", colour="#2ca02c", base_name="Chicago, IL",
                   base_lat=41.8781, base_lon=-87.6298, base_tz="America/Chicago")
    db.session.add_all([west, central])

    def req(ref, v, audience=200, priority=3, windows=None, **kw):
        r = Request(season=season, ref=ref, venue=v, contact_email=f"{ref}@example.org", audience=audience,
                    priority=priority, status="scheduled", windows=windows or [weekday_window(season)], **kw)
        db.session.add(r)
        return r

    r1 = req("r1", venue("Lincoln High School", "Springfield", "IL", 39.7817, -89.6501, "America/Chicago",
                         street="101 Main St", postal_code="62701"),
             audience=300, contact_name="Ann Teacher", contact_phone="+1 217 555 0101", notes="Use the gym door.")
    r2 = req("r2", venue("Peoria College", "Peoria", "IL", 40.6936, -89.5890, "America/Chicago", kind="college"),
             audience=120)
    r3 = req("r3", venue("Desert Vista High", "Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix"), audience=250)
    r4 = req("r4", venue("Maple Leaf Community Centre", "Toronto", "ON", 43.6532, -79.3832, "America/Toronto",
                         country="CA", kind="community"), audience=80)
    u1 = req("u1", venue("First Church of Flagstaff", "Flagstaff", "AZ", 35.1983, -111.6513, "America/Phoenix",
                         kind="church"),
             audience=150, windows=[weekday_window(season, dt.time(9, 0), dt.time(13, 0), days="sun")])
    u2 = req("u2", venue("Late High", "Denver", "CO", 39.7392, -104.9903, "America/Denver"), audience=90,
             windows=[AvailabilityWindow(first_date=dt.date(2027, 6, 1), last_date=dt.date(2027, 6, 5),
                                         weekdays="mon,tue,wed,thu,fri", start_time=dt.time(9), end_time=dt.time(15))])
    plan = Plan(season=season, number=1, status="draft", solver={"time_limit_s": 10, "seed": 1},
                kpis={"served": 4, "requests": 6}, plan_json=json.dumps({"status": "feasible"}))
    db.session.add(plan)
    plan.visits = [
        # 10:00 CST = 16:00 UTC
        Visit(request=r1, team=central, start_dt=utc(2027, 2, 2, 16, 0), end_dt=utc(2027, 2, 2, 17, 30), order=0,
              drive_minutes_before=210, drive_km_before=325.4),
        Visit(request=r2, team=central, start_dt=utc(2027, 2, 2, 20, 0), end_dt=utc(2027, 2, 2, 21, 30), order=1,
              drive_minutes_before=95, drive_km_before=128.0),
        # 13:00 EST = 18:00 UTC
        Visit(request=r4, team=central, start_dt=utc(2027, 2, 3, 18, 0), end_dt=utc(2027, 2, 3, 19, 30), order=2,
              drive_minutes_before=300, drive_km_before=410.0),
        # 09:00 MST (Arizona, no DST) = 16:00 UTC
        Visit(request=r3, team=west, start_dt=utc(2027, 2, 3, 16, 0), end_dt=utc(2027, 2, 3, 17, 30), order=0,
              drive_minutes_before=400, drive_km_before=600.5),
    ]
    plan.overnights = [
        Overnight(team=central, day=dt.date(2027, 2, 2), lat=40.6936, lon=-89.5890, town=""),
        Overnight(team=central, day=dt.date(2027, 2, 3), lat=43.6532, lon=-79.3832, town="Toronto, ON"),
        Overnight(team=west, day=dt.date(2027, 2, 2), lat=33.6103, lon=-114.5964, town="Blythe, CA"),
        Overnight(team=west, day=dt.date(2027, 2, 3), lat=33.4484, lon=-112.0740, town=""),
    ]
    plan.unserved = [
        UnservedRequest(request=u1, reason="holiday_or_day_off", detail="all its days are Sundays"),
        UnservedRequest(request=u2, reason="outside_tour_dates", detail="window in June"),
    ]
    db.session.commit()
    return plan


@pytest.fixture
def planned(app, make_season):
    season = make_season(name="spring-2027")
    plan = build_plan(season)
    return season, plan


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of one table on a page, cell by cell."""
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.rows, self.cell = 0, [], None

        def handle_starttag(self, tag, attrs):
            if tag == "table" and dict(attrs).get("id") == table_id:
                self.depth = 1
            elif tag == "table" and self.depth:
                self.depth += 1
            elif self.depth and tag == "tr":
                self.rows.append([])
            elif self.depth and tag in ("td", "th"):
                self.cell = []
            elif tag == "br" and self.cell is not None:
                self.cell.append(" ")

        def handle_endtag(self, tag):
            if tag == "table" and self.depth:
                self.depth -= 1
            elif self.depth and tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(" ".join("".join(self.cell).split()))
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return parser.rows


def test_plan_page_shows_kpis_teams_and_unserved_with_suggestions(coordinator, planned):
    season, plan = planned
    html = coordinator.get("/admin/seasons/spring-2027/review").get_data(as_text=True)
    assert "Plan v1 for spring-2027" in html
    assert "<strong>4</strong> of 6 requests served" in html
    assert "<strong>750</strong> people reached" in html  # 300 + 120 + 250 + 80
    assert "<strong>1,464 km</strong> driven" in html  # 325.4 + 128 + 410 + 600.5
    assert "<strong>16.8 h</strong> at the wheel" in html  # 1005 minutes
    assert "<strong>2</strong> states, <strong>1</strong> provinces" in html and "Covered: AZ, IL, ON" in html
    teams = table_rows(html, "teams")
    assert teams[1][:5] == ["West", "1", "250", "600", "6.7"]
    assert teams[2][:5] == ["Central", "3", "500", "863", "10.1"]
    unserved = {row[0]: row for row in table_rows(html, "unserved")[1:]}
    assert set(unserved) == {"u1", "u2"}
    assert unserved["u1"][5] == "all its days are Sundays"  # one reason: the optimizer's own for this request
    # Flagstaff on a Sunday: West sleeps in Phoenix on Wed Feb 3 and is still there on Sunday Feb 7.
    assert unserved["u1"][6] == (
        "available only on Sundays (rest days of the tour); team West is within 250 km on Sunday February 7")
    assert unserved["u2"][6] == "no window inside the tour (Feb 1 to Apr 18, 2027)"
    assert "Season map: not available yet" in html or "Season map</a>" in html


def test_team_itinerary_lists_events_in_venue_local_time_with_legs_and_nights(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/review/teams/central").get_data(as_text=True)
    rows = table_rows(html, "itinerary")
    assert len(rows) == 1 + 77 + 1  # header, one row per day, Feb 2 has two events
    feb2 = [r for r in rows if r and r[0] == "Tue Feb 2"][0]
    assert feb2[1] == "325 km, 3.5 h from Chicago, IL"
    assert feb2[2].startswith("10:00–11:30 CST Lincoln High School, Springfield, IL")
    assert feb2[3] == "Peoria, IL"  # no town stored: the venue where the team sleeps names it
    second = rows[rows.index(feb2) + 1]
    assert second[0] == "128 km, 1.6 h from Springfield, IL"  # rowspan: no day cell
    assert second[1].startswith("14:00–15:30 CST Peoria College")
    feb3 = [r for r in rows if r and r[0] == "Wed Feb 3"][0]
    assert feb3[2].startswith("13:00–14:30 EST Maple Leaf Community Centre, Toronto, ON")
    sunday = [r for r in rows if r and r[0] == "Sun Feb 7"][0]
    assert sunday[1] == "rest day"
    assert [r for r in rows if r and r[0] == "Mon Feb 1"][0][1] == "no event"


def test_arizona_keeps_mountain_standard_time_in_the_itinerary(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/review/teams/west").get_data(as_text=True)
    feb3 = [r for r in table_rows(html, "itinerary") if r and r[0] == "Wed Feb 3"][0]
    assert feb3[2].startswith("09:00–10:30 MST Desert Vista High, Phoenix, AZ")
    feb2 = [r for r in table_rows(html, "itinerary") if r and r[0] == "Tue Feb 2"][0]
    assert feb2[1:3] == ["no event", "Blythe, CA"]  # a night on the road during the relocation


def test_week_grid_has_a_row_per_week_and_a_column_per_team(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/review/weeks").get_data(as_text=True)
    rows = table_rows(html, "weeks")
    assert rows[0] == ["Week", "West", "Central"]
    assert len(rows) == 1 + 11
    week1 = rows[1]
    assert week1[0] == "1 Feb 1–Feb 7"
    assert "Tue → Blythe, CA" in week1[1] and "Wed Phoenix 09:00" in week1[1] and "Sun rest" in week1[1]
    assert "Tue Springfield 10:00; Peoria 14:00" in week1[2] and "Wed Toronto 13:00" in week1[2]


def test_day_sheet_shows_what_where_contact_drive_and_night(coordinator, planned):
    response = coordinator.get("/admin/seasons/spring-2027/teams/central/days/2027-02-02")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Team Central, Tuesday February 2, 2027" in html
    assert "10:00–11:30 CST: Lincoln High School" in html
    assert "101 Main St, Springfield, IL 62701, US" in html
    assert "Ann Teacher, +1 217 555 0101, r1@example.org" in html
    # 210 min drive and 30 min setup before 10:00: leave by 06:00
    assert "325 km, 3.5 h from Chicago, IL; leave by 06:00, arrive by 09:30 CST" in html
    assert "Use the gym door." in html
    assert '<p id="night">Peoria, IL</p>' in html
    assert "@media print" in html


def test_day_sheet_of_a_rest_day_and_of_a_day_outside_the_season(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/teams/central/days/2027-02-07").get_data(as_text=True)
    assert "Rest day." in html
    assert coordinator.get("/admin/seasons/spring-2027/teams/central/days/2027-09-01").status_code == 404
    assert coordinator.get("/admin/seasons/spring-2027/teams/nobody/days/2027-02-02").status_code == 404
    assert coordinator.get("/admin/seasons/spring-2027/teams/central/days/not-a-date").status_code == 404


def test_itinerary_csv_parses_back_with_local_times(coordinator, planned):
    response = coordinator.get("/admin/seasons/spring-2027/export/itinerary.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["team"] for r in rows] == ["central", "central", "central", "west"]
    first = rows[0]
    assert first == {"team": "central", "date": "2027-02-02", "local_start": "10:00", "local_end": "11:30",
                     "zone": "America/Chicago", "venue": "Lincoln High School", "city": "Springfield",
                     "region": "IL", "drive_km": "325.4", "drive_minutes": "210", "overnight_town": "Peoria, IL"}
    assert rows[3]["local_start"] == "09:00" and rows[3]["zone"] == "America/Phoenix"


def test_itinerary_csv_marks_a_venue_name_that_starts_like_a_formula(coordinator, planned):
    """Issue 16.5: the itinerary's text cells cannot run in a spreadsheet."""
    venue = db.session.scalar(db.select(Venue).where(Venue.name == "Lincoln High School"))
    venue.name, venue.city = "=HYPERLINK(\"http://evil.example\")", "@Springfield"
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(coordinator.get("/admin/seasons/spring-2027/export/itinerary.csv").get_data(as_text=True))))
    assert (rows[0]["venue"], rows[0]["city"]) == ("'=HYPERLINK(\"http://evil.example\")", "'@Springfield")


def test_plan_json_parses_back_in_formats_section_3(coordinator, planned):
    response = coordinator.get("/admin/seasons/spring-2027/export/plan.json")
    plan = json.loads(response.get_data(as_text=True))
    assert plan["instance"] == "spring-2027" and plan["status"] == "feasible"
    routes = {r["team"]: r for r in plan["routes"]}
    assert [v["request"] for v in routes["central"]["visits"]] == ["r1", "r2", "r4"]
    assert routes["central"]["visits"][0] == {"request": "r1", "start": "2027-02-02T10:00:00-06:00",
                                              "end": "2027-02-02T11:30:00-06:00", "drive_minutes_before": 210,
                                              "drive_km_before": 325.4}
    assert routes["west"]["nights"][0] == {"date": "2027-02-02", "lat": 33.6103, "lon": -114.5964}
    assert plan["unserved"] == [{"request": "u1", "reason": "holiday_or_day_off", "detail": "all its days are Sundays"},
                                {"request": "u2", "reason": "outside_tour_dates", "detail": "window in June"}]
    assert plan["kpis"] == {"served": 4, "requests": 6, "audience": 750, "drive_km": 1463.9, "drive_minutes": 1005}


def test_requests_csv_export_parses_back(coordinator, planned):
    response = coordinator.get("/admin/seasons/spring-2027/export/requests.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["ref"] for r in rows) == ["r1", "r2", "r3", "r4", "u1", "u2"]
    assert {r["ref"]: r["city"] for r in rows}["r3"] == "Phoenix"


def test_another_plan_version_by_query_and_unknown_versions(coordinator, planned):
    season, plan = planned
    db.session.add(Plan(season=season, number=2, status="draft"))
    db.session.commit()
    latest = coordinator.get("/admin/seasons/spring-2027/review").get_data(as_text=True)
    assert "Plan v2 for spring-2027" in latest and "<strong>0</strong> of 0 requests served" in latest
    first = coordinator.get("/admin/seasons/spring-2027/review?plan=1").get_data(as_text=True)
    assert "Plan v1 for spring-2027" in first and "<strong>4</strong> of 6" in first
    assert coordinator.get("/admin/seasons/spring-2027/review?plan=9").status_code == 404
    assert coordinator.get("/admin/seasons/spring-2027/review?plan=x").status_code == 400
    assert coordinator.get("/admin/seasons/nope/review").status_code == 404


def test_a_season_without_a_plan_says_so(coordinator, make_season):
    make_season(name="empty")
    response = coordinator.get("/admin/seasons/empty/review")
    assert response.status_code == 404 and "No plan yet for empty" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", REVIEW_GETS)
def test_anonymous_gets_are_sent_to_login(client, planned, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_season_page_links_to_the_plan_review_and_the_requests_export(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027").get_data(as_text=True)
    assert '<a href="/admin/seasons/spring-2027/review">Review the latest plan</a>' in html
    assert '<a href="/admin/seasons/spring-2027/export/requests.csv">Export requests (CSV)</a>' in html


def test_plan_page_links_the_maps_once_they_exist(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/review").get_data(as_text=True)
    assert 'href="/admin/seasons/spring-2027/map?plan=1">Season map</a>' in html
    assert 'href="/admin/seasons/spring-2027/teams/west/map?plan=1">map</a>' in html


def test_day_sheet_links_the_day_map(coordinator, planned):
    html = coordinator.get("/admin/seasons/spring-2027/teams/central/days/2027-02-02").get_data(as_text=True)
    assert 'href="/admin/seasons/spring-2027/teams/central/days/2027-02-02/map?plan=1">Map of the day</a>' in html


def test_user_text_renders_as_text_on_every_review_page(coordinator, planned):
    season, plan = planned
    payload = "<script>alert(7)</script>`${x}`"
    request = db.session.scalar(db.select(Request).where(Request.ref == "r1"))
    request.venue.name = payload
    request.notes = payload
    request.contact_name = payload
    unserved = db.session.scalar(db.select(Request).where(Request.ref == "u1"))
    unserved.venue.city = payload
    db.session.commit()
    for url in ("/admin/seasons/spring-2027/review", "/admin/seasons/spring-2027/review/teams/central",
                "/admin/seasons/spring-2027/review/weeks", "/admin/seasons/spring-2027/teams/central/days/2027-02-02"):
        html = coordinator.get(url).get_data(as_text=True)
        assert "<script>alert(7)" not in html, url
    html = coordinator.get("/admin/seasons/spring-2027/teams/central/days/2027-02-02").get_data(as_text=True)
    assert "&lt;script&gt;alert(7)&lt;/script&gt;" in html


def test_suggestion_says_when_the_nearest_team_has_no_room_that_day(coordinator, planned):
    season, plan = planned
    near_peoria = Request(
        season=season, ref="u3", venue=venue("Pekin Church", "Pekin", "IL", 40.5675, -89.6407, "America/Chicago",
                                             kind="church"),
        contact_email="u3@example.org", status="approved",
        windows=[weekday_window(season, first=dt.date(2027, 2, 2), last=dt.date(2027, 2, 3), days="tue,wed")])
    db.session.add(near_peoria)
    plan.unserved.append(UnservedRequest(request=near_peoria, reason="dropped_for_value"))
    db.session.commit()
    html = coordinator.get("/admin/seasons/spring-2027/review").get_data(as_text=True)
    row = {r[0]: r for r in table_rows(html, "unserved")[1:]}["u3"]
    # Tue Feb 2: Central is in Peoria (20 km) with its two events; Wed Feb 3 it drives to Toronto.
    assert row[6] == ("available only on Tue Feb 2 and Wed Feb 3; team Central is within 20 km on Tuesday "
                      "February 2 but has 2 events that day; team Central is within 20 km on Wednesday "
                      "February 3 (1 event that day)")


def test_day_sheets_of_a_relocation_say_what_is_left_to_drive(coordinator, planned):
    """West drives Los Angeles -> Phoenix over two days, sleeping in Blythe, CA on Feb 2."""
    from html import unescape

    from tourplanner.optimize.travel import travel_matrix

    # The stored leg is 600.5 km, 400 min; what is left is its share that the travel model gives to
    # Blythe -> Phoenix against Los Angeles -> Phoenix.
    minutes = travel_matrix([34.0522, 33.6103, 33.4484], [-118.2437, -114.5964, -112.0740], ["US"] * 3,
                            border_minutes=0).minutes
    share = minutes[1, 2] / minutes[0, 2]
    left_km, left_min = round(600.5 * share, 1), round(400 * share)
    assert 0.35 < share < 0.45  # Blythe is a bit under halfway
    html = unescape(coordinator.get("/admin/seasons/spring-2027/teams/west/days/2027-02-03").get_data(as_text=True))
    assert "Morning in Blythe, CA." in html
    leave = dt.datetime(2027, 2, 3, 8, 30) - dt.timedelta(minutes=left_min)
    assert (f"{left_km:,.0f} km, {left_min / 60:.1f} h from Blythe, CA (the rest of the 600 km from Los Angeles, CA); "
            f"leave by {leave:%H:%M}, arrive by 08:30 MST") in html
    travel_day = unescape(
        coordinator.get("/admin/seasons/spring-2027/teams/west/days/2027-02-02").get_data(as_text=True))
    assert "No event today." in travel_day
    assert "Travel day: drive on about" in travel_day
    assert "toward Phoenix, AZ: next event Wed Feb 3 09:00 MST, Desert Vista High." in travel_day


def test_rest_of_a_leg_depends_on_where_the_team_slept():
    """Chicago -> Detroit, stored as 500 km / 300 min (say, from a road engine): what is left on the day."""
    from types import SimpleNamespace

    from tourplanner.review import rest_of_leg

    chicago, detroit = (41.8781, -87.6298), (42.3314, -83.0458)
    event = SimpleNamespace(venue=SimpleNamespace(lat=detroit[0], lon=detroit[1], country="US"),
                            drive_km=500.0, drive_minutes=300)
    assert rest_of_leg(event, chicago, (41.90, -87.65)) == (500.0, 300)  # slept where the leg began
    assert rest_of_leg(event, chicago, (42.3320, -83.0460)) == (0.0, 0)  # slept at the venue
    km, minutes = rest_of_leg(event, chicago, (42.1, -85.3))  # Kalamazoo, about halfway
    assert 0.4 < minutes / 300 < 0.6 and abs(km / 500.0 - minutes / 300) < 0.005  # one share for both
