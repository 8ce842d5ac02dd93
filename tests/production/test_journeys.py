"""The three user journeys end to end, in Debian's headless Chromium, against the production mode.

A venue asks for a screening on a phone; a coordinator approves it, plans the season while watching the
progress bar, pins the visit and publishes; the venue sees its date and .ics; a Nomad's feed has the
event at the right UTC instant."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from icalendar import Calendar

from tests.support.browser import browser_login, chromium, wait_for_script
from tests.support.outside import need, port_open
from tests.support.production import ProductionServer, http

pytestmark = [pytest.mark.serial, pytest.mark.slow]
PASSWORD = "journey password 2027"


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    need(port_open("127.0.0.1", 5432) and port_open("127.0.0.1", 6379), "PostgreSQL and Redis are needed")
    server = ProductionServer(tmp_path_factory.mktemp("journey"), web_workers=2)
    server.start()
    server.python("from tourplanner.demo import build_demo_season\nbuild_demo_season('spring-2027', requests=6)")
    server.flask("create-user", "coord@example.org", "--password", PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def browser(chromium_paths, tmp_path):
    session = chromium(chromium_paths, tmp_path / "profile")
    session.set_page_load_timeout(60)
    yield session
    session.quit()


def fill(browser, name: str, value: str) -> None:
    """Type into a field, or set it directly for date and time inputs (their typing depends on the locale)."""
    from selenium.webdriver.common.by import By

    element = browser.find_element(By.NAME, name)
    if element.get_attribute("type") in ("date", "time"):
        browser.execute_script("arguments[0].value = arguments[1]", element, value)
    else:
        element.clear()
        element.send_keys(value)


def choose(browser, name: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, name)).select_by_value(value)


def query(server, code: str):
    return json.loads(server.python(code).splitlines()[-1])


def test_venue_coordinator_and_nomad_journeys(prod, browser):
    from selenium.webdriver.common.by import By

    base = prod.base
    # 1. A teacher on a phone asks for a screening.
    browser.set_window_size(390, 844)
    browser.get(base + "/request")
    fill(browser, "venue_name", "Journey High School")
    choose(browser, "venue_type", "high_school")
    fill(browser, "contact_name", "Jo Teacher")
    fill(browser, "contact_email", "jo.teacher@example.org")
    choose(browser, "country", "US")
    choose(browser, "region", "IL")
    fill(browser, "city", "Springfield")
    fill(browser, "postal_code", "62701")
    fill(browser, "audience", "250")
    fill(browser, "windows-0-first_date", "2027-02-01")
    fill(browser, "windows-0-last_date", "2027-02-26")
    fill(browser, "windows-0-start_time", "09:00")
    fill(browser, "windows-0-end_time", "15:00")
    browser.find_element(By.CSS_SELECTOR, "button[name=send]").click()
    wait_for_script(browser, "return document.body.innerText.includes('Springfield')", 60)
    status_link = browser.find_element(By.CSS_SELECTOR, "a[href*='/r/']").get_attribute("href")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 400  # fits the phone
    request_id = query(prod, "from sqlalchemy import select\nfrom tourplanner.models import Request\n"
                             "print(db.session.scalar(select(Request.id).where(Request.contact_email == "
                             "'jo.teacher@example.org')))")

    # 2. A coordinator logs in and approves it.
    browser.set_window_size(1280, 900)
    browser_login(base, browser, "coord@example.org", PASSWORD)
    browser.get(f"{base}/admin/requests/{request_id}")
    browser.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    wait_for_script(browser, "return document.body.innerText.toLowerCase().includes('approved')")

    # 3. Plans the season, watching the progress bar.
    browser.get(base + "/admin/seasons/spring-2027/plans")
    fill(browser, "time_limit_s", "8")
    browser.find_element(By.XPATH, "//button[normalize-space()='Plan season']").click()
    wait_for_script(browser, "return document.querySelector('#job progress')", 30)
    wait_for_script(browser, "return document.querySelector('#job').dataset.status === 'succeeded'", 240)
    visit = query(prod, "from sqlalchemy import select\nfrom tourplanner.models import Plan, Visit\nimport json\n"
                        f"v = db.session.scalar(select(Visit).join(Plan).where(Visit.request_id == {request_id})"
                        ".order_by(Plan.number.desc()))\n"
                        "print(json.dumps({'id': v.id, 'start': v.start_dt.isoformat(), 'end': v.end_dt.isoformat(),"
                        " 'plan': v.plan.number, 'plan_id': v.plan_id}))")

    # 4. Pins the visit (time and team).
    browser.get(f"{base}/admin/seasons/spring-2027/review/visits/{visit['id']}?plan={visit['plan']}")
    browser.find_element(By.XPATH, "//button[normalize-space()='Lock time and team']").click()
    wait_for_script(browser, "return document.body.innerText.includes('Locked ')", 30)

    # 5. Publishes.
    browser.get(base + "/admin/seasons/spring-2027/plans")
    browser.find_element(By.XPATH, "//a[normalize-space()='Publish…']").click()  # the step that says what happens
    wait_for_script(browser, "return document.body.innerText.includes('will be emailed')", 30)
    browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Publish v')]").click()
    wait_for_script(browser, "return document.body.innerText.includes('Published version')", 60)

    # 6. The venue's page shows the date, in its own zone, and an .ics with the same instant.
    start = dt.datetime.fromisoformat(visit["start"])
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("America/Chicago"))
    browser.get(status_link)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert local.strftime("%B") in page and str(local.day) in page, page
    ics_url = browser.find_element(By.XPATH, "//a[contains(., 'Add to calendar')]").get_attribute("href")
    status, _, body = http("GET", ics_url)
    events = [e for e in Calendar.from_ical(body).walk("VEVENT")]
    assert status == 200 and len(events) == 1
    assert events[0].decoded("DTSTART").astimezone(dt.timezone.utc) == start

    # 7. A Nomad subscribes: the coordinator issues a member link; the feed has the event at that instant.
    browser.get(base + "/admin/seasons/spring-2027/feeds")
    member_id = query(prod, "from tourplanner.models import Visit\n"
                            f"print(db.session.get(Visit, {visit['id']}).team.members[0].id)")
    member_form = browser.find_element(
        By.XPATH, f"//form[input[@name='kind' and @value='member'] and input[@name='target' and @value='{member_id}']]")
    member_form.find_element(By.TAG_NAME, "button").click()
    wait_for_script(browser, "return document.querySelector('#issued input')", 30)
    feed_url = browser.find_element(By.CSS_SELECTOR, "#issued input").get_attribute("value")
    path = feed_url.split("/feeds/", 1)[1]
    status, _, body = http("GET", f"{base}/feeds/{path}")
    assert status == 200
    feed = Calendar.from_ical(body)
    ours = [e for e in feed.walk("VEVENT") if "Journey High School" in str(e.get("SUMMARY"))]
    assert len(ours) == 1
    assert ours[0].decoded("DTSTART").astimezone(dt.timezone.utc) == start
    assert ours[0].decoded("DTEND").astimezone(dt.timezone.utc) == dt.datetime.fromisoformat(visit["end"])
