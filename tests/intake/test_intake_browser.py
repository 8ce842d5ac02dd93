"""The request form in a real headless Chromium sized like a phone (390 px): fits, adds rows in one click, submits."""

from __future__ import annotations

import base64
import datetime as dt
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tourplanner.extensions import db
from tourplanner.models import Request
from tests.support.browser import chromium, wait_for_script
from tests.support.intake import season_start

pytestmark = pytest.mark.slow
SCREENSHOT_DIR = os.environ.get("INTAKE_SCREENSHOT_DIR")  # set it to keep the phone screenshots for a look


@pytest.fixture
def phone(app, make_season, chromium_paths, tmp_path):
    """The app on a free port and a Chromium emulating a 390 px wide phone."""
    start = make_season(name="spring", start_date=season_start()).start_date
    db.session.close()  # SQLite: every transaction takes the write lock, so the test holds none while the server works
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_HOST"] = f"127.0.0.1:{server.server_port}"  # the private link the app writes points here
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["PUBLIC_HOST"] = f"127.0.0.1:{server.server_port}"  # the links in pages lead back to this server
    browser = chromium(chromium_paths, tmp_path / "profile")
    browser.set_page_load_timeout(30)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    try:
        yield f"http://127.0.0.1:{server.server_port}", browser, start
    finally:
        browser.quit()
        server.shutdown()


def screenshot(browser, name: str, tmp_path: Path) -> Path:
    """A full-page PNG (kept in INTAKE_SCREENSHOT_DIR when set)."""
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def set_value(browser, name: str, value: str) -> None:
    """Date and time inputs take their value the way the picker would set it."""
    browser.execute_script(
        "const el = document.getElementsByName(arguments[0])[0]; el.value = arguments[1];"
        "el.dispatchEvent(new Event('change', {bubbles: true}));", name, value)


def test_form_fits_a_phone_adds_a_row_in_one_click_and_submits(phone, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, browser, first = phone
    browser.get(base + "/request")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    widths = browser.execute_script(
        "return [...document.querySelectorAll('form.intake input:not([type=checkbox]), form.intake select,"
        " form.intake button')].filter(e => e.offsetParent).map(e => e.getBoundingClientRect().right)")
    assert max(widths) <= 390
    assert screenshot(browser, "intake-form-390", tmp_path).stat().st_size > 10_000

    browser.execute_script("window.__samePage = true")
    assert len(browser.find_elements(By.CSS_SELECTOR, "fieldset.window-row")) == 3
    browser.find_element(By.CSS_SELECTOR, "button.add-row").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "fieldset.window-row")
    assert len(rows) == 4 and browser.execute_script("return window.__samePage") is True  # no reload
    assert rows[3].find_element(By.CSS_SELECTOR, "legend").text == "Row 4"
    assert browser.switch_to.active_element.get_attribute("name") == "windows-3-first_date"
    checked = [b.get_attribute("value") for b in rows[3].find_elements(By.CSS_SELECTOR, "input[type=checkbox]") if b.is_selected()]
    assert checked == ["mon", "tue", "wed", "thu", "fri"]

    Select(browser.find_element(By.NAME, "country")).select_by_value("CA")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=region]").text == "Province or territory"
    assert browser.execute_script("return document.querySelector('optgroup[data-country=US]').disabled") is True
    Select(browser.find_element(By.NAME, "region")).select_by_value("QC")
    for name, value in {"venue_name": "École Saint-Jean", "contact_name": "Geneviève Côté",
                        "contact_email": "gcote@example.ca", "contact_phone": "450 555 0199",
                        "city": "Saint-Jean-sur-Richelieu", "postal_code": "J3B 1A1"}.items():
        browser.find_element(By.NAME, name).send_keys(value)
    set_value(browser, "windows-0-first_date", first.isoformat())
    set_value(browser, "windows-0-last_date", (first + dt.timedelta(days=11)).isoformat())
    set_value(browser, "windows-0-start_time", "09:00")
    set_value(browser, "windows-0-end_time", "15:00")
    set_value(browser, "windows-3-first_date", (first + dt.timedelta(days=21)).isoformat())
    set_value(browser, "windows-3-last_date", (first + dt.timedelta(days=22)).isoformat())
    set_value(browser, "windows-3-start_time", "18:00")
    set_value(browser, "windows-3-end_time", "21:00")
    browser.find_element(By.CSS_SELECTOR, "button[name=send]").click()
    wait_for_script(browser, "return document.querySelector('.place-label, ul.errors') !== null")
    assert not browser.find_elements(By.CSS_SELECTOR, "ul.errors"), browser.find_element(By.CSS_SELECTOR, "ul.errors").text
    assert "Saint-Jean-sur-Richelieu, QC" in browser.find_element(By.CSS_SELECTOR, ".place-label").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # the long link wraps
    screenshot(browser, "intake-thanks-390", tmp_path)
    link = browser.find_element(By.CSS_SELECTOR, ".private-link a").get_attribute("href")

    req = db.session.scalar(select(Request))
    assert req.venue.name == "École Saint-Jean" and req.venue.region == "QC"
    assert [(w.first_date, w.start_time) for w in req.windows] == [(first, dt.time(9)), (first + dt.timedelta(days=21), dt.time(18))]
    db.session.close()

    browser.get(link)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot(browser, "intake-status-390", tmp_path)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert not errors, errors  # no CSP violation, no script error


