"""The public tour page and calendar: listed screenings only, by state and province, in local time, nothing private."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from icalendar import Calendar

from tourplanner.extensions import db
from tourplanner.models import Overnight, Plan, Request, Season, Team, Venue, Visit

UTC = dt.timezone.utc
SECRETS = ("Zed Contact", "zed@example.org", "+1 602 555 0199", "742 Secret St", "Gym door", "85004")


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def tour(app):
    today = dt.date.today()
    season = Season(name="now", start_date=today - dt.timedelta(days=today.weekday()), weeks=11)
    team = Team(season=season, slug="west", name="West", base_name="Phoenix, AZ", base_lat=33.45, base_lon=-112.07,
                base_tz="America/Phoenix")
    plan = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2026, 12, 1, tzinfo=UTC))
    draft = Plan(season=season, number=2, status="draft")
    start = dt.datetime.combine(season.start_date + dt.timedelta(days=8), dt.time(17), UTC)

    def screening(ref, name, city, region, country, tz, listed, *, status="scheduled", cancelled=False, day=0, in_plan=plan):
        venue = Venue(name=name, type="high_school", street="742 Secret St", city=city, region=region, country=country,
                      postal_code="85004", lat=33.45 + day, lon=-112.07 + day, tz=tz, geocode_source="given",
                      geocode_precision="given")
        request = Request(season=season, venue=venue, ref=ref, contact_name="Zed Contact", contact_email="zed@example.org",
                          contact_phone="+1 602 555 0199", notes="Gym door", status=status, list_on_tour_page=listed)
        visit = Visit(plan=in_plan, request=request, team=team, start_dt=start + dt.timedelta(days=day),
                      end_dt=start + dt.timedelta(days=day, minutes=90), order=day, cancelled=cancelled)
        db.session.add(visit)
        return visit

    listed = screening("a", "Desert Vista High", "Phoenix", "AZ", "US", "America/Phoenix", True)
    quebec = screening("b", "École Saint-Jean", "Québec", "QC", "CA", "America/Toronto", True, status="confirmed", day=1)
    screening("c", "Unlisted Academy", "Tucson", "AZ", "US", "America/Phoenix", False, day=2)
    screening("d", "Cancelled Chapel", "Mesa", "AZ", "US", "America/Phoenix", True, status="cancelled", cancelled=True, day=3)
    screening("e", "Draft Only Hall", "Tempe", "AZ", "US", "America/Phoenix", True, day=4, in_plan=draft)
    db.session.add_all([season, team, plan, draft,
                        Overnight(plan=plan, team=team, day=season.start_date, lat=35.2, lon=-111.6, town="Flagstaff, AZ")])
    db.session.commit()
    return {"listed": listed, "quebec": quebec}


def test_tour_page_lists_only_agreed_published_screenings_by_state_in_local_time(client, tour):
    response = client.get("/tour")
    assert response.status_code == 200
    page = text(response)
    listed = tour["listed"].start_dt.astimezone(__import__("zoneinfo").ZoneInfo("America/Phoenix"))
    assert f"Arizona {listed:%a %b} {listed.day}, 10:00–11:30 MST : Desert Vista High, Phoenix (to be confirmed)" in page
    quebec = tour["quebec"].start_dt.astimezone(__import__("zoneinfo").ZoneInfo("America/Toronto"))
    assert f"Quebec {quebec:%a %b} {quebec.day}, {quebec:%H:%M}–" in page and "École Saint-Jean, Québec" in page
    assert page.index("Arizona") < page.index("Quebec")  # states, then provinces
    for hidden in ("Unlisted Academy", "Cancelled Chapel", "Draft Only Hall", "Flagstaff", "West", *SECRETS):
        assert hidden not in page, hidden
    html = response.get_data(as_text=True)
    assert 'class="tour-map' in html and "/maps/assets/leaflet/" in html  # the offline map assets, as elsewhere


def test_tour_calendar_has_the_listed_screenings_and_nothing_private(client, tour):
    response = client.get("/tour.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert sorted((str(e["SUMMARY"]), e.decoded("DTSTART").astimezone(UTC)) for e in events) == sorted([
        ("Screening: Desert Vista High, Phoenix", tour["listed"].start_dt),
        ("Screening: École Saint-Jean, Québec", tour["quebec"].start_dt)])
    body = response.data.decode()
    for hidden in ("Unlisted", "Cancelled Chapel", "Draft Only", "West", "GEO:", *SECRETS):
        assert hidden not in body, hidden
    assert client.get("/tour.ics", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_with_nothing_listed_the_page_says_so(client, app):
    assert "No public screening is listed yet" in text(client.get("/tour"))


def test_the_request_form_asks_for_the_listing_and_it_is_off_unless_ticked(client, make_season):
    from sqlalchemy import select

    from tourplanner.models import now_utc

    today = now_utc().date()
    season = make_season(name="open", start_date=today + dt.timedelta(days=21 - today.weekday()))
    html = client.get("/request").get_data(as_text=True)
    assert 'name="list_on_tour_page"' in html and "checked" not in html.split('name="list_on_tour_page"')[1][:40]
    first = season.start_date.isoformat()
    base = {"venue_name": "Central High", "venue_type": "high_school", "contact_name": "Ana", "contact_email": "ana@example.org",
            "contact_phone": "602 555 0142", "country": "US", "region": "AZ", "city": "Phoenix", "postal_code": "85004",
            "audience": "300", "duration_minutes": "90", "windows-0-first_date": first,
            "windows-0-last_date": (season.start_date + dt.timedelta(days=20)).isoformat(),
            "windows-0-weekdays": ["mon", "tue"], "windows-0-start_time": "09:00", "windows-0-end_time": "15:00",
            "send": "1"}
    assert client.post("/request", data=base).status_code == 200
    assert client.post("/request", data={**base, "venue_name": "Listed High", "contact_email": "l@example.org",
                                         "list_on_tour_page": "y"}).status_code == 200
    listed = dict(db.session.execute(select(Venue.name, Request.list_on_tour_page).join(Request)).all())
    assert listed == {"Central High": False, "Listed High": True}
