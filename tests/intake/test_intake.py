"""The public request form and the venue's private page, driven as a venue would use them."""

from __future__ import annotations

import datetime as dt
import logging
import json
import re
from html import unescape
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.support.intake import day, form_data, page_text, private_link, season_start
from tests.support.mail import outbox
from tourplanner.extensions import db
from tourplanner.forms import MAX_WINDOWS
from tourplanner.intake import rotate_token
from tourplanner.models import AvailabilityWindow, BlackoutDate, Plan, Request, Team, Venue, Visit, now_utc

PAYLOAD = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>"


def field_errors(response, field_id: str) -> str:
    """The error list printed right after a field."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip() if match else ""


def requests_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Request))


# --- the form ----------------------------------------------------------------------------------------

def test_form_says_when_the_tour_runs_and_offers_three_empty_rows(client, season):
    response = client.get("/request")
    text = page_text(response)
    assert response.status_code == 200
    first, last = season.start_date, season.end_date
    assert f"{first:%A, %B} {first.day}" in text and f"{last:%B} {last.day}, {last.year}" in text
    html = response.get_data(as_text=True)
    assert html.count('class="window-row"') == 3
    assert f'min="{first.isoformat()}"' in html and f'max="{last.isoformat()}"' in html
    assert 'name="website"' in html and 'class="hp"' in html  # honeypot present, hidden by CSS
    assert "<script src=" in html and "onclick" not in html  # script file only, nothing inline


def test_no_open_season_says_requests_are_closed(client, make_season):
    make_season(name="past", start_date=dt.date(2020, 2, 3))
    response = client.get("/request")
    assert "Requests are closed" in page_text(response)
    assert client.post("/request", data={"venue_name": "x"}).status_code == 200
    assert requests_count() == 0


def test_open_season_is_the_running_one_else_the_nearest_upcoming(client, make_season):
    today = now_utc().date()
    make_season(name="later", start_date=season_start() + dt.timedelta(days=200))
    make_season(name="sooner", start_date=season_start())
    make_season(name="running", start_date=today - dt.timedelta(days=10))
    from tourplanner.intake import open_season

    assert open_season(today).name == "running"
    assert open_season(today + dt.timedelta(days=80)).name == "sooner"


def test_french_canadian_school_is_stored_geocoded_and_mailed(app, client, season):
    data = form_data(
        season, venue_name="École secondaire Marcellin-Champagnat", contact_name="Geneviève Côté",
        contact_email="genevieve.cote@example.ca", contact_phone="450-555-0199", country="CA", region="QC",
        city="Saint-Jean-sur-Richelieu", postal_code="j3b1a1", venue_type="high_school")
    response = client.post("/request", data=data)
    assert response.status_code == 200
    text = page_text(response)
    assert "Saint-Jean-sur-Richelieu, QC" in text  # where we placed it, so a wrong town shows at once
    req = db.session.scalar(select(Request))
    venue = req.venue
    assert (venue.name, venue.country, venue.region, venue.postal_code) == (
        "École secondaire Marcellin-Champagnat", "CA", "QC", "J3B 1A1")
    assert venue.tz in ("America/Toronto", "America/Montreal")
    assert 45.0 < venue.lat < 45.6 and -73.6 < venue.lon < -73.0
    assert venue.geocode_precision in ("fsa", "zip", "city", "address")
    assert req.contact_phone == "+1 450-555-0199"
    assert req.status == "submitted" and re.fullmatch(r"W[A-Z2-9]{5}", req.ref)
    assert [(w.first_date.isoformat(), w.last_date.isoformat(), w.weekdays, w.start_time, w.end_time) for w in req.windows] == [
        (day(season, 0), day(season, 25), "mon,tue,wed,thu,fri", dt.time(9), dt.time(15))]
    assert [b.day.isoformat() for b in req.blackouts] == [day(season, 14)]
    link = private_link(response)
    assert len(req.status_token_hash) == 64 and link.split("/")[-1] not in req.status_token_hash
    [message] = outbox(app)
    assert message["To"].addresses[0].display_name == "Geneviève Côté"
    assert message["To"].addresses[0].addr_spec == "genevieve.cote@example.ca"
    assert req.ref in message["Subject"]
    assert link in message.get_content()
    assert client.get(link).status_code == 200


def test_arizona_school_gets_phoenix_time(client, season):
    response = client.post("/request", data=form_data(season))
    assert response.status_code == 200
    venue = db.session.scalar(select(Venue))
    assert venue.tz == "America/Phoenix"
    assert "Phoenix, AZ" in page_text(response)


@pytest.mark.parametrize("city,region,code,land", [
    ("Honolulu", "HI", "96813", "Hawaii"), ("Juneau", "AK", "99801", "Southeast Alaska")])
def test_a_venue_no_road_reaches_is_told_at_once_and_flagged_for_coordinators(app, client, season, city, region,
                                                                              code, land):
    from tourplanner.accounts import create_user

    response = client.post("/request", data=form_data(season, city=city, region=region, postal_code=code))
    assert response.status_code == 200
    text = page_text(response)
    assert f"our team travels by van, and no road or car ferry reaches {land}" in text
    req = db.session.scalar(select(Request))  # kept, so coordinators can answer it
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    assert f"no road: {land}" in page_text(client.get("/admin/requests"))
    assert f"No road or car ferry reaches {land}" in page_text(client.get(f"/admin/requests/{req.id}"))


def test_a_bridged_island_venue_is_not_told_it_cannot_be_reached(client, season):
    response = client.post("/request", data=form_data(season, city="Key West", region="FL", postal_code="33040"))
    assert response.status_code == 200
    assert "no road" not in page_text(response)


@pytest.mark.parametrize("country,region,code,expected", [
    ("CA", "QC", "12345", "a Canadian postal code looks like J3B 1A1"),
    ("CA", "QC", "D3B 1A1", "a Canadian postal code looks like J3B 1A1"),
    ("US", "AZ", "8500", "a US ZIP code has 5 digits"),
    ("US", "AZ", "J3B 1A1", "a US ZIP code has 5 digits"),
])
def test_bad_postal_code_is_named_next_to_the_field_and_nothing_stored(client, season, country, region, code, expected):
    data = form_data(season, country=country, region=region, postal_code=code, city="Somewhere")
    response = client.post("/request", data=data)
    assert response.status_code == 422
    assert expected in field_errors(response, "postal_code")
    assert f'value="{code}"' in response.get_data(as_text=True) or code.upper() in response.get_data(as_text=True)
    assert requests_count() == 0


def test_date_outside_the_tour_is_refused_and_the_form_keeps_what_was_typed(client, season):
    before = (season.start_date - dt.timedelta(days=3)).isoformat()
    data = form_data(season, **{"windows-0-first_date": before}, notes="Gym has a screen")
    response = client.post("/request", data=data)
    assert response.status_code == 422
    assert "The tour runs from" in field_errors(response, "windows-0-first_date")
    html = response.get_data(as_text=True)
    assert f'value="{before}"' in html and 'value="Central High School"' in html and "Gym has a screen" in html
    assert 'value="ana.ruiz@example.org"' in html
    assert requests_count() == 0


@pytest.mark.parametrize("over,field_id,expected", [
    ({"contact_email": "ana.ruiz@"}, "contact_email", "does not look right"),
    ({"contact_phone": "12"}, "contact_phone", "phone number does not look right"),
    ({"region": "QC"}, "region", "Choose a state of United States"),
    ({"venue_name": "x" * 201}, "venue_name", "under 200 characters"),
    ({"notes": "n" * 4001}, "notes", "under 4000 characters"),
    ({"audience": "lots"}, "audience", "Enter a whole number, like 120."),
    ({"audience": "0"}, "audience", "between 1 and 100000"),
    ({"audience": "2²"}, "audience", "Enter a whole number, like 120."),
    ({"audience": "99999999999"}, "audience", "between 1 and 100000"),
    ({"windows-0-end_time": "08:00"}, "windows-0-end_time", "later than the start time"),
    ({"windows-0-end_time": "10:00"}, "windows-0-end_time", "too short"),
    ({"windows-0-weekdays": []}, "windows-0-weekdays", "Tick at least one day"),
    ({"windows-0-last_date": ""}, "windows-0-last_date", "Enter the last day"),
    ({"windows-0-first_date": "", "windows-0-last_date": "", "windows-0-start_time": "", "windows-0-end_time": ""},
     "windows-0-first_date", "at least one stretch of days"),
    ({"blackouts": "Feb 30"}, "blackouts", "not dates we can read"),
    ({"windows-0-first_date": "2027-13-01"}, "windows-0-first_date", "Enter a date like"),
    ({"windows-0-start_time": "9h"}, "windows-0-start_time", "Enter a time like"),
])
def test_each_bad_answer_gets_a_plain_message_next_to_its_field(client, season, over, field_id, expected):
    response = client.post("/request", data=form_data(season, **over))
    assert response.status_code == 422
    assert expected in field_errors(response, field_id)
    assert requests_count() == 0


def test_add_another_row_without_javascript_rerenders_with_one_more_and_keeps_data(client, season):
    data = form_data(season, add_row="1", send=None)
    response = client.post("/request", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="window-row"') == 4  # the three rows shown + one new
    data.update({f"windows-{i}-first_date": "" for i in range(2, MAX_WINDOWS + 3)})
    response = client.post("/request", data=data)
    html = response.get_data(as_text=True)
    assert html.count('class="window-row"') == MAX_WINDOWS  # capped
    assert "at most 12 rows" in page_text(response)
    assert 'value="Central High School"' in html and "ul class=\"errors\" id=\"venue_name" not in html
    assert requests_count() == 0


def test_second_row_and_extra_weekends_are_stored(client, season):
    data = form_data(season, **{"windows-1-first_date": day(season, 40), "windows-1-last_date": day(season, 41),
                                "windows-1-weekdays": ["sat", "sun"], "windows-1-start_time": "18:00",
                                "windows-1-end_time": "21:30"})
    assert client.post("/request", data=data).status_code == 200
    req = db.session.scalar(select(Request))
    assert [(w.weekdays, w.start_time) for w in req.windows] == [("mon,tue,wed,thu,fri", dt.time(9)), ("sat,sun", dt.time(18))]


def test_a_post_stores_the_request_without_reading_the_season_back(app, client, season, make_request):
    """The public form's cost does not grow with the season (it once read every ref of it), and the page and
    receipt read what was just stored from memory rather than one lazy load at a time."""
    from sqlalchemy import event

    for i in range(30):
        make_request(season, venue_name=f"Earlier School {i}", ref=f"E{i:05d}")
    data, statements = form_data(season), []

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        response = client.post("/request", data=data)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200
    req = db.session.scalar(select(Request).where(Request.contact_email == "ana.ruiz@example.org"))
    assert req.ref in page_text(response) and [b.day.isoformat() for b in req.blackouts] == [day(season, 14)]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert not any(re.match(r"SELECT request\.ref\s+FROM", s) for s in reads), reads  # never every ref
    # the open season, the duplicate check, the ref's one lookup; nothing read back after the commit
    assert len(reads) == 3, "\n---\n".join(reads)


def thanks_words(response, req) -> str:
    """The thank-you page as read, with what this request itself says (ref, link, venue, place, email) masked."""
    text = page_text(response).replace(req.ref, "REF").replace(private_link(response), "/r/TOKEN")
    text = re.sub(r"We placed .* at: .*? \. ", "We placed VENUE at: PLACE . ", text)
    return text.replace(req.contact_email, "EMAIL")


def test_a_repeat_without_the_private_link_changes_nothing_and_waits_as_a_possible_duplicate(app, client, season):
    first = client.post("/request", data=form_data(season))
    link = private_link(first)
    [original] = db.session.scalars(select(Request)).all()
    before = (original.contact_name, original.audience, original.notes, original.venue.city,
              [w.start_time for w in original.windows], [b.day for b in original.blackouts])
    attack = form_data(season, venue_name="CENTRAL high school", contact_email="ANA.RUIZ@example.org",
                       contact_name="Eve", audience="1", city="Tucson", postal_code="85701",
                       notes="cancelled by phone, do not schedule", **{"windows-0-start_time": "10:00"})
    second = client.post("/request", data=attack)
    assert second.status_code == 200
    db.session.expire_all()
    original = db.session.get(Request, original.id)
    assert (original.contact_name, original.audience, original.notes, original.venue.city,
            [w.start_time for w in original.windows], [b.day for b in original.blackouts]) == before
    repeat = db.session.scalar(select(Request).where(Request.id != original.id))
    assert (repeat.duplicate_of_id, repeat.notes, repeat.venue.city) == (original.id, "cancelled by phone, do not schedule", "Tucson")
    assert repeat.venue_id != original.venue_id and repeat.status_token_hash != original.status_token_hash
    # The page and the mail read the same as for a first request: nothing tells that a request existed.
    assert thanks_words(second, repeat) == thanks_words(first, original)
    subjects = [m["Subject"] for m in outbox(app)]
    assert subjects == [f"Your screening request {original.ref} arrived", f"Your screening request {repeat.ref} arrived"]
    assert client.get(link).status_code == 200 and "1 people" not in page_text(client.get(link))


def test_a_repeat_after_a_date_was_proposed_changes_nothing_either(app, client, season):
    client.post("/request", data=form_data(season))
    req = db.session.scalar(select(Request))
    req.status = "scheduled"
    db.session.commit()
    response = client.post("/request", data=form_data(season, audience="999"))
    assert response.status_code == 200 and "Thank you, your request arrived" in page_text(response)
    db.session.expire_all()
    assert (requests_count(), req.audience, req.status) == (2, 300, "scheduled")


def test_a_repeat_without_optional_fields_is_stored_with_empty_text(client, season):
    """Fields a client leaves out of the post (not just empty) are "" for the NOT NULL columns, not a 500."""
    client.post("/request", data=form_data(season))
    data = form_data(season)
    for name in ("street", "contact_phone", "notes"):
        data.pop(name, None)
    response = client.post("/request", data=data)
    assert response.status_code == 200
    repeat = db.session.scalar(select(Request).order_by(Request.id.desc()).limit(1))
    assert (repeat.contact_phone, repeat.notes, repeat.venue.street) == ("", "", "")


def test_honeypot_gets_the_thank_you_page_and_stores_nothing(app, client, season):
    response = client.post("/request", data=form_data(season, website="http://spam.example"))
    assert response.status_code == 200
    assert "Thank you, your request arrived" in page_text(response)
    assert requests_count() == 0
    assert not (Path(app.instance_path) / "outbox").exists()


def test_oversized_post_gets_a_413_page(client, season):
    response = client.post("/request", data=form_data(season, notes="x" * (3 * 1024 * 1024)))
    assert response.status_code == 413
    assert "too much text" in page_text(response)
    assert requests_count() == 0


def test_script_in_every_field_renders_as_text_everywhere(app, client, season, make_request):
    from tourplanner.accounts import create_user

    everything = form_data(season, **{k: PAYLOAD for k in (
        "venue_name", "venue_type", "contact_name", "contact_email", "contact_phone", "country", "region", "city",
        "postal_code", "street", "audience", "duration_minutes", "notes", "blackouts", "windows-0-first_date",
        "windows-0-last_date", "windows-0-start_time", "windows-0-end_time")}, **{"windows-0-weekdays": [PAYLOAD]})
    refused = client.post("/request", data=everything)
    assert refused.status_code == 422
    assert "<script>alert" not in refused.get_data(as_text=True)
    assert "onerror=alert(1)>" not in refused.get_data(as_text=True)
    stored = form_data(season, venue_name=PAYLOAD, contact_name=PAYLOAD, street=PAYLOAD, notes=PAYLOAD)
    response = client.post("/request", data=stored)
    assert response.status_code == 200
    link = private_link(response)
    req = db.session.scalar(select(Request))
    assert req.venue.name == PAYLOAD and req.notes == PAYLOAD  # stored as typed
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    for page in (response, client.get(link), client.get("/admin/requests"), client.get(f"/admin/requests/{req.id}")):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
        assert PAYLOAD in page_text(page)  # shown as the text it is


# --- the venue's private page ---------------------------------------------------------------------

@pytest.fixture
def proposed(app, make_request, season):
    """A request of an Arizona school with a published visit on day 8 at 10:00 Phoenix time (17:00 UTC)."""
    req = make_request(season=season, venue_name="Central High School", city="Phoenix", region="AZ",
                       postal_code="85004", lat=33.45, lon=-112.07, tz="America/Phoenix", status="scheduled",
                       contact_name="Ana Ruiz")
    token = rotate_token(req)
    team = Team(season=season, slug="west", name="West Coast", base_lat=33.8, base_lon=-118.3, base_tz="America/Los_Angeles")
    db.session.add(team)  # in the session before anything autoflushes the season it joined
    start = dt.datetime.combine(season.start_date + dt.timedelta(days=8), dt.time(17), dt.timezone.utc)
    plan = Plan(season=season, number=1, status="published", published_dt=now_utc())
    visit = Visit(plan=plan, request=req, team=team, start_dt=start, end_dt=start + dt.timedelta(minutes=90), order=0,
                  sequence=2, changed_dt=now_utc() - dt.timedelta(days=1))
    db.session.add_all([team, plan, visit])
    db.session.commit()
    return req, token, visit


def test_proposed_date_shows_in_the_venues_own_time_zone(client, proposed):
    req, token, visit = proposed
    response = client.get(f"/r/{token}")
    text = page_text(response)
    local = visit.start_dt.astimezone(__import__("zoneinfo").ZoneInfo("America/Phoenix"))
    assert "Status: Date proposed." in text
    assert f"{local:%A, %B} {local.day}, {local.year} , 10:00–11:30" in text
    assert "MST" in text and "America/Phoenix" in text and "Team: West Coast" in text
    assert "Confirm this date" in text and "Ask for another date" in text
    calendar = re.search(r'href="(/r/[^"]+/event\.ics)"', response.get_data(as_text=True)).group(1)
    assert calendar == f"/r/{token}/event.ics"
    ics = client.get(calendar)
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.data and b"Central High School" in ics.data
    assert "Change when you can host us" not in text  # no edits once a date is proposed
    for name, value in {"Referrer-Policy": "same-origin", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}.items():
        assert response.headers[name] == value


def test_confirm_makes_the_visit_confirmed_for_calendars(client, proposed):
    req, token, visit = proposed
    before = visit.changed_dt
    response = client.post(f"/r/{token}/confirm", follow_redirects=True)
    assert "Status: Confirmed." in page_text(response)
    db.session.expire_all()
    assert req.status == "confirmed"
    assert visit.sequence == 3 and visit.changed_dt > before and visit.cancelled is False


def test_ask_for_another_date_goes_back_to_coordinators_with_the_note(app, client, proposed):
    from tourplanner.accounts import create_user

    create_user("coord@example.org", "correct horse battery")
    req, token, visit = proposed
    response = client.post(f"/r/{token}/another-date", data={"message": "Mornings in March are better"}, follow_redirects=True)
    assert "We will look for another date" in page_text(response)
    db.session.expire_all()
    assert req.status == "approved" and "Mornings in March are better" in req.status_message
    [message] = outbox(app)
    assert message["To"] == "coord@example.org" and "Mornings in March are better" in message.get_content()
    assert token not in message.get_content()


def test_cancel_keeps_the_visit_marked_cancelled(client, proposed):
    req, token, visit = proposed
    response = client.post(f"/r/{token}/cancel", follow_redirects=True)
    assert "Status: Cancelled." in page_text(response)
    db.session.expire_all()
    assert req.status == "cancelled"
    assert visit.cancelled is True and visit.sequence == 3
    assert db.session.get(Visit, visit.id) is not None


def test_venue_edits_its_availability_until_a_date_is_proposed(client, make_request, season):
    req = make_request(season=season)
    token = rotate_token(req)
    page = client.get(f"/r/{token}")
    assert "Change when you can host us" in page_text(page)
    data = {"windows-0-first_date": day(season, 7), "windows-0-last_date": day(season, 13),
            "windows-0-weekdays": ["tue", "thu"], "windows-0-start_time": "12:00", "windows-0-end_time": "16:00",
            "blackouts": day(season, 9), "save": "1"}
    response = client.post(f"/r/{token}/availability", data=data, follow_redirects=True)
    assert "Your availability is saved" in page_text(response)
    db.session.expire_all()
    assert [(w.first_date.isoformat(), w.weekdays, w.start_time) for w in req.windows] == [(day(season, 7), "tue,thu", dt.time(12))]
    assert [b.day.isoformat() for b in req.blackouts] == [day(season, 9)]
    bad = client.post(f"/r/{token}/availability", data={**data, "windows-0-last_date": day(season, 200)})
    assert bad.status_code == 422 and "The tour runs from" in field_errors(bad, "windows-0-last_date")
    req.status = "scheduled"
    db.session.commit()
    refused = client.post(f"/r/{token}/availability", data={**data, "windows-0-start_time": "08:00"}, follow_redirects=True)
    assert "can no longer be changed" in page_text(refused)
    db.session.expire_all()
    assert [w.start_time for w in req.windows] == [dt.time(12)]


def test_a_link_shows_and_changes_only_its_own_request_whatever_is_posted(client, make_request, season, proposed):
    mine, token, visit = proposed
    other = make_request(season=season, venue_name="Other Church", venue_type="church", contact_email="pastor@example.org")
    other_token = rotate_token(other)
    sneaky = {"request_id": str(other.id), "ref": other.ref, "id": str(other.id), "token": other_token,
              "status_token_hash": other.status_token_hash}
    text = page_text(client.get(f"/r/{token}"))
    assert "Central High School" in text and "Other Church" not in text and "pastor@example.org" not in text
    client.post(f"/r/{token}/cancel", data=sneaky)
    db.session.expire_all()
    assert mine.status == "cancelled" and other.status == "submitted"
    data = {**sneaky, "windows-0-first_date": day(season, 1), "windows-0-last_date": day(season, 2),
            "windows-0-weekdays": ["mon", "tue", "wed"], "windows-0-start_time": "09:00", "windows-0-end_time": "12:00"}
    client.post(f"/r/{other_token}/availability", data={**data, "request_id": str(mine.id)})
    db.session.expire_all()
    assert [w.last_date.isoformat() for w in other.windows] == [day(season, 2)]
    assert [w.last_date for w in mine.windows] == [season.end_date]


def test_wrong_revoked_malformed_and_unknown_links_all_give_the_same_404(client, make_request, season):
    req = make_request(season=season)
    old = rotate_token(req)
    token = rotate_token(req)  # `old` is now revoked
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    pages = {name: client.get(f"/r/{value}") for name, value in {
        "revoked": old, "one character changed": flipped, "malformed": "not-a-token", "too long": token + "x",
        "unknown": "A" * 43, "percent": "%2e%2e", "hash": req.status_token_hash}.items()}
    bodies = {name: (page.status_code, page.get_data()) for name, page in pages.items()}
    assert {code for code, _ in bodies.values()} == {404}
    assert len({body for _, body in bodies.values()}) == 1
    for action in ("confirm", "cancel", "another-date", "availability"):
        assert client.post(f"/r/{old}/{action}").status_code == 404
    assert client.get(f"/r/{token}").status_code == 200
    db.session.expire_all()
    assert req.status == "submitted"


def test_tokens_never_reach_the_logs(client, season, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post("/request", data=form_data(season))
    link = private_link(response)
    token = link.rsplit("/", 1)[-1]
    client.get(link)
    client.post(f"{link}/cancel")
    client.get(link + "x")
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', link)
    assert caplog.records and token not in caplog.text
    assert "Your screening request" in caplog.text  # the mail log names the subject


def test_ref_is_unique_in_the_season(app, season):
    from tourplanner.intake import new_ref

    refs = {new_ref(season) for _ in range(200)}
    assert len(refs) == 200 and all(re.fullmatch(r"W[A-Z2-9]{5}", r) for r in refs)


FUZZ_FIELDS = ["venue_name", "venue_type", "contact_name", "contact_email", "contact_phone", "country", "region", "city",
               "postal_code", "street", "audience", "duration_minutes", "notes", "blackouts", "website", "add_row",
               "windows-0-first_date", "windows-0-last_date", "windows-0-weekdays", "windows-0-start_time",
               "windows-0-end_time", "windows-1-first_date", "windows-1-end_time", "windows-11-first_date",
               "windows-99-end_time"]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.dictionaries(
    st.sampled_from(FUZZ_FIELDS),
    st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "2027-02-30", "25:99", "-1", "1e309", "\x00", "QC", "CA",
                                                      "J3B 1A1", "A" * 5000, "mon", "<script>"])),
    max_size=12))
def test_random_answers_never_break_the_form(client, season, values):
    """Any mix of answers gets the thank-you page or the form back with messages, never an error page."""
    response = client.post("/request", data=form_data(season, **values))
    if any("\x00" in str(v) for v in values.values()):  # never real input: a plain 400 (web.refuse_nul_bytes)
        assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)
        return
    assert response.status_code in (200, 422), (response.status_code, values)
    if response.status_code == 422:
        assert 'class="errors"' in response.get_data(as_text=True)


# --- helping the venue before and after it sends ---------------------------------------------------------


def test_a_refused_send_starts_with_a_summary_linking_each_bad_field_rows_included(client, season):
    response = client.post("/request", data=form_data(season, contact_email="nope", **{
        "windows-0-end_time": "10:00", "windows-1-first_date": day(season, 3)}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'role="alert" tabindex="-1"' in html.split('id="error-summary"', 1)[1][:80]
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert [target for target, _ in links] == ["contact_email", "windows-0-end_time", "windows-1-last_date",
                                              "windows-1-weekdays", "windows-1-start_time", "windows-1-end_time"]
    assert "6 answers to look at again" in summary
    assert "Row 1, until: These hours are too short" in unescape(links[1][1])


def test_the_form_says_the_rest_days_and_the_chosen_states_holidays_up_front(client, season):
    text = page_text(client.get("/request"))
    assert "The team rests on Sundays and does not screen on public holidays." in text
    assert "Choose your state or province below to see the public holidays during the tour." in text
    html = client.get("/request").get_data(as_text=True)
    calendar = json.loads(html.split('<script type="application/json" id="tour-calendar">', 1)[1].split("</script>", 1)[0])
    assert calendar["off"] == ["sun"] and set(calendar["holidays"]) >= {"DC", "QC", "AZ", "YT"}
    from tourplanner.intake import tour_holidays

    for code in ("DC", "QC"):
        country = "CA" if code == "QC" else "US"
        assert calendar["holidays"][code] == [[d.isoformat(), f"{d:%a %b} {d.day}: {n}"]
                                             for d, n in tour_holidays(season, country, code)]
    refused = page_text(client.post("/request", data=form_data(season, region="DC", contact_email="x")))
    holidays = tour_holidays(season, "US", "DC")
    assert ("Public holidays during the tour in DC:" if holidays else "No public holiday falls in the tour in DC.") in refused


def test_a_row_of_rest_days_only_is_kept_with_a_warning(client, season):
    sunday = season.start_date + dt.timedelta(days=6)
    response = client.post("/request", data=form_data(season, **{
        "windows-0-first_date": sunday.isoformat(), "windows-0-last_date": sunday.isoformat(),
        "windows-0-weekdays": ["sun"]}))
    assert response.status_code == 200 and requests_count() == 1
    assert ("Row 1 only covers days when the team does not screen (it rests on Sundays, and on public holidays): "
            "add other days, or we cannot come.") in page_text(response)


def test_the_thank_you_page_says_where_the_venue_was_placed_in_plain_words(client, season):
    response = client.post("/request", data=form_data(season, country="CA", region="QC", city="Québec",
                                                     postal_code="G1R 4P5", contact_phone="418 555 0100"))
    assert response.status_code == 200
    label = page_text(response).split("at: ", 1)[1].split(". If that", 1)[0].strip()
    assert re.fullmatch(r"Québec( City)?, QC \(postal area G1R\)", label), label
    assert "FSA" not in page_text(response) and "area centre" not in page_text(response)