def test_without_javascript_the_add_row_button_posts_and_comes_back_with_one_more(phone):
    from selenium.webdriver.common.by import By

    base, browser, _ = phone
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(base + "/request")
    browser.find_element(By.NAME, "venue_name").send_keys("Grace Church")
    browser.find_element(By.CSS_SELECTOR, "button.add-row").click()
    wait_for_script(browser, "return document.querySelectorAll('fieldset.window-row').length === 4")
    assert browser.find_element(By.NAME, "venue_name").get_attribute("value") == "Grace Church"
    assert db.session.scalar(select(Request)) is None


def test_a_refused_send_puts_a_summary_first_that_leads_to_each_bad_field(phone):
    from selenium.webdriver.common.by import By

    base, browser, first = phone
    browser.get(base + "/request")
    browser.find_element(By.NAME, "venue_name").send_keys("Grace Church")
    set_value(browser, "windows-1-first_date", first.isoformat())  # a half-filled second row
    browser.find_element(By.CSS_SELECTOR, "button[name=send]").click()
    wait_for_script(browser, "return document.getElementById('error-summary') !== null")
    summary = browser.find_element(By.ID, "error-summary")
    assert browser.switch_to.active_element == summary  # read first, and in view: no second blind press of Send
    assert browser.execute_script("return arguments[0].getBoundingClientRect().top", summary) < 844
    links = {a.text: a.get_attribute("href").split("#")[1] for a in summary.find_elements(By.TAG_NAME, "a")}
    assert links["Row 2, last day: Enter the last day."] == "windows-1-last_date"
    assert links["Your name: Enter your name."] == "contact_name"
    summary.find_element(By.PARTIAL_LINK_TEXT, "Row 2, last day").click()
    assert browser.switch_to.active_element.get_attribute("name") == "windows-1-last_date"


def test_the_form_names_rest_days_and_this_states_holidays_and_warns_about_a_row_of_them(phone):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tourplanner import intake
    from tourplanner.models import Season

    base, browser, first = phone
    season = db.session.scalar(select(Season))
    holidays = intake.tour_holidays(season, "US", "DC")
    db.session.close()
    browser.get(base + "/request")
    note = browser.find_element(By.ID, "tour-days").text
    assert "The team rests on Sundays and does not screen on public holidays." in note
    Select(browser.find_element(By.NAME, "region")).select_by_value("DC")
    note = browser.find_element(By.ID, "tour-days").text
    if holidays:
        day, name = holidays[0]
        assert f"Public holidays during the tour in DC: {day:%a %b} {day.day}: {name}" in note
    else:
        assert "No public holiday falls in the tour in DC." in note
    sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
    set_value(browser, "windows-0-first_date", sunday.isoformat())
    set_value(browser, "windows-0-last_date", sunday.isoformat())
    for box in browser.find_elements(By.CSS_SELECTOR, "fieldset.window-row[data-index='0'] input[type=checkbox]"):
        if box.is_selected() != (box.get_attribute("value") == "sun"):
            box.click()
    wait_for_script(browser, "return document.querySelector('.row-warning') !== null")
    assert "all rest days or public holidays" in browser.find_element(By.CSS_SELECTOR, ".row-warning").text
