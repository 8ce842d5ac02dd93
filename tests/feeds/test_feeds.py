"""Feeds from the database through the URLs: tokens, headers, 304s, re-plans, cancellations, venue privacy, export."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import urllib.request

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests.support.tour import CONTACT, STREET, expected_times, make_tour, republish
from tests.support.accounts import as_coordinator
from tourplanner import feeds
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import FeedToken, hash_token, new_token

UTC = dt.timezone.utc
NOW = dt.datetime(2027, 1, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def tour(app):
    feeds.clear_cache()
    return make_tour()


@pytest.fixture
def fixed_now(monkeypatch):
    """The feed views' clock, pinned before the tour so no cancelled event has passed."""
    import tourplanner.views.feeds as view

    monkeypatch.setattr(view, "now_utc", lambda: NOW)


def issue(tour, kind="team", **kw):
    return feeds.issue_token(tour["season"], kind, now=NOW, **kw)


def components(body: bytes) -> dict[str, Calendar]:
    return {str(c["UID"]): c for c in Calendar.from_ical(body).walk("VEVENT")}


def utc_times(body: bytes) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    return {uid: (c.decoded("DTSTART").astimezone(UTC), c.decoded("DTEND").astimezone(UTC))
            for uid, c in components(body).items() if uid.startswith("visit-")}


def test_team_feed_has_every_screening_at_the_planned_utc_time(client, tour, fixed_now):
    token = issue(tour, team=tour["teams"]["west"])
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    west = [v for v in tour["visits"] if v.team.slug == "west"]
    assert utc_times(response.data) == {f"visit-{v.request_id}@tour.test": (v.start_dt, v.end_dt) for v in west}
    items = components(response.data)
    assert any(uid.startswith("drive-") for uid in items)
    assert any(uid.startswith("day-") and "Rest day" in str(c["SUMMARY"]) for uid, c in items.items())
    first = items[f"visit-{west[0].request_id}@tour.test"]
    assert STREET in str(first["LOCATION"])
    assert CONTACT["contact_email"] in str(first["DESCRIPTION"])
    assert str(first["URL"]) == f"https://tour.test/feeds/{token}/days/2027-02-22"  # the Nomads' day page
    assert str(items[f"visit-{west[2].request_id}@tour.test"]["STATUS"]) == "CONFIRMED"
    assert str(first["STATUS"]) == "TENTATIVE"


def test_feed_headers_keep_the_link_private(client, tour, fixed_now):
    token = issue(tour, team=tour["teams"]["west"])
    response = client.get(f"/feeds/{token}.ics")
    assert response.headers["Cache-Control"] == "private, no-cache, max-age=0"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["ETag"] == f'"{feeds.body_etag(response.data)}"'
    assert response.headers["Last-Modified"] == "Wed, 20 Jan 2027 12:00:00 GMT"


def test_etag_and_last_modified_give_304(client, tour, fixed_now):
    token = issue(tour, team=tour["teams"]["east"])
    first = client.get(f"/feeds/{token}.ics")
    again = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get(f"/feeds/{token}.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    older = client.get(f"/feeds/{token}.ics", headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})
    assert older.status_code == 200 and older.data == first.data
    other = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_every_wrong_link_gets_the_same_404(client, tour, fixed_now):
    token = issue(tour, team=tour["teams"]["west"])
    revoked = issue(tour, team=tour["teams"]["east"])
    feeds.revoke_token(db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(revoked))), now=NOW)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    unknown = new_token()[0]
    answers = [client.get(f"/feeds/{bad}.ics") for bad in (changed, revoked, unknown, "abc", token + "x", "%00", "1")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.data for a in answers}) == 1
    assert all(a.headers["X-Robots-Tag"] == "noindex" for a in answers)
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def test_only_the_hash_is_stored_and_it_is_256_bits(tour):
    token = issue(tour, team=tour["teams"]["west"])
    row = db.session.scalar(select(FeedToken))
    assert len(token) == 43 and row.token_hash == hash_token(token) and token not in row.token_hash


