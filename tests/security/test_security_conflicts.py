"""security.md item 16 for the request actions that had no version check: a decision or a location correction made
from a page that is out of date gets a 409 with a reload link, and neither the database nor the venue's inbox
changes. (Request edits, season and team edits and visit edits are tested in their own areas.)"""

import re

import pytest
from flask import g

from tests.support.intake import page_text
from tests.support.mail import outbox
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import Request


@pytest.fixture
def two_coordinators(app):
    create_user("ana@example.org", "correct horse battery")
    create_user("ben@example.org", "correct horse battery")
    clients = []
    for email in ("ana@example.org", "ben@example.org"):
        client = app.test_client()
        g.pop("_login_user", None)
        client.post("/login", data={"email": email, "password": "correct horse battery"})
        clients.append(client)
    return clients


def post(client, url, data):
    g.pop("_login_user", None)  # each request reads its own cookie (the test app context outlives requests)
    return client.post(url, data=data)


def versions_on_page(client, request_id) -> list[str]:
    g.pop("_login_user", None)
    html = client.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    return re.findall(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html)


def test_every_form_on_the_request_page_carries_the_version_it_was_made_from(app, two_coordinators, make_request):
    ana, _ = two_coordinators
    req = make_request(status="submitted")
    assert len(versions_on_page(ana, req.id)) >= 3  # decision, location and edit forms


def test_a_decision_from_a_stale_page_gets_409_and_changes_nothing(app, two_coordinators, make_request):
    ana, ben = two_coordinators
    req = make_request(status="submitted")
    seen = str(req.version)  # both opened the page
    declined = post(ben, f"/admin/requests/{req.id}/decide", {"action": "decline", "message": "Full", "version": seen})
    assert declined.status_code == 303
    mails = len(outbox(app))
    late = post(ana, f"/admin/requests/{req.id}/decide", {"action": "approve", "message": "Yes!", "version": seen})
    assert late.status_code == 409
    assert "changed by someone else" in page_text(late) and "Reload" in page_text(late)
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.status, req.status_message) == ("declined", "Full")
    assert len(outbox(app)) == mails  # the venue got no second, contradicting email


def test_a_location_fix_from_a_stale_page_gets_409_and_keeps_the_first_fix(app, two_coordinators, make_request):
    ana, ben = two_coordinators
    req = make_request(status="submitted")
    seen = str(req.version)
    first = post(ben, f"/admin/requests/{req.id}/location", {"latitude": "36.1627", "longitude": "-86.7816",
                                                              "version": seen})
    assert first.status_code == 303
    late = post(ana, f"/admin/requests/{req.id}/location", {"latitude": "41.8781", "longitude": "-87.6298",
                                                             "version": seen})
    assert late.status_code == 409
    db.session.expire_all()
    venue = db.session.get(Request, req.id).venue
    assert (round(venue.lat, 4), round(venue.lon, 4)) == (36.1627, -86.7816)


def test_a_location_fix_makes_a_new_version_so_a_stale_edit_is_refused(app, two_coordinators, make_request):
    ana, ben = two_coordinators
    req = make_request(status="submitted")
    seen = req.version
    post(ben, f"/admin/requests/{req.id}/location", {"latitude": "36.1627", "longitude": "-86.7816", "version": seen})
    db.session.expire_all()
    assert db.session.get(Request, req.id).version == seen + 1
