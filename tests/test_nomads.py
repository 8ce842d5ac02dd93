"""The Nomads' pages under their feed link: every link in a feed or an email opens without a login."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from test_feeds_support import CONTACT, STREET, make_tour
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
    assert "leave by 08:20, arrive by 10:00 PST" in html


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
    from tourplanner.auth import create_user

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