def test_member_feed_is_the_team_feed_and_revokes_alone(client, tour, fixed_now):
    west = tour["teams"]["west"]
    team_token = issue(tour, team=west)
    member_token = issue(tour, "member", member=west.members[0])
    other_member = issue(tour, "member", member=west.members[1])
    member_body = client.get(f"/feeds/{member_token}.ics").data.replace(b"\r\n ", b"")  # unfolded
    team_body = client.get(f"/feeds/{team_token}.ics").data.replace(b"\r\n ", b"")
    assert member_body.replace(member_token.encode(), b"T") == team_body.replace(team_token.encode(), b"T")
    assert member_token.encode() in member_body  # the same calendar; its links carry the member's own token
    feeds.revoke_token(db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(member_token))), now=NOW)
    assert client.get(f"/feeds/{member_token}.ics").status_code == 404
    assert client.get(f"/feeds/{other_member}.ics").status_code == 200
    assert client.get(f"/feeds/{team_token}.ics").status_code == 200


def test_reissue_stops_the_old_link(client, tour, fixed_now):
    west = tour["teams"]["west"]
    old = issue(tour, team=west)
    new = issue(tour, team=west)
    assert client.get(f"/feeds/{old}.ics").status_code == 404
    assert client.get(f"/feeds/{new}.ics").status_code == 200


def test_coordinators_feed_has_all_teams_named(client, tour, fixed_now):
    token = issue(tour, "coordinators")
    body = client.get(f"/feeds/{token}.ics").data
    assert utc_times(body) == expected_times(tour["plan"])
    summaries = [str(c["SUMMARY"]) for c in components(body).values()]
    assert any(s.startswith("[West] ") for s in summaries) and any(s.startswith("[East] ") for s in summaries)
    assert all(s.startswith("[") or s.startswith("Cancelled: [") for s in summaries)


def venue_link(request) -> str:
    token, token_hash = new_token()
    request.status_token_hash = token_hash
    db.session.commit()
    return token


