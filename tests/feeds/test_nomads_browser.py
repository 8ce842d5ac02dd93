"""A Nomad on a phone (390 px, real Chromium, no login): calendar event -> day page -> day map."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from werkzeug.serving import make_server

from tests.support.browser import chromium, page_errors, wait_for_script
from tourplanner import feeds
from tourplanner.extensions import db
from tourplanner.models import Overnight, Plan, Request, Season, Team, TeamMember, Venue, Visit

pytestmark = pytest.mark.slow
UTC = dt.timezone.utc
CHICAGO = ZoneInfo("America/Chicago")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DAY = dt.date(2027, 2, 2)


def local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), CHICAGO).astimezone(UTC)


def seed_day() -> dict:
    """Team North on Tue Feb 2: from Springfield to two schools with long names, sleeping at the second."""
    season = Season(name="spring-2027", start_date=dt.date(2027, 2, 1), weeks=11)
    team = Team(season=season, slug="north", name="North", colour="#1f77b4", base_name="Springfield, IL",
                base_lat=39.7817, base_lon=-89.6501, base_tz="America/Chicago")
    team.members = [TeamMember(name="Nomad Nora", email="nora@example.org")]
    plan = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2027, 1, 20, tzinfo=UTC))
    stops = [
        ("Springfield Southeast High School", "Springfield", 39.7817, -89.6501, local(DAY - dt.timedelta(days=1), 10), 0, 0),
        ("Peoria Richwoods Community High School Auditorium", "Peoria", 40.6936, -89.5890, local(DAY, 9), 115.0, 85),
        ("Bloomington Normal Community Church Fellowship Hall", "Bloomington", 40.4842, -88.9937, local(DAY, 14), 62.0, 50),
    ]
    visits = []
    for i, (name, city, lat, lon, start, km, minutes) in enumerate(stops):
        venue = Venue(name=name, type="high_school", street=f"{100 + i} Main St", city=city, region="IL", country="US",
                      postal_code="61600", lat=lat, lon=lon, tz="America/Chicago", geocode_source="given",
                      geocode_precision="given")
        request = Request(season=season, venue=venue, ref=f"n{i}", contact_name="Pat Rivera",
                          contact_email=f"pat{i}@example.org", contact_phone="+1 309 555 0100", audience=120 + i,
                          status="scheduled")
        visits.append(Visit(plan=plan, request=request, team=team, start_dt=start, end_dt=start + dt.timedelta(minutes=90),
                            order=i, drive_km_before=km, drive_minutes_before=minutes))
    nights = [(DAY - dt.timedelta(days=1), 39.7817, -89.6501, "Springfield, IL"), (DAY, 40.4842, -88.9937, "Bloomington, IL")]
    db.session.add_all([season, team, plan, *visits])
    db.session.add_all([Overnight(plan=plan, team=team, day=d, lat=lat, lon=lon, town=t) for d, lat, lon, t in nights])
    db.session.commit()
    token = feeds.issue_token(season, "member", member=team.members[0], now=dt.datetime(2027, 1, 21, tzinfo=UTC))
    return {"season": season, "team": team, "token": token, "visits": visits}


@pytest.fixture
def phone(app, chromium_paths, tmp_path):
    """The app on a free port that is also its PUBLIC_HOST, and a 390 px wide phone browser, not logged in."""
    data = seed_day()
    feeds.clear_cache()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_HOST"] = f"127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    db.session.rollback()
    browser = chromium(chromium_paths, tmp_path / "profile")
    browser.set_page_load_timeout(30)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        yield f"http://127.0.0.1:{server.server_port}", browser, data
    finally:
        browser.quit()
        server.shutdown()


RECTS = """
const r = (el) => { const b = el.getBoundingClientRect(); return {l: b.left, r: b.right, t: b.top, b: b.bottom}; };
const map = document.querySelector('.folium-map');
const stop2 = [...document.querySelectorAll('.tour-marker--stop')].find(e => e.textContent.trim() === '2');
const s2 = r(stop2);
const top = document.elementFromPoint((s2.l + s2.r) / 2, (s2.t + s2.b) / 2);
return {map: r(map), labels: [...document.querySelectorAll('.tour-label')].map(r),
        legend: r(document.querySelector('.tour-legend')), scale: r(document.querySelector('.leaflet-control-scale')),
        attribution: r(document.querySelector('.leaflet-control-attribution')),
        bedLabel: [...document.querySelectorAll('.tour-label')].map(e => e.textContent).find(t => t.startsWith('2.')),
        stop2OnTop: stop2.contains(top), tiles: [...document.querySelectorAll('img.leaflet-tile')].map(i => i.referrerPolicy),
        width: document.documentElement.scrollWidth};
