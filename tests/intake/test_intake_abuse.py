"""Abuse protections of the public form with CSRF and rate limiting switched on, as in production."""

from __future__ import annotations

import re
import types

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from tourplanner.extensions import db
from tourplanner.models import Request
from tests.support.intake import form_data, page_text
from tests.support.mail import outbox


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True, "INTAKE_RATE_LIMIT": "5 per hour",
            "INTAKE_EMAIL_RATE_LIMIT": "3 per hour"}


def csrf_from(response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Request))


def later(monkeypatch, hours: float) -> None:
    """Every signed timestamp (CSRF token, session) now looks `hours` old."""
    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: real() + hours * 3600))


def test_csrf_token_lives_through_a_school_day(client, season, monkeypatch):
    token = csrf_from(client.get("/request"))
    later(monkeypatch, 9)
    response = client.post("/request", data=form_data(season, csrf_token=token))
    assert response.status_code == 200 and "Thank you, your request arrived" in page_text(response)
    assert count() == 1


def test_expired_csrf_token_reshows_the_form_with_the_data_and_stores_nothing(client, season, monkeypatch):
    token = csrf_from(client.get("/request"))
    later(monkeypatch, 13)
    data = form_data(season, csrf_token=token, venue_name="Lincoln Middle School", notes="Bring the long HDMI cable")
    response = client.post("/request", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Everything you typed is still here" in page_text(response)
    assert 'value="Lincoln Middle School"' in html and "Bring the long HDMI cable" in html
    assert 'value="ana.ruiz@example.org"' in html and f'value="{data["windows-0-first_date"]}"' in html
    assert count() == 0
    again = client.post("/request", data={**data, "csrf_token": csrf_from(response)})  # press send once more
    assert again.status_code == 200 and count() == 1


def test_missing_csrf_token_is_refused_on_every_intake_post(client, season, make_request):
    from tourplanner.intake import rotate_token

    req = make_request(season=season)
    token = rotate_token(req)
    assert client.post("/request", data=form_data(season)).status_code == 400
    for action in ("confirm", "cancel", "another-date", "availability"):
        assert client.post(f"/r/{token}/{action}").status_code == 400
    db.session.expire_all()
    assert req.status == "submitted" and count() == 1


def test_sixth_accepted_post_in_an_hour_gets_a_friendly_429_and_corrections_do_not_count(app, client, season):
    token = csrf_from(client.get("/request"))
    for _ in range(3):  # adding rows without JavaScript does not count
        assert client.post("/request", data=form_data(season, csrf_token=token, add_row="1", send=None)).status_code == 200
    for _ in range(5):  # nor does a form sent back for correction
        assert client.post("/request", data=form_data(season, csrf_token=token, audience="x")).status_code == 422
    codes = [client.post("/request", data=form_data(season, csrf_token=token, contact_email=f"v{i}@example.org")).status_code
             for i in range(5)]
    assert codes == [200] * 5
    sixth = client.post("/request", data=form_data(season, csrf_token=token, contact_email="v6@example.org"))
    assert sixth.status_code == 429
    assert "Too many requests from here" in page_text(sixth) and "try again" in page_text(sixth)
    assert count() == 5
    assert client.get("/request").status_code == 200  # reading the form is never limited


@pytest.mark.parametrize("extra", [{"add_row": "false"}, {"add_row": ""}, {"add_row": "0"}])
def test_an_extra_add_row_field_does_not_escape_the_limit(app, client, season, extra):
    """Issue 16.1: the limiter and the view read 'adding a row' the same way, so a 429 stays a 429."""

    token = csrf_from(client.get("/request"))
    for i in range(5):
        client.post("/request", data=form_data(season, csrf_token=token, contact_email=f"v{i}@example.org"))
    assert client.post("/request", data=form_data(season, csrf_token=token, contact_email="x@example.org")).status_code == 429
    again = client.post("/request", data=form_data(season, csrf_token=token, contact_email="x@example.org", **extra))
    assert again.status_code == 429
    assert count() == 5 and len(outbox(app)) == 5


def test_receipts_to_one_email_are_capped_whatever_the_address(app, client, season):
    """Issue 16.1: a fourth request in an hour for one contact email is refused, however it is capitalised."""

    token = csrf_from(client.get("/request"))
    codes = [client.post("/request", data=form_data(season, csrf_token=token, contact_email=email),
                         environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"}).status_code
             for i, email in enumerate(["victim@example.org", "Victim@example.org", "VICTIM@example.org", "victim@Example.org"])]
    assert codes == [200, 200, 200, 429]
    assert count() == 3 and len(outbox(app)) == 3


def test_expired_token_on_the_venue_page_keeps_the_rows_and_saves_nothing(client, season, make_request, monkeypatch):
    from tourplanner.intake import rotate_token

    req = make_request(season=season)
    token = rotate_token(req)
    csrf = csrf_from(client.get(f"/r/{token}"))
    later(monkeypatch, 13)
    first = (season.start_date + __import__("datetime").timedelta(days=2)).isoformat()
    data = {"csrf_token": csrf, "windows-0-first_date": first, "windows-0-last_date": first,
            "windows-0-weekdays": ["wed"], "windows-0-start_time": "10:00", "windows-0-end_time": "14:00", "save": "1"}
    response = client.post(f"/r/{token}/availability", data=data)
    assert response.status_code == 400 and "Your rows are still here" in page_text(response)
    assert f'value="{first}"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert [w.first_date for w in req.windows] == [season.start_date]
    saved = client.post(f"/r/{token}/availability", data={**data, "csrf_token": csrf_from(response)})
    assert saved.status_code == 303
    db.session.expire_all()
    assert [w.first_date.isoformat() for w in req.windows] == [first]
    client.get(f"/r/{token}")  # shows (and uses up) the "saved" message
    bad = client.post(f"/r/{'x' * 43}/availability", data=data)
    assert bad.status_code == 404 and bad.data == client.get(f"/r/{'x' * 43}").data  # a bad link stays the same 404
    stale = client.post(f"/r/{'x' * 43}/availability", data={**data, "csrf_token": "stale"})
    assert stale.status_code == 404 and stale.data == bad.data  # even with a bad form token


def test_every_visitor_gets_the_blank_form_with_a_token_of_their_own_that_works(app, season):
    """The blank form is rendered once and kept; each visitor's page still carries their own CSRF token,
    and a post with it is stored. A change of the season's rules shows on the next page at once."""
    from flask import g

    first, second = app.test_client(), app.test_client()
    page_one = first.get("/request")
    g.pop("csrf_token", None)  # the fixture's app context outlives a request; in production each has its own g
    page_two = second.get("/request")
    token_one, token_two = csrf_from(page_one), csrf_from(page_two)
    assert token_one != token_two
    assert page_one.get_data(as_text=True).replace(token_one, "") == page_two.get_data(as_text=True).replace(token_two, "")
    assert "\x00" not in page_one.get_data(as_text=True)
    assert app.extensions["tourplanner.blank_form_pages"]  # the kept page, not a render per visitor
    for client, token, name in ((second, token_two, "Second School"), (first, token_one, "First School")):
        g.pop("csrf_token", None)
        response = client.post("/request", data=form_data(season, csrf_token=token, venue_name=name,
                                                          contact_email=f"{name[:5].lower()}@example.org"))
        assert response.status_code == 200 and "Thank you, your request arrived" in page_text(response)
    assert count() == 2
    g.pop("csrf_token", None)
    stolen = first.post("/request", data=form_data(season, csrf_token=token_two, venue_name="Third School"))
    assert stolen.status_code == 400 and count() == 2  # a token is bound to its own session
    season.rules = {**(season.rules or {}), "days_off": ["sat", "sun"]}
    db.session.commit()
    g.pop("csrf_token", None)
    assert "The team rests on Saturdays and Sundays" in page_text(app.test_client().get("/request"))