def test_venue_event_is_its_one_event_without_contact_data(client, tour, fixed_now):
    visit = tour["visits"][3]
    token = venue_link(visit.request)
    response = client.get(f"/r/{token}/event.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"  # like the venue's other private pages
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert utc_times(response.data) == {f"visit-{visit.request_id}@tour.test": (visit.start_dt, visit.end_dt)}
    text = response.data.decode()
    for secret in (*CONTACT.values(), STREET, "Gym door", "GEO:", visit.request.venue.postal_code):
        assert secret not in text
    assert f"DTSTART;TZID={visit.request.venue.tz}:" in text
    assert client.get(f"/r/{token[:-1]}x/event.ics").status_code == 404


def test_venue_without_a_date_gets_an_empty_calendar(client, make_request, fixed_now):
    request = make_request()
    token = venue_link(request)
    response = client.get(f"/r/{token}/event.ics")
    assert response.status_code == 200
    assert Calendar.from_ical(response.data).walk("VEVENT") == []


def feed_bytes(tour, now=NOW) -> bytes:
    return feeds.team_feed(tour["season"], tour["teams"]["west"], host="tour.test", now=now).body


def changed_uids(before: bytes, after: bytes) -> dict[str, set[str]]:
    old, new = components(before), components(after)
    assert set(old) == set(new)
    changes = {}
    for uid in old:
        props = {name for name in set(old[uid]) | set(new[uid]) if old[uid].get(name) != new[uid].get(name)}
        if props:
            changes[uid] = props
    return changes


def test_replan_that_moves_one_event_changes_only_that_event(tour):
    before = feed_bytes(tour)
    visit = [v for v in tour["visits"] if v.team.slug == "west"][0]  # first of the route: no drive before it
    later = dt.datetime(2027, 2, 1, tzinfo=UTC)
    republish(tour["season"], tour["plan"], published=later, moves={visit.request_id: visit.start_dt + dt.timedelta(hours=1)})
    after = feed_bytes(tour)
    uid = f"visit-{visit.request_id}@tour.test"
    assert changed_uids(before, after) == {uid: {"DTSTART", "DTEND", "SEQUENCE", "DTSTAMP", "LAST-MODIFIED", "DESCRIPTION"}}
    new = components(after)[uid]
    assert new["SEQUENCE"] == visit.sequence + 1
    assert new.decoded("DTSTART").astimezone(UTC) == visit.start_dt + dt.timedelta(hours=1)
    assert new.decoded("DTSTAMP") == later


def test_moving_a_later_event_moves_its_drive_too(tour):
    before = feed_bytes(tour)
    visit = [v for v in tour["visits"] if v.team.slug == "west"][4]
    later = dt.datetime(2027, 2, 1, tzinfo=UTC)
    republish(tour["season"], tour["plan"], published=later, moves={visit.request_id: visit.start_dt + dt.timedelta(hours=1)})
    changes = changed_uids(before, feed_bytes(tour))
    assert set(changes) == {f"visit-{visit.request_id}@tour.test", f"drive-{visit.request_id}@tour.test"}
    drive = components(feed_bytes(tour))[f"drive-{visit.request_id}@tour.test"]
    assert drive["SEQUENCE"] == 1 and drive.decoded("DTSTAMP") == later


def test_cancellation_stays_in_the_feed_as_cancelled(tour):
    before = feed_bytes(tour)
    visit = [v for v in tour["visits"] if v.team.slug == "west"][5]
    republish(tour["season"], tour["plan"], published=dt.datetime(2027, 2, 1, tzinfo=UTC), cancel=(visit.request_id,))
    after = components(feed_bytes(tour))
    event = after[f"visit-{visit.request_id}@tour.test"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("Cancelled: Screening")
    assert event["SEQUENCE"] == components(before)[f"visit-{visit.request_id}@tour.test"]["SEQUENCE"] + 1
    assert f"drive-{visit.request_id}@tour.test" not in after  # nobody drives to a cancelled screening


def test_cancelled_event_leaves_once_its_date_has_passed(tour):
    east = feeds.team_feed(tour["season"], tour["teams"]["east"], host="tour.test", now=NOW).body
    cancelled = [v for v in tour["visits"] if v.cancelled][0]
    uid = f"visit-{cancelled.request_id}@tour.test"
    assert uid in components(east)
    later = cancelled.end_dt + dt.timedelta(days=1)
    east_later = feeds.team_feed(tour["season"], tour["teams"]["east"], host="tour.test", now=later).body
    assert uid not in components(east_later)


def test_confirmation_by_the_venue_reaches_the_feed(tour):
    from tourplanner import intake

    visit = [v for v in tour["visits"] if v.team.slug == "west"][1]
    before = components(feed_bytes(tour))[f"visit-{visit.request_id}@tour.test"]
    intake.confirm_date(visit.request, now=dt.datetime(2027, 2, 3, tzinfo=UTC))
    after = components(feed_bytes(tour))[f"visit-{visit.request_id}@tour.test"]
    assert str(before["STATUS"]) == "TENTATIVE" and str(after["STATUS"]) == "CONFIRMED"
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1


def test_feed_is_cached_until_the_plan_changes(tour):
    season, west = tour["season"], tour["teams"]["west"]
    first = feeds.team_feed(season, west, host="tour.test", now=NOW)
    assert feeds.team_feed(season, west, host="tour.test", now=NOW) is first
    republish(season, tour["plan"], published=dt.datetime(2027, 2, 1, tzinfo=UTC))
    second = feeds.team_feed(season, west, host="tour.test", now=NOW)
    assert second is not first and second.body == first.body  # a new plan with the same content: same bytes


@pytest.mark.parametrize("kind", ["team", "member", "venue", "coordinators"])
def test_a_cached_feed_is_served_without_loading_any_row_as_an_object(client, tour, fixed_now, kind):
    """The hot path (every calendar app polls) reads a few columns with Core queries: no ORM objects."""
    from sqlalchemy import event

    from tourplanner.models import Visit

    west = tour["teams"]["west"]
    target = {"team": {"team": west}, "member": {"member": west.members[0]},
              "venue": {"request": tour["visits"][0].request}, "coordinators": {}}[kind]
    token = issue(tour, kind, **target)
    first = client.get(f"/feeds/{token}.ics")
    assert first.status_code == 200
    loaded, statements = [], []
    engine = db.engine

    def on_load(target, context):
        loaded.append(type(target).__name__)

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.Model, "load", on_load, propagate=True)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        again = client.get(f"/feeds/{token}.ics")
        not_modified = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    finally:
        event.remove(db.Model, "load", on_load)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert not_modified.status_code == 304
    assert loaded == []
    assert len(statements) == 2 * 3  # per request: the link with its published plan, the version (visits, teams)
    # and a change still reaches the calendar at once: the cache key moved with the visit
    visit = db.session.scalar(select(Visit).where(Visit.request_id == tour["visits"][0].request_id,
                                                  Visit.plan_id == tour["plan"].id))
    visit.start_dt += dt.timedelta(hours=1)
    visit.end_dt += dt.timedelta(hours=1)
    visit.version += 1
    visit.changed_dt = NOW
    db.session.commit()
    moved = client.get(f"/feeds/{token}.ics")
    assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]