"""


def overlap(a, b) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def test_a_nomad_goes_from_a_calendar_event_to_the_day_page_and_the_day_map_on_a_phone(phone):
    from selenium.webdriver.common.by import By

    base, browser, data = phone
    with urllib.request.urlopen(f"{base}/feeds/{data['token']}.ics", timeout=30) as response:
        calendar = Calendar.from_ical(response.read())
    event = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("Screening: Peoria"))
    url = str(event["URL"])
    assert url == f"{base}/feeds/{data['token']}/days/2027-02-02"  # the public host, the member's own token

    browser.get(url)  # what tapping the event's link does: no login on the way
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "North, Tuesday February 2, 2027" in text
    assert "09:00–10:30 CST: Peoria Richwoods Community High School Auditorium" in text
    assert "Drive 115 km, 1 h 25 min from Springfield, IL to Peoria, IL: leave 07:05, arrive by 08:30 CST." in text
    assert "Pat Rivera, +1 309 555 0100" in text and "Bloomington, IL" in text.split("Where to sleep")[1]
    assert "/login" not in browser.current_url
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # nothing off the side
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "nomad-day.png"))

    browser.find_element(By.CSS_SELECTOR, "a[aria-label='Map of the day']").click()
    wait_for_script(browser, "return document.querySelector('.folium-map[data-tour-markers]')")
    wait_for_script(browser, "return document.querySelectorAll('.tour-label').length === 3")  # start and two stops
    wait_for_script(browser, "return document.querySelectorAll('path.tour-outline').length > 60")
    assert browser.current_url == f"{base}/feeds/{data['token']}/days/2027-02-02/map"
    browser.save_screenshot(str(SCREENSHOTS / "nomad-day-map.png"))
    found = browser.execute_script(RECTS)
    box = found["map"]
    for label in found["labels"]:  # every label inside the map, none cut at an edge or under the attribution
        assert box["l"] <= label["l"] and label["r"] <= box["r"] and box["t"] <= label["t"], (label, box)
        assert not overlap(label, found["attribution"]) and not overlap(label, found["legend"]), label
    for a, b in zip(found["labels"], found["labels"][1:]):
        assert not overlap(a, b)
    assert found["bedLabel"].endswith("14:00 · sleep here")  # the bed is at stop 2: its label says so
    assert found["stop2OnTop"], "stop 2 is hidden under the night marker"
    assert not overlap(found["legend"], found["scale"]), "the legend covers the scale"
    assert not overlap(found["attribution"], found["scale"]), "the attribution covers the scale"
    assert found["tiles"] and set(found["tiles"]) == {"strict-origin-when-cross-origin"}
    assert found["width"] <= 390
    browser.find_element(By.LINK_TEXT, "Today").click()  # the page the feed link opens in a browser
    wait_for_script(browser, "return document.body.innerText.includes('The first days')"
                      " || document.body.innerText.includes('Today and the coming days')")
    assert "Peoria Richwoods Community High School Auditorium, Peoria" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.save_screenshot(str(SCREENSHOTS / "nomad-today.png"))
    errors = page_errors(browser)
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
