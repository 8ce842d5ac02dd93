"""The Nomads' pages under their feed link: every link in a feed or an email opens without a login."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.support.tour import CONTACT, STREET, make_tour
from tourplanner import feeds
from tourplanner.extensions import db

UTC = dt.timezone.utc
NOW = dt.datetime(2027, 2, 24, 15, 0, tzinfo=UTC)  # Wednesday of the tour's first week, in the afternoon
URL = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def tour(app, monkeypatch):
    import tourplanner.views.feeds as feed_view
    import tourplanner.views.nomads as nomad_view

    monkeypatch.setattr(feed_view, "now_utc", lambda: NOW)
    monkeypatch.setattr(nomad_view, "now_utc", lambda: NOW)
    feeds.clear_cache()
    return make_tour()


def issue(tour, kind="team", **kw):
    return feeds.issue_token(tour["season"], kind, now=NOW, **kw)


def feed_urls(body: bytes) -> set[str]:
    """Every URL in a calendar: URL properties and any link written in a description."""
    found = set()
    for item in Calendar.from_ical(body).walk("VEVENT"):
        if "URL" in item:
            found.add(str(item["URL"]))
        found.update(URL.findall(str(item.get("DESCRIPTION", ""))))
    return found


def open_public(client, url: str, host: str = "tour.test"):
    """Open an absolute link as a phone would: it must name the public host and answer without a login."""
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == host, url
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == 200, (url, response.status_code)
    assert "/login" not in response.headers.get("Location", "")
    return response


def test_every_url_in_every_feed_opens_without_a_login(client, tour):
    west = tour["teams"]["west"]
    tokens = [issue(tour, team=west), issue(tour, "member", member=tour["teams"]["east"].members[0]),
              issue(tour, "coordinators")]
    for token in tokens:
        urls = feed_urls(client.get(f"/feeds/{token}.ics").data)
        assert len(urls) > 40  # a day page and a map for every screening, drive and night
        assert all(token in url for url in urls)
        for url in sorted(urls):
            open_public(client, url)


def test_screening_links_its_day_page_and_day_map(client, tour):
    west = tour["teams"]["west"]
    token = issue(tour, team=west)
    first = tour["visits"][0]  # Lincoln High School, Los Angeles, Mon Feb 22 09:00 PST
    items = {str(c["UID"]): c for c in Calendar.from_ical(client.get(f"/feeds/{token}.ics").data).walk("VEVENT")}
    event = items[f"visit-{first.request_id}@tour.test"]
    assert str(event["URL"]) == f"https://tour.test/feeds/{token}/days/2027-02-22"
    assert f"Day map: https://tour.test/feeds/{token}/days/2027-02-22/map" in str(event["DESCRIPTION"])
    drive = next(c for uid, c in items.items() if uid.startswith("drive-"))
    assert str(drive["URL"]).startswith(f"https://tour.test/feeds/{token}/days/")
    night = next(c for uid, c in items.items() if uid.startswith("day-"))
    assert str(night["URL"]).startswith(f"https://tour.test/feeds/{token}/days/")


def test_day_page_has_the_day_without_coordinator_only_data(client, tour):
    token = issue(tour, team=tour["teams"]["west"])
    response = client.get(f"/feeds/{token}/days/2027-02-22")
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Robots-Tag"] == "noindex"
    assert "09:00–10:30 PST: Lincoln High School" in html
    assert STREET in html and CONTACT["contact_phone"] in html and "Gym door 0; park behind." in html
    assert "Where to sleep" in html and "Los Angeles, CA" in html
    assert f'href="/feeds/{token}/days/2027-02-22/map"' in html
    for internal in ("west-0", "plan v", "/admin/", "Coordinator login", "Log out"):
        assert internal not in html, internal


def test_day_page_shows_the_drive_of_the_day(client, tour):
    token = issue(tour, team=tour["teams"]["west"])
    # Event 1 (Vancouver, Tue Feb 23 10:30 PST): 100 min, 121.5 km before it, setup 30 min.
    html = client.get(f"/feeds/{token}/days/2027-02-23").get_data(as_text=True)
    assert "Drive 122 km, 1 h 40 min" in html
    assert "leave 08:20, arrive by 10:00 PST" in html


def test_member_link_opens_its_team_and_the_coordinators_link_names_a_team(client, tour):
    member = issue(tour, "member", member=tour["teams"]["east"].members[1])
    assert "Danforth Collegiate" in client.get(f"/feeds/{member}/days/2027-02-22").get_data(as_text=True)
    coordinators = issue(tour, "coordinators")
    html = client.get(f"/feeds/{coordinators}/days/2027-02-22?team=west").get_data(as_text=True)
    assert "Lincoln High School" in html and "Danforth" not in html
    assert client.get(f"/feeds/{coordinators}/days/2027-02-22").status_code == 404  # which team?
    assert client.get(f"/feeds/{coordinators}/days/2027-02-22?team=nope").status_code == 404


def test_wrong_and_revoked_links_are_the_same_404(client, tour):
    from sqlalchemy import select

    from tourplanner.models import FeedToken, hash_token

    token = issue(tour, team=tour["teams"]["west"])
    assert client.get(f"/feeds/{token}").status_code == 200
    feeds.revoke_token(db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(token))), now=NOW)
    answers = [client.get(u) for u in (f"/feeds/{token}", f"/feeds/{token}/days/2027-02-22", "/feeds/x/days/2027-02-22",
                                       f"/feeds/{token}/days/2027-02-22/map")]
    assert {a.status_code for a in answers} == {404}


def test_today_page_is_what_the_feed_link_opens_in_a_browser(client, tour):
    token = issue(tour, team=tour["teams"]["west"])
    html = client.get(f"/feeds/{token}").get_data(as_text=True)
    assert "Today is Wednesday February 24." in html
    assert f'href="/feeds/{token}/days/2027-02-24"' in html and f'href="/feeds/{token}/days/2027-02-24/map"' in html
    assert "Desert Vista College, Phoenix" in html  # Thu Feb 25, in the coming days
    assert f'href="/feeds/{token}/days/2027-03-02"' in html and "2027-03-03" not in html  # seven days
    assert f"webcal://tour.test/feeds/{token}.ics" in html


def test_day_outside_the_tour_says_so(client, tour):
    token = issue(tour, team=tour["teams"]["west"])
    html = client.get(f"/feeds/{token}/days/2026-12-25").get_data(as_text=True)
    assert "No tour on this day" in html


def outbox(app) -> list:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def test_every_url_in_a_venue_email_uses_the_public_host_and_opens(app, client, make_request):
    from tourplanner.accounts import create_user

    req = make_request()
    create_user("coord@example.org", "a long password", "Coordinator")
    client.post("/login", data={"email": "coord@example.org", "password": "a long password"})
    client.post(f"/admin/requests/{req.id}/new-link")
    client.post("/logout")
    [message] = outbox(app)
    urls = URL.findall(message.get_content())
    assert urls
    for url in urls:
        open_public(client.application.test_client(), url)


@pytest.fixture
def relocation(app, monkeypatch):
    """West screens in Los Angeles on Mon Feb 1, sleeps there, drives to Blythe, CA on Tue Feb 2 (no screening),
    and on to Phoenix for Wed Feb 3 09:00 MST: one 600.5 km / 400 min leg over two days."""
    import tourplanner.views.feeds as feed_view

    from tourplanner.models import Overnight, Plan, Request, Season, Team, Venue, Visit

    monkeypatch.setattr(feed_view, "now_utc", lambda: dt.datetime(2027, 1, 25, tzinfo=UTC))
    feeds.clear_cache()
    season = Season(name="spring-2027", start_date=dt.date(2027, 2, 1), weeks=1)
    team = Team(season=season, slug="west", name="West", base_name="Los Angeles, CA", base_lat=34.0522,
                base_lon=-118.2437, base_tz="America/Los_Angeles")
    plan = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2027, 1, 20, tzinfo=UTC))
    visits = []
    for ref, name, city, region, lat, lon, tz, start, km, minutes in (
            ("la", "Lincoln High", "Los Angeles", "CA", 34.0522, -118.2437, "America/Los_Angeles",
             dt.datetime(2027, 2, 1, 18, tzinfo=UTC), 0.0, 0),
            ("phx", "Desert Vista High", "Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix",
             dt.datetime(2027, 2, 3, 16, tzinfo=UTC), 600.5, 400)):
        venue = Venue(name=name, type="high_school", city=city, region=region, country="US", lat=lat, lon=lon, tz=tz,
                      geocode_source="given", geocode_precision="given")
        request = Request(season=season, venue=venue, ref=ref, contact_email=f"{ref}@example.org", status="scheduled")
        visits.append(Visit(plan=plan, request=request, team=team, start_dt=start, end_dt=start + dt.timedelta(hours=1),
                            order=len(visits), drive_km_before=km, drive_minutes_before=minutes))
    nights = [(dt.date(2027, 2, 1), 34.0522, -118.2437, "Los Angeles, CA"),
              (dt.date(2027, 2, 2), 33.6103, -114.5964, "Blythe, CA"),
              (dt.date(2027, 2, 3), 33.4484, -112.0740, "Phoenix, AZ")]
    db.session.add_all([season, team, plan, *visits])
    db.session.add_all([Overnight(plan=plan, team=team, day=d, lat=lat, lon=lon, town=town) for d, lat, lon, town in nights])
    db.session.commit()
    return {"season": season, "team": team, "phoenix": visits[1]}


def test_a_drive_over_two_days_is_one_calendar_item_per_day_with_its_own_length(client, relocation):
    from tourplanner.optimize.travel import travel_matrix

    minutes = travel_matrix([34.0522, 33.6103, 33.4484], [-118.2437, -114.5964, -112.0740], ["US"] * 3,
                            border_minutes=0).minutes
    share = minutes[1, 2] / minutes[0, 2]  # Blythe -> Phoenix against Los Angeles -> Phoenix: the day sheet's share
    last_min, last_km = round(400 * share), round(600.5 * share, 1)
    first_min, first_km = 400 - last_min, round(600.5 - last_km, 1)
    token = feeds.issue_token(relocation["season"], "team", team=relocation["team"], now=NOW)
    items = {str(c["UID"]): c for c in Calendar.from_ical(client.get(f"/feeds/{token}.ics").data).walk("VEVENT")}
    request_id = relocation["phoenix"].request_id
    tuesday, wednesday = items[f"drive-{request_id}-20270202@tour.test"], items[f"drive-{request_id}@tour.test"]
    assert str(tuesday["SUMMARY"]) == (f"Drive toward Phoenix, night in Blythe, CA: {first_km:.0f} km, "
                                       f"{first_min // 60} h {first_min % 60:02d} min (day 1 of 2)")
    assert tuesday.decoded("DTSTART") == dt.datetime(2027, 2, 2, 7, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert tuesday.decoded("DTEND") - tuesday.decoded("DTSTART") == dt.timedelta(minutes=first_min)
    assert str(wednesday["SUMMARY"]) == (f"Drive to Phoenix: {last_km:.0f} km, {last_min // 60} h {last_min % 60:02d} min"
                                         " (day 2 of 2)")
    assert wednesday.decoded("DTEND") == dt.datetime(2027, 2, 3, 15, 30, tzinfo=UTC)  # setup begins 08:30 MST
    assert wednesday.decoded("DTEND") - wednesday.decoded("DTSTART") == dt.timedelta(minutes=last_min)
    night = items[f"day-{relocation['team'].id}-20270202@tour.test"]
    assert str(night["SUMMARY"]) == "No screening · night in Blythe, CA"
    assert "From Los Angeles, CA to Blythe, CA" in str(tuesday["DESCRIPTION"])
    assert "over 2 days" in str(wednesday["DESCRIPTION"])


def test_day_pages_of_a_drive_over_two_days_show_each_days_part(client, relocation):
    from html import unescape

    token = feeds.issue_token(relocation["season"], "team", team=relocation["team"], now=NOW)
    tuesday = " ".join(unescape(client.get(f"/feeds/{token}/days/2027-02-02").get_data(as_text=True)).split())
    assert "Drive 355 km, 3 h 57 min from Los Angeles, CA to Blythe, CA for the night: leave 07:00, arrive 10:57 PST" in tuesday.replace("</strong>", "").replace("<strong>", "")
    assert "Blythe, CA" in tuesday.split("Where to sleep")[1]
    wednesday = " ".join(unescape(client.get(f"/feeds/{token}/days/2027-02-03").get_data(as_text=True)).split())
    assert "from Blythe, CA to Phoenix, AZ: leave" in wednesday and "arrive by 08:30 MST" in wednesday
    assert "Part of the 600 km (6 h 40 min) to Phoenix" in wednesday


def test_map_pages_ask_for_tiles_with_the_origin_as_referrer(client, tour):
    """The pages' own policy is same-origin (no Referer to other sites); OpenStreetMap refuses tile requests
    without one, so the tile layer asks for the origin alone (Leaflet's referrerPolicy option)."""
    token = issue(tour, team=tour["teams"]["west"])
    response = client.get(f"/feeds/{token}/days/2027-02-22/map")
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    match = re.search(r'L\.tileLayer\(\s*"([^"]+)",\s*(\{.*?\})\s*\);', html, re.S)
    options = json.loads(re.sub(r",\s*}", "}", match.group(2)))
    assert match.group(1) == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert options["referrerPolicy"] == "strict-origin-when-cross-origin"


def test_a_bed_at_a_stop_is_said_on_the_stop_and_drawn_aside():
    from tourplanner import maps

    team = maps.TeamInfo(key="north", name="North", colour="#1f77b4")
    start = dt.datetime(2027, 2, 2, 9, tzinfo=ZoneInfo("America/Chicago"))
    stops = [maps.Stop(team="north", lat=40.69, lon=-89.59, start=start, venue="Peoria High", town="Peoria, IL",
                       audience=100, status="scheduled", ref="a", link="", drive_km=0, drive_minutes=0),
             maps.Stop(team="north", lat=40.48, lon=-88.99, start=start.replace(hour=14), venue="Bloomington Church",
                       town="Bloomington, IL", audience=100, status="scheduled", ref="b", link="", drive_km=60,
                       drive_minutes=50)]
    bed = maps.Sleep(team="north", day=dt.date(2027, 2, 2), lat=40.4842, lon=-88.9937, town="Bloomington, IL")
    parts = maps.day_map(team, dt.date(2027, 2, 2), stops, tonight=bed, assets=maps.MapAssets())
    spec = json.loads(re.search(r"TourMap\.draw\([^,]+, (\{.*\})\);", str(parts.body)).group(1))
    bed_marker = next(m for m in spec["markers"] if m["kind"] == "sleep")
    assert (bed_marker["label"], bed_marker["shift"], bed_marker["z"]) == (False, [16, -16], -100)
    assert [m["tip"] for m in spec["markers"] if m["kind"] == "stop"][1] == "2. Bloomington Church, 14:00 · sleep here"
    assert (spec["legend_position"], spec["labels_inward"]) == ("topright", True)


def test_decision_and_another_date_emails_link_on_the_public_host(app, client, make_request):
    from tourplanner import intake
    from tourplanner.accounts import create_user

    req = make_request(status="submitted")
    token = intake.rotate_token(req)
    create_user("coord@example.org", "a long password", "Coordinator")
    client.post("/login", data={"email": "coord@example.org", "password": "a long password"})
    client.post(f"/admin/requests/{req.id}/decide", data={"action": "approve", "message": "Welcome"})
    decision = outbox(app)[-1].get_content()
    assert f"    https://tour.test/r/{token}\n" in decision
    client.post("/logout")
    for url in URL.findall(decision):
        open_public(app.test_client(), url)


def test_a_drive_with_a_car_ferry_says_so_in_the_calendar_and_on_the_day_page(client, relocation):
    """A visit whose drive crosses on a ferry (stored by the travel model) says so to the Nomads."""
    visit = relocation["phoenix"]
    visit.ferry_name, visit.ferry_minutes = "Horseshoe Bay - Departure Bay", 100
    visit.ferry_depart_dt = dt.datetime(2027, 2, 3, 16, 25, tzinfo=dt.timezone.utc)  # the 08:25 sailing, PST
    db.session.commit()
    token = feeds.issue_token(relocation["season"], "team", team=relocation["team"], now=NOW)
    items = {str(c["UID"]): c for c in Calendar.from_ical(client.get(f"/feeds/{token}.ics").data).walk("VEVENT")}
    request_id = relocation["phoenix"].request_id
    last = items[f"drive-{request_id}@tour.test"]
    assert str(last["SUMMARY"]).startswith("Drive with ferry to Phoenix:")
    assert "Car ferry: Horseshoe Bay - Departure Bay, 100 min, departs 08:25." in str(last["DESCRIPTION"])
    assert "ferry" not in str(items[f"drive-{request_id}-20270202@tour.test"]["DESCRIPTION"]).lower()
    crossing = items[f"ferry-{request_id}@tour.test"]
    assert crossing.decoded("DTSTART").astimezone(dt.timezone.utc) == visit.ferry_depart_dt
    page = " ".join(client.get(f"/feeds/{token}/days/2027-02-03").get_data(as_text=True).split())
    assert "Car ferry: Horseshoe Bay - Departure Bay, 100 min, departs 08:25." in page