def without_links(body: bytes) -> bytes:
    """A calendar without its links to the Nomads' pages (they carry the token the feed was fetched with)."""
    cal = Calendar.from_ical(body)
    for item in cal.walk("VEVENT"):
        item.pop("URL", None)
        if "DESCRIPTION" in item:
            lines = [x for x in str(item["DESCRIPTION"]).split("\n") if not x.startswith(("Day page:", "Day map:"))]
            item.pop("DESCRIPTION")
            if lines:
                item.add("DESCRIPTION", "\n".join(lines))
    return cal.to_ical()


def test_export_feed_writes_what_the_url_serves_without_its_links(client, runner, tour, tmp_path, fixed_now,
                                                                  monkeypatch):
    monkeypatch.setattr("tourplanner.models.now_utc", lambda: NOW)  # the command's clock, as the views' one
    west, visit = tour["teams"]["west"], tour["visits"][0]
    cases = [
        (["--team", "west"], f"/feeds/{issue(tour, team=west)}.ics"),
        (["--all"], f"/feeds/{issue(tour, 'coordinators')}.ics"),
        (["--venue", visit.request.ref], f"/r/{venue_link(visit.request)}/event.ics"),
    ]
    for args, url in cases:
        out = tmp_path / "feed.ics"
        result = runner.invoke(args=["export-feed", "--season", "spring-2027", *args, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert b"/feeds/" not in out.read_bytes()  # an exported file has no token to link with
        assert without_links(out.read_bytes()) == without_links(client.get(url).data)


@pytest.mark.parametrize("args,message", [
    (["--season", "nope", "--all"], "no season named 'nope'"),
    (["--season", "spring-2027", "--team", "north"], "has no team 'north' (teams: west, east)"),
    (["--season", "spring-2027", "--venue", "r404"], "has no request 'r404'"),
    (["--season", "spring-2027"], "exactly one of"),
    (["--season", "spring-2027", "--all", "--team", "west"], "exactly one of"),
])
def test_export_feed_names_what_is_wrong(runner, tour, tmp_path, args, message):
    out = tmp_path / "feed.ics"
    result = runner.invoke(args=["export-feed", *args, "-o", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


# --- coordinators' page -------------------------------------------------------------------------------


def login(client):
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})


def test_feed_pages_need_a_login_and_write_nothing_anonymously(client, tour):
    west = tour["teams"]["west"]
    page = client.get("/admin/seasons/spring-2027/feeds")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    posted = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "team", "target": west.id})
    assert posted.status_code == 302 and "/login" in posted.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0
    token_row_id = db.session.scalar(select(FeedToken.id))
    assert token_row_id is None


def test_coordinator_issues_a_link_sees_it_once_and_revokes_it(client, tour, fixed_now):
    as_coordinator(client)
    west = tour["teams"]["west"]
    page = client.get("/admin/seasons/spring-2027/feeds")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "West Nomad 1" in html and "All teams" in html
    posted = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "member", "target": west.members[0].id})
    assert posted.status_code == 303  # POST, then redirect: a reload of the page never issues again
    issued = client.get(posted.headers["Location"])
    html = issued.get_data(as_text=True)
    assert issued.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(select(FeedToken).where(FeedToken.revoked_dt.is_(None)))
    token = next(part.split(".ics")[0] for part in html.split("/feeds/")[1:] if ".ics" in part)
    assert row.token_hash == hash_token(token) and row.kind == "member"
    assert f"webcal://tour.test/feeds/{token}.ics" in html
    assert f"https://tour.test/feeds/{token}.ics" in html
    assert "From URL" in html and "12 to 24 hours" in html and "outlook.live.com" in html
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    assert token not in client.get("/admin/seasons/spring-2027/feeds").get_data(as_text=True)  # shown once
    revoked = client.post(f"/admin/seasons/spring-2027/feeds/{row.id}/revoke")
    assert revoked.status_code == 302
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_feed_page_links_use_the_address_in_use_when_no_public_host_is_set(app, client, tour):
    app.config["PUBLIC_HOST"] = "localhost"
    as_coordinator(client)
    html = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "coordinators"},
                       follow_redirects=True).get_data(as_text=True)
    assert "http://localhost/feeds/" in html and "webcal://localhost/feeds/" in html


