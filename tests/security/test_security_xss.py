"""security.md item 10 beyond the intake pages: payloads in every stored field a coordinator or Nomad types, and in
what venues type, render as text on every coordinator page, every public page and every map page."""

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from tests.support.tour import make_tour
from tourplanner import feeds
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import Job, Overnight, Plan, TeamMember, UnservedRequest, now_utc

# Short enough for every String(n) column it goes into (PostgreSQL enforces lengths).
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'`${x}\\`"
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(2)>")
ATTRIBUTE_BREAK = re.compile(r"=\"[^\"]*\"'`")  # the payload's quote closing an attribute early


@pytest.fixture
def tour(app):
    """A published tour whose first west venue, its contact, its town, its team, a Nomad and a plan note
    all carry the payload; one unserved request carries it too."""
    feeds.clear_cache()
    tour = make_tour(payload={"venue_name": PAYLOAD, "contact_name": PAYLOAD, "notes": PAYLOAD,
                              "status_message": PAYLOAD})
    first = tour["visits"][0]
    first.request.venue.city = PAYLOAD[:60]
    first.request.venue.street = PAYLOAD
    west = tour["teams"]["west"]
    west.name = PAYLOAD[:80]
    west.base_name = PAYLOAD
    west.region_hint = PAYLOAD
    west.members.append(TeamMember(name=PAYLOAD, email="payload@example.org"))
    tour["plan"].note = PAYLOAD
    for overnight in db.session.scalars(select(Overnight).where(Overnight.team_id == west.id)):
        overnight.town = PAYLOAD
    db.session.add(UnservedRequest(plan=tour["plan"], request=tour["visits"][1].request, reason="no_room",
                                   detail=PAYLOAD))
    db.session.add(Job(season=tour["season"], status="failed", error=PAYLOAD))
    db.session.commit()
    tour["feed"] = feeds.issue_token(tour["season"], "team", team=west, now=now_utc())
    return tour


def fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values.get(m.group(1), "1")), rule)


def assert_text_only(url: str, body: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{url}: {raw!r} reached the page unescaped"
    assert not ATTRIBUTE_BREAK.search(body), f"{url}: the payload's quote closed an attribute"


def test_payloads_render_as_text_on_every_coordinator_page(app, client, tour):
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    first = tour["visits"][0]
    job = db.session.scalar(select(Job))
    plan = db.session.scalar(select(Plan))
    values = {"name": tour["season"].name, "slug": "west", "visit_id": first.id, "request_id": first.request_id,
              "plan_id": plan.id, "job_id": job.id, "day": first.start_dt.date().isoformat(),
              "date": first.start_dt.date().isoformat()}
    pages = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin") and "GET" in (r.methods or ())]
    shown = 0
    for rule in pages:
        url = fill(rule.rule, values)
        response = client.get(url)
        assert response.status_code in (200, 302, 404), f"{url}: {response.status_code}"
        assert not response.headers.get("Location", "").startswith("/login"), f"{url}: logged out"
        body = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            assert_text_only(url, body)
            shown += html.escape("<script>alert(1)</script>", quote=False) in body or "\\u003cscript" in body
    assert shown >= 8, "the payload should be visible (escaped) on most coordinator pages"
    # the pages that name the team, the venue and the Nomad show each of them as text
    for url, expected in ((f"/admin/seasons/{tour['season'].name}/review", "&lt;script&gt;alert(1)"),
                          (f"/admin/seasons/{tour['season'].name}/teams/west/edit", "&lt;script&gt;alert(1)"),
                          (f"/admin/requests/{first.request_id}", "&lt;script&gt;alert(1)")):
        assert expected in client.get(url).get_data(as_text=True), url


def test_payloads_render_as_text_on_public_and_nomad_pages(app, client, tour):
    token, _ = None, None
    from tourplanner.models import new_token

    token, token_hash = new_token()
    tour["visits"][0].request.status_token_hash = token_hash
    db.session.commit()
    day = tour["visits"][0].start_dt.date().isoformat()
    for url in ("/", "/request", f"/r/{token}", f"/feeds/{tour['feed']}/days/{day}/map", f"/feeds/{tour['feed']}/map"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_text_only(url, response.get_data(as_text=True))
    venue_page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in venue_page  # the venue sees its own name, as text


def test_map_spec_keeps_every_script_breaker_inside_its_json(app, client, tour):
    """Folium-style pages embed data in a script element: `</script>`, backticks and `${` must stay data."""
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    day = tour["visits"][0].start_dt.date().isoformat()
    for url in (f"/admin/seasons/{tour['season'].name}/map", f"/admin/seasons/{tour['season'].name}/teams/west/map",
                f"/admin/seasons/{tour['season'].name}/teams/west/days/{day}/map",
                f"/admin/seasons/{tour['season'].name}/requests/map"):
        body = client.get(url).get_data(as_text=True)
        for block in re.findall(r"<script[^>]*>(.*?)</script>", body, flags=re.S):
            assert "</script" not in block.lower() and "<!--" not in block, url
            assert "`" not in block or "tourmap" in block, url  # no raw backtick in inline data
        assert_text_only(url, body)


def test_a_payload_date_in_a_day_url_is_a_404_not_an_echo(app, client, tour):
    create_user("coord@example.org", "correct horse battery")
    client.post("/login", data={"email": "coord@example.org", "password": "correct horse battery"})
    bad = "<script>alert(1)</script>"
    for url in (f"/admin/seasons/{tour['season'].name}/teams/west/days/{bad}",
                f"/admin/seasons/{tour['season'].name}/teams/west/days/{bad}/map",
                f"/feeds/{tour['feed']}/days/{bad}/map"):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert_text_only(url, response.get_data(as_text=True))


def test_fixture_really_stored_the_payloads(app, tour):
    """Guard for the tests above: the payload is in the database as typed, not cleaned on the way in."""
    first = tour["visits"][0]
    assert first.request.venue.name == PAYLOAD and first.request.contact_name == PAYLOAD
    assert tour["teams"]["west"].members[-1].name == PAYLOAD
    assert first.start_dt.date() >= dt.date(2027, 2, 22)
