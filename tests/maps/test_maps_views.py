"""Map pages from the database: login, the plan they show, 404s, token day maps, the public map's privacy."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.support.accounts import as_coordinator
from tests.support.maps import CONTACT_MARKERS, PAYLOAD_VENUE, VENUES, seed_tour
from tourplanner import maps

UTC = dt.timezone.utc


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
    as_coordinator(client)
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
    as_coordinator(client)
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
    as_coordinator(client)
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
    as_coordinator(client)
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
