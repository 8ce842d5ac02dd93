"""Map pages from the database: login, the plan they show, 404s, token day maps, the public map's privacy."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tourplanner import maps
from tourplanner.models import (
    FeedToken, Overnight, Plan, Request, Season, Team, TeamMember, UnservedRequest, Venue, Visit, new_token, now_utc,
)

PAYLOAD_VENUE = "St Mary\\`)[0];alert(7);//<img src=x onerror=alert(1)>${alert(3)}</script>"
CONTACT_MARKERS = ("Zed Contactperson", "zed.contact@example.org", "+1 217 555 0199", "12 Secretive Street")
UTC = dt.timezone.utc
# (name, city, region, country, lat, lon, tz, show_on_public_map)
VENUES = [
    (PAYLOAD_VENUE, "Springfield", "IL", "US", 39.7817, -89.6501, "America/Chicago", False),
    ("Lincoln High School", "Decatur", "IL", "US", 39.8403, -88.9548, "America/Chicago", False),
    ("Grace Church", "Bloomington", "IL", "US", 40.4842, -88.9937, "America/Chicago", True),
    ("Champaign Central", "Champaign", "IL", "US", 40.1164, -88.2434, "America/Chicago", False),
    ("Memphis Community Hall", "Memphis", "TN", "US", 35.1495, -90.0490, "America/Chicago", False),
    ("Jackson College", "Jackson", "MS", "US", 32.2988, -90.1848, "America/Chicago", False),
    ("Little Rock Library", "Little Rock", "AR", "US", 34.7465, -92.2896, "America/Chicago", False),
    ("Far Away School", "Thunder Bay", "ON", "CA", 48.3809, -89.2477, "America/Toronto", False),
]


def seed_tour(session) -> dict:
    """A season with two teams, a published plan 1 (7 visits, nights, one unserved) and a draft plan 2."""
    season = Season(name="spring-2027", start_date=dt.date(2027, 2, 1), weeks=11)
    north = Team(season=season, slug="north", name="North <i>van</i>", colour="#1f77b4", base_name="Peoria, IL",
                 base_lat=40.6936, base_lon=-89.5890, base_tz="America/Chicago")
    south = Team(season=season, slug="south", name="South van", colour="#d62728", base_name="Memphis, TN",
                 base_lat=35.1495, base_lon=-90.0490, base_tz="America/Chicago")
    session.add_all([season, north, south])
    requests = []
    for i, (name, city, region, country, lat, lon, tz, shown) in enumerate(VENUES):
        venue = Venue(name=name, type="high_school", street=CONTACT_MARKERS[3], city=city, region=region,
                      country=country, postal_code="62701" if country == "US" else "P7B 1A1", lat=lat, lon=lon, tz=tz,
                      geocode_source="given", geocode_precision="zip", show_on_public_map=shown)
        requests.append(Request(season=season, venue=venue, ref=f"r{i + 1}", contact_name=CONTACT_MARKERS[0],
                                contact_email=CONTACT_MARKERS[1], contact_phone=CONTACT_MARKERS[2], audience=80 + i,
                                status="scheduled" if i < 7 else "approved"))
    session.add_all(requests)
    published = Plan(season=season, number=1, status="published", published_dt=now_utc())
    draft = Plan(season=season, number=2, status="draft")
    session.add_all([published, draft])
    # north: Mon, Tue of week 1 and Mon, Tue of week 2; south: three days of week 1
    north_days = [(0, 0, 15), (1, 1, 15), (2, 7, 15), (3, 8, 16)]
    south_days = [(4, 1, 16), (5, 2, 15), (6, 3, 16)]
    for plan, rows in ((published, north_days + south_days), (draft, north_days[:2])):
        for order, (i, day, hour) in enumerate(rows):
            team = north if (i, day, hour) in north_days else south
            start = dt.datetime.combine(season.start_date + dt.timedelta(days=day), dt.time(hour), UTC)
            session.add(Visit(plan=plan, request=requests[i], team=team, start_dt=start,
                              end_dt=start + dt.timedelta(minutes=90), order=order, drive_km_before=80.0,
                              drive_minutes_before=65))
    cancelled_start = dt.datetime(2027, 2, 10, 15, tzinfo=UTC)
    session.add(Visit(plan=published, request=requests[7], team=north, start_dt=cancelled_start,
                      end_dt=cancelled_start + dt.timedelta(hours=1), order=9, cancelled=True))
    for day, town, lat, lon in ((0, "Decatur, IL", 39.84, -88.95), (1, "Bloomington, IL", 40.48, -88.99)):
        session.add(Overnight(plan=published, team=north, day=season.start_date + dt.timedelta(days=day),
                              lat=lat, lon=lon, town=town))
    session.add(UnservedRequest(plan=draft, request=requests[7], reason="too_far", detail="400 km from any route"))
    member = TeamMember(team=north, name="Nomad Nora", email="nora@example.org")
    session.add(member)
    session.commit()
    team_token, team_hash = new_token()
    member_token, member_hash = new_token()
    revoked_token, revoked_hash = new_token()
    session.add_all([
        FeedToken(token_hash=team_hash, kind="team", season=season, team=north),
        FeedToken(token_hash=member_hash, kind="member", season=season, member=member),
        FeedToken(token_hash=revoked_hash, kind="team", season=season, team=north, revoked_dt=now_utc()),
    ])
    session.commit()
    return {"season": season, "north": north, "south": south, "team_token": team_token,
            "member_token": member_token, "revoked_token": revoked_token}


def login(client, session):
    from tourplanner.auth import create_user

    create_user("coord@example.org", "a long password", "Coordinator")
    response = client.post("/login", data={"email": "coord@example.org", "password": "a long password"})
    assert response.status_code == 302


def spec_of(page: str) -> dict:
    match = re.search(r"TourMap\.draw\(\w+, (\{.*\})\);", page)
    assert match, "no map on the page"
    return json.loads(match.group(1))


MAP_URLS = [
    "/admin/seasons/spring-2027/map",
    "/admin/seasons/spring-2027/teams/north/map",
    "/admin/seasons/spring-2027/teams/north/days/2027-02-01/map",
    "/admin/seasons/spring-2027/requests/map",
]


@pytest.mark.parametrize("url", MAP_URLS)
def test_coordinator_maps_need_a_login(client, db_session, url):
    seed_tour(db_session)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_season_map_shows_the_latest_plan_or_the_one_asked(client, db_session):
    seed_tour(db_session)
    login(client, db_session)
    latest = client.get("/admin/seasons/spring-2027/map")
    assert latest.status_code == 200
    assert len(spec_of(latest.text)["markers"]) == 2  # draft plan 2
    assert "Plan v2 (draft)" in latest.text
    first = client.get("/admin/seasons/spring-2027/map?plan=1")
    spec = spec_of(first.text)
    assert len(spec["markers"]) == 7  # cancelled visit left out
    assert len(spec["lines"]) == 3  # north week 1, north week 2, south week 1
    assert PAYLOAD_VENUE not in first.text
    assert maps.escape_text(PAYLOAD_VENUE) in json.dumps(spec)
    assert "North &lt;i&gt;van&lt;/i&gt;" in first.text or "North &amp;lt;i" in json.dumps(spec)
    assert client.get("/admin/seasons/spring-2027/map?plan=9").status_code == 404
    assert client.get("/admin/seasons/spring-2027/map?plan=x").status_code == 404
    assert client.get("/admin/seasons/nope/map").status_code == 404


def test_map_page_policy_and_assets_are_local(client, db_session):
    seed_tour(db_session)
    login(client, db_session)
    response = client.get("/admin/seasons/spring-2027/map?plan=1")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in response.text
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    for src in re.findall(r'<(?:script|link)[^>]*(?:src|href)="(/maps/assets/[^"]+)"', response.text):
        assert client.get(src).status_code == 200, src
    assert client.get("/maps/assets/tour/../../maps.py").status_code == 404
    assert client.get("/maps/assets/other/x.js").status_code == 404


def test_team_and_day_maps(client, db_session):
    seed_tour(db_session)
    login(client, db_session)
    team = spec_of(client.get("/admin/seasons/spring-2027/teams/north/map?plan=1").text)
    assert [m["kind"] for m in team["markers"]].count("stop") == 4
    assert [m["kind"] for m in team["markers"]].count("sleep") == 2
    day = client.get("/admin/seasons/spring-2027/teams/north/days/2027-02-02/map?plan=1")
    spec = spec_of(day.text)
    # start where they slept on Feb 1 (Decatur), one stop, bed in Bloomington; all in Chicago time
    assert [m["kind"] for m in spec["markers"]] == ["start", "stop", "sleep"]
    assert "Decatur, IL" in spec["markers"][0]["popup"] and "Bloomington, IL" in spec["markers"][2]["popup"]
    assert "Tue 2 Feb 2027, 09:00 CST" in spec["markers"][1]["popup"]
    assert len(spec["lines"]) == 2
    assert client.get("/admin/seasons/spring-2027/teams/north/days/2027-13-01/map").status_code == 404
    assert client.get("/admin/seasons/spring-2027/teams/west/map").status_code == 404


def test_request_map_marks_unserved_with_reason(client, db_session):
    seed_tour(db_session)
    login(client, db_session)
    spec = spec_of(client.get("/admin/seasons/spring-2027/requests/map").text)  # latest: draft 2
    assert len(spec["markers"]) == len(VENUES)
    unserved = [m for m in spec["markers"] if m["kind"] == "unserved"]
    assert len(unserved) == 1 and "not served: too_far (400 km from any route)" in unserved[0]["popup"]
    assert len(spec["lines"]) == 1  # plan 2's one route (north, two visits), for distance to the unserved


def test_nomads_day_map_by_feed_token(client, db_session):
    data = seed_tour(db_session)
    for token in (data["team_token"], data["member_token"]):
        response = client.get(f"/feeds/{token}/days/2027-02-08/map")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Robots-Tag"] == "noindex"
        spec = spec_of(response.text)
        assert [m["kind"] for m in spec["markers"]] == ["start", "stop"]
        assert "/admin/" not in json.dumps(spec)  # Nomads get no coordinator links
    assert client.get(f"/feeds/{data['team_token']}/map").status_code == 200  # today
    changed = data["team_token"][:-1] + ("A" if data["team_token"][-1] != "A" else "B")
    for bad in (changed, data["revoked_token"], "short", "x" * 43):
        assert client.get(f"/feeds/{bad}/days/2027-02-08/map").status_code == 404
    from tourplanner.secret_links import redact_path

    assert data["team_token"] not in redact_path(f"/feeds/{data['team_token']}/days/2027-02-08/map")  # not logged


def test_home_page_coverage_map_shows_towns_and_nothing_private(client, db_session):
    seed_tour(db_session)
    response = client.get("/")
    page = response.text
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page  # the map's one inline script may run, nothing else
    spec = spec_of(page)
    labels = " ".join(m["popup"] for m in spec["markers"])
    assert "Springfield, IL" in labels and "Grace Church" in labels  # Grace Church agreed to be shown
    for secret in CONTACT_MARKERS + ("Lincoln High School", "39.7817", "-89.6501"):
        assert secret not in page
    assert "Thunder Bay" not in labels  # its only visit is cancelled


def test_home_page_without_a_published_plan_has_no_map(client, db_session):
    page = client.get("/")
    assert page.status_code == 200 and "TourMap.draw" not in page.text