def test_issue_refuses_a_team_of_another_season(client, tour, make_season):
    from tourplanner.models import Team

    as_coordinator(client)
    other = make_season(name="fall-2027")
    stranger = Team(season=other, slug="x", name="X", base_lat=0, base_lon=0, base_tz="UTC")
    db.session.add(stranger)
    db.session.commit()
    response = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "team", "target": stranger.id})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_tokens_never_reach_the_request_log(app, tour, fixed_now, caplog):
    from werkzeug.serving import make_server

    token = issue(tour, team=tour["teams"]["west"])
    venue = venue_link(tour["visits"][0].request)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            for path in (f"/feeds/{token}.ics", f"/r/{venue}/event.ics", f"/feeds/{token[:-1]}x.ics"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}", timeout=10).read()
                except urllib.error.HTTPError:
                    pass
    finally:
        server.shutdown()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/feeds/[token]" in text
    assert token not in text and venue not in text and token[:-1] not in text


def test_issue_and_revoke_need_the_csrf_token(app, client, tour):
    as_coordinator(client)
    token = issue(tour, team=tour["teams"]["west"])
    row = db.session.scalar(select(FeedToken))
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "coordinators"}).status_code == 400
    assert client.post(f"/admin/seasons/spring-2027/feeds/{row.id}/revoke").status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 1
    assert feeds.token_row(token) is not None


def test_unknown_feed_kind_is_refused(client, tour):
    as_coordinator(client)
    response = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "everyone"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0


def test_planning_publish_of_a_moved_visit_reaches_the_feed_as_one_change(tour):
    """The real publish path (planning.publish) sets SEQUENCE/DTSTAMP; the feed shows exactly that one change."""
    from tourplanner import planning
    from tourplanner.models import Overnight, Plan, Visit

    season, old = tour["season"], tour["plan"]
    before = feed_bytes(tour)
    moved = [v for v in tour["visits"] if v.team.slug == "west"][0]
    draft = Plan(season=season, number=2, status="draft")
    db.session.add(draft)
    for v in list(old.visits):
        if v.cancelled:
            continue  # publish carries it over as cancelled by itself
        shift = dt.timedelta(hours=1) if v.request_id == moved.request_id else dt.timedelta(0)
        draft.visits.append(Visit(request_id=v.request_id, team_id=v.team_id, start_dt=v.start_dt + shift,
                                  end_dt=v.end_dt + shift, order=v.order, drive_minutes_before=v.drive_minutes_before,
                                  drive_km_before=v.drive_km_before))
    for o in list(old.overnights):
        draft.overnights.append(Overnight(team_id=o.team_id, day=o.day, lat=o.lat, lon=o.lon, town=o.town))
    db.session.commit()
    published = dt.datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    planning.publish(draft, now=published)
    after = feed_bytes(tour)
    uid = f"visit-{moved.request_id}@tour.test"
    assert set(changed_uids(before, after)) == {uid}
    event = components(after)[uid]
    assert event["SEQUENCE"] == moved.sequence + 1 and event.decoded("DTSTAMP") == published
    east = feeds.team_feed(season, tour["teams"]["east"], host="tour.test", now=NOW).body
    assert "STATUS:CANCELLED" in east.decode()  # the carried-over cancellation is still there


