"""Coordinators' intake pages: queue, decisions mailed to the venue, edits with a version check, location fixes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tourplanner.extensions import db
from tourplanner.intake import rotate_token
from tourplanner.models import Request, Season
from tests.support.intake import form_data, page_text, season_start
from tests.support.mail import outbox


def refs_in_order(response) -> list[str]:
    return re.findall(r'<a href="/admin/requests/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_anonymous_gets_the_login_page_and_changes_nothing(client, make_request, season):
    req = make_request(season=season, ref="W1")
    for path in ("/admin/requests", f"/admin/requests/{req.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for action, data in (("decide", {"action": "decline"}), ("edit", {"version": "1", "venue_name": "X"}),
                         ("location", {"latitude": "1", "longitude": "1"}), ("new-link", {})):
        response = client.post(f"/admin/requests/{req.id}/{action}", data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert (req.status, req.venue.name, req.venue.lat, req.status_token_hash) == ("submitted", "Lincoln High School", 39.7817, None)


def test_queue_shows_new_requests_first_and_filters(coordinator, make_request, season, make_season):
    now = dt.datetime.now(dt.timezone.utc)
    make_request(season=season, ref="WOLDAP", status="approved", created_dt=now - dt.timedelta(days=1))
    make_request(season=season, ref="WNEW01", created_dt=now - dt.timedelta(days=3))
    make_request(season=season, ref="WNEW02", created_dt=now - dt.timedelta(hours=1), venue_type="church",
                 region="QC", country="CA", city="Québec", postal_code="G1R 4P5")
    make_request(season=season, ref="WDONE1", status="declined", created_dt=now)
    other = make_season(name="fall", start_date=season_start() + dt.timedelta(days=200))
    make_request(season=other, ref="WFALL1", created_dt=now - dt.timedelta(days=5))
    assert refs_in_order(coordinator.get("/admin/requests")) == ["WNEW02", "WNEW01", "WFALL1", "WOLDAP", "WDONE1"]
    assert refs_in_order(coordinator.get("/admin/requests?status=submitted")) == ["WNEW02", "WNEW01", "WFALL1"]
    assert refs_in_order(coordinator.get("/admin/requests?type=church")) == ["WNEW02"]
    assert refs_in_order(coordinator.get("/admin/requests?region=qc")) == ["WNEW02"]
    assert refs_in_order(coordinator.get(f"/admin/requests?season={other.id}")) == ["WFALL1"]
    assert refs_in_order(coordinator.get("/admin/requests?status=bogus&type=<x>")) == ["WNEW02", "WNEW01", "WFALL1", "WOLDAP", "WDONE1"]


def test_request_page_shows_the_point_and_its_precision(coordinator, make_request, season):
    req = make_request(season=season, venue_name="Central High", city="Phoenix", region="AZ", lat=33.4557,
                       lon=-112.0686, tz="America/Phoenix")
    req.venue.geocode_precision = "zip"
    db.session.commit()
    text = page_text(coordinator.get(f"/admin/requests/{req.id}"))
    assert "33.45570, -112.06860" in text and "precision zip" in text and "America/Phoenix" in text
    html = coordinator.get(f"/admin/requests/{req.id}").get_data(as_text=True)
    assert 'class="tour-map' in html and "ZIP code centre" in html  # the maps helper's small map, with the precision


def newest_request() -> Request:
    return db.session.scalar(select(Request).order_by(Request.id.desc()).limit(1))


def test_a_point_the_coordinator_corrected_survives_a_merged_repeat(coordinator, make_season):

    season = db.session.scalar(select(Season)) or make_season(name="spring", start_date=season_start())
    assert coordinator.post("/request", data=form_data(season)).status_code == 200
    req = db.session.scalar(select(Request))
    coordinator.post(f"/admin/requests/{req.id}/location", data={"latitude": "33.5", "longitude": "-112.1"})
    assert coordinator.post("/request", data=form_data(season, audience="500")).status_code == 200
    assert coordinator.post(f"/admin/requests/{newest_request().id}/merge").status_code == 303
    db.session.expire_all()
    assert (req.audience, req.venue.lat, req.venue.lon, req.venue.location_corrected) == (500, 33.5, -112.1, True)
    moved = form_data(season, city="Tucson", postal_code="85701")
    assert coordinator.post("/request", data=moved).status_code == 200  # a new address is geocoded afresh
    coordinator.post(f"/admin/requests/{newest_request().id}/merge")
    db.session.expire_all()
    assert req.venue.city == "Tucson" and req.venue.lat < 32.5 and req.venue.location_corrected is False
    assert db.session.scalars(select(Request.id)).all() == [req.id]


def test_the_queue_shows_a_repeat_beside_the_earlier_request_and_merge_applies_it(coordinator, make_season):

    season = make_season(name="spring", start_date=season_start())
    coordinator.post("/request", data=form_data(season))
    coordinator.post("/request", data=form_data(season, notes="Please come in March", audience="120"))
    earlier, repeat = db.session.scalars(select(Request).order_by(Request.id)).all()
    queue = coordinator.get("/admin/requests")
    text = page_text(queue)
    assert f"Possible duplicate : sent without the private link of {earlier.ref} , which is unchanged." in text
    assert "Notes Projector and screen in the gym. Please come in March" in text
    assert f"Merge into {earlier.ref}" in text and "Keep both" in text
    response = coordinator.post(f"/admin/requests/{repeat.id}/merge")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/requests/{earlier.id}")
    db.session.expire_all()
    assert (earlier.notes, earlier.audience, earlier.ref) == ("Please come in March", 120, earlier.ref)
    assert db.session.get(Request, repeat.id) is None


def test_keep_both_makes_the_repeat_a_request_of_its_own(coordinator, make_season):

    season = make_season(name="spring", start_date=season_start())
    coordinator.post("/request", data=form_data(season))
    coordinator.post("/request", data=form_data(season, notes="A second screening, for the evening class"))
    earlier, repeat = db.session.scalars(select(Request).order_by(Request.id)).all()
    assert coordinator.post(f"/admin/requests/{repeat.id}/keep-both").status_code == 303
    db.session.expire_all()
    assert (repeat.duplicate_of_id, earlier.notes) == (None, "Projector and screen in the gym.")
    assert "Possible duplicate" not in page_text(coordinator.get("/admin/requests"))


@pytest.mark.parametrize("action,status,words", [("approve", "approved", "accepted"), ("decline", "declined", "sorry")])
def test_approve_or_decline_mails_the_venue_the_message(app, coordinator, make_request, season, action, status, words):
    req = make_request(season=season, contact_name="Ana Ruiz", contact_email="ana@example.org")
    response = coordinator.post(f"/admin/requests/{req.id}/decide",
                                data={"action": action, "message": "Gym is fine; 300 seats."}, follow_redirects=True)
    assert "the venue was emailed" in page_text(response)
    db.session.expire_all()
    assert req.status == status and req.status_message == "Gym is fine; 300 seats."
    [message] = outbox(app)
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    body = message.get_content()
    assert words in body and "Gym is fine; 300 seats." in body


def test_a_scheduled_request_cannot_be_declined_here(coordinator, make_request, season):
    req = make_request(season=season, status="scheduled")
    response = coordinator.post(f"/admin/requests/{req.id}/decide", data={"action": "decline"}, follow_redirects=True)
    assert "cannot be approved or declined" in page_text(response)
    db.session.expire_all()
    assert req.status == "scheduled"


def edit_data(req, **over) -> dict:
    data = {"version": str(req.version), "venue_name": req.venue.name, "venue_type": req.venue.type,
            "contact_name": "Ana Ruiz", "contact_email": "ana@example.org", "contact_phone": "", "audience": "250",
            "duration_minutes": "90", "priority": "4", "notes": "Use the side door"}
    data.update(over)
    return data


def test_edit_saves_and_a_stale_version_gets_409_not_a_silent_overwrite(coordinator, make_request, season):
    req = make_request(season=season)
    loaded = edit_data(req)  # two coordinators open the same page
    response = coordinator.post(f"/admin/requests/{req.id}/edit", data={**loaded, "audience": "400"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (req.audience, req.priority, req.notes, req.version) == (400, 4, "Use the side door", 2)
    stale = coordinator.post(f"/admin/requests/{req.id}/edit", data={**loaded, "audience": "10", "notes": "Mine"})
    assert stale.status_code == 409
    assert "changed by someone else" in page_text(stale) and "Reload" in page_text(stale)
    db.session.expire_all()
    assert (req.audience, req.notes) == (400, "Use the side door")


def test_edit_refuses_bad_values_with_the_field_named(coordinator, make_request, season):
    req = make_request(season=season)
    response = coordinator.post(f"/admin/requests/{req.id}/edit", data=edit_data(req, priority="9", contact_email="nope"))
    assert response.status_code == 422
    text = page_text(response)
    assert "Priority is 1 to 5" in text and "does not look right" in text
    db.session.expire_all()
    assert req.priority == 3


def test_correct_the_point_by_coordinates(coordinator, make_request, season):
    req = make_request(season=season, city="Springfield", region="IL", lat=39.78, lon=-89.65, tz="America/Chicago")
    response = coordinator.post(f"/admin/requests/{req.id}/location", data={"latitude": "36.1627", "longitude": "-86.7816"},
                                follow_redirects=True)
    assert "Location of" in page_text(response)
    db.session.expire_all()
    venue = req.venue
    assert (venue.lat, venue.lon, venue.tz) == (36.1627, -86.7816, "America/Chicago")
    assert (venue.location_corrected, venue.geocode_source, venue.geocode_precision) == (True, "coordinator", "given")


def test_correct_the_point_by_another_address(coordinator, client, make_request, season):
    req = make_request(season=season, city="Phoenix", region="AZ", postal_code="85004", lat=33.45, lon=-112.07,
                       tz="America/Phoenix")
    response = coordinator.post(f"/admin/requests/{req.id}/location", data={"city": "Flagstaff", "postal_code": "86001"})
    assert response.status_code == 303
    db.session.expire_all()
    venue = req.venue
    assert venue.city == "Flagstaff" and 34.8 < venue.lat < 35.6 and venue.location_corrected
    bad = coordinator.post(f"/admin/requests/{req.id}/location", data={"latitude": "95", "longitude": "0"})
    assert bad.status_code == 422 and "between -90 and 90" in page_text(bad)
    for lat, lon in (("NaN", "1"), ("sNaN", "2"), ("1", "Infinity"), ("1e309", "1"), ("45,5", "-73")):
        odd = coordinator.post(f"/admin/requests/{req.id}/location", data={"latitude": lat, "longitude": lon})
        assert odd.status_code == 422 and "decimal number" in page_text(odd)
    neither = coordinator.post(f"/admin/requests/{req.id}/location", data={})
    assert neither.status_code == 422 and "Enter coordinates, or a different address" in page_text(neither)


def test_new_private_link_revokes_the_old_one_and_mails_the_new(app, coordinator, make_request, season):
    req = make_request(season=season)
    old = rotate_token(req)
    coordinator.post(f"/admin/requests/{req.id}/new-link")
    assert coordinator.get(f"/r/{old}").status_code == 404
    [message] = outbox(app)
    new = re.search(r"https?://[^/\s]+(/r/[A-Za-z0-9_-]{43})", message.get_content()).group(1)
    assert coordinator.get(new).status_code == 200