def test_team_feed_before_anything_is_published_is_an_empty_calendar(client, make_season, fixed_now):
    from tourplanner.models import Team

    season = make_season(name="fall-2027")
    team = Team(season=season, slug="north", name="North", base_lat=45.0, base_lon=-75.0, base_tz="America/Toronto")
    db.session.add(team)
    db.session.commit()
    token = feeds.issue_token(season, "team", team=team, now=NOW)
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    cal = Calendar.from_ical(response.data)
    assert cal.walk("VEVENT") == [] and str(cal["X-WR-CALNAME"]) == "North · fall-2027"
    assert response.headers["Last-Modified"]


def test_a_reload_after_issuing_shows_nothing_new_and_keeps_the_link_working(client, tour, fixed_now):
    as_coordinator(client)
    west = tour["teams"]["west"]
    posted = client.post("/admin/seasons/spring-2027/feeds/issue", data={"kind": "team", "target": west.id})
    html = client.get(posted.headers["Location"]).get_data(as_text=True)
    token = next(part.split(".ics")[0] for part in html.split("/feeds/")[1:] if ".ics" in part)
    reloaded = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert token not in reloaded and "New link for" not in reloaded
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 1
    assert client.get(f"/feeds/{token}.ics").status_code == 200


def mails(app) -> list:
    import email
    import email.policy
    from pathlib import Path

    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def test_email_a_member_their_link_with_how_to_subscribe(app, client, tour, fixed_now):
    as_coordinator(client)
    west = tour["teams"]["west"]
    nomad = west.members[0]
    old = issue(tour, "member", member=nomad)
    page = client.get("/admin/seasons/spring-2027/feeds").get_data(as_text=True)
    assert "Email a new link to West Nomad 1" in page and "Email each member of West their own link" in page
    posted = client.post("/admin/seasons/spring-2027/feeds/email", data={"member": nomad.id})
    assert posted.status_code == 303
    assert "Emailed a new calendar link to West Nomad 1" in client.get(posted.headers["Location"]).get_data(as_text=True)
    [message] = mails(app)
    assert message["To"].addresses[0].addr_spec == "west1@example.org"
    assert message["Subject"] == "Your tour calendar: team West, spring-2027"
    body = message.get_content()
    token = re.search(r"https://tour\.test/feeds/([A-Za-z0-9_-]{43})\.ics", body).group(1)
    for words in ("Apple Calendar", "Add Subscribed Calendar", "From URL", "12 to 24 hours", "Subscribe from web",
                  f"webcal://tour.test/feeds/{token}.ics", "outlook.live.com", "calendar.google.com/calendar/r?cid=",
                  f"https://tour.test/feeds/{token}\n", "the old one has stopped working"):
        assert words in body, words
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    assert client.get(f"/feeds/{old}.ics").status_code == 404  # the member's earlier link stops
    row = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(token)))
    assert (row.kind, row.member_id) == ("member", nomad.id)  # revocable like any other link
    client.post(f"/admin/seasons/spring-2027/feeds/{row.id}/revoke")
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_email_the_whole_team_sends_each_member_their_own_link(app, client, tour, fixed_now):
    as_coordinator(client)
    west = tour["teams"]["west"]
    client.post("/admin/seasons/spring-2027/feeds/email", data={"team": west.id, "confirm": "yes"})
    messages = mails(app)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == ["west1@example.org", "west2@example.org"]
    tokens = {re.search(r"/feeds/([A-Za-z0-9_-]{43})\.ics", m.get_content()).group(1) for m in messages}
    assert len(tokens) == 2 and all(client.get(f"/feeds/{t}.ics").status_code == 200 for t in tokens)


def test_one_click_emails_every_nomad_of_every_team(app, client, tour, fixed_now):
    as_coordinator(client)
    assert "Email every Nomad of every team their own link" in client.get("/admin/seasons/spring-2027/feeds").get_data(
        as_text=True)
    step = client.post("/admin/seasons/spring-2027/feeds/email", data={"all": "yes"}).get_data(as_text=True)
    assert "Email 4 Nomads a new link?" in step and "Their earlier links stop working" in step and mails(app) == []
    client.post("/admin/seasons/spring-2027/feeds/email", data={"all": "yes", "confirm": "yes"})
    assert sorted(m["To"].addresses[0].addr_spec for m in mails(app)) == [
        "east1@example.org", "east2@example.org", "west1@example.org", "west2@example.org"]
