"""Every map in a real headless Chromium, network cut except 127.0.0.1: routes and markers drawn, payloads inert."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.support.accounts import EMAIL, PASSWORD
from tests.support.browser import browser_login, chromium, page_errors, wait_for_script
from tests.support.maps import PAYLOAD_VENUE, seed_tour

pytestmark = pytest.mark.slow



@pytest.fixture
def live(app, db_session, chromium_paths, tmp_path):
    """The app on a free port with a seeded tour, and a browser pointed at it."""
    data = seed_tour(db_session)
    from tourplanner.accounts import create_user

    create_user(EMAIL, PASSWORD, "Coordinator")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = chromium(chromium_paths, tmp_path / "profile")
    browser.set_page_load_timeout(30)
    try:
        yield f"http://127.0.0.1:{server.server_port}", browser, data
    finally:
        browser.quit()
        server.shutdown()


COUNT = """
const q = (s) => document.querySelectorAll(s).length;
const clustered = [...document.querySelectorAll('.tour-cluster')].reduce((n, e) => n + Number(e.textContent), 0);
return {stop: q('.tour-marker--stop') + clustered, sleep: q('.tour-marker--sleep'), start: q('.tour-marker--start'),
        dot: q('.tour-marker--dot'), unserved: q('.tour-marker--unserved'), town: q('.tour-marker--town'),
        lines: q('path.tour-line'), circles: q('path.tour-circle'),
        grid: q('path.tour-grid'), gridLabels: q('.tour-grid-label'), alerts: window.__alerts};
"""


def load_map(base, browser, path, outlines=True):
    browser.get(base + path)
    wait_for_script(browser, "return document.querySelector('.folium-map[data-tour-markers]')")
    if outlines:  # 69 state/province outlines fetched from the app
        wait_for_script(browser, "return document.querySelectorAll('path.tour-outline').length > 60")
    return browser.execute_script(COUNT)


def test_every_map_draws_routes_and_markers_offline_and_payloads_stay_text(live):
    from selenium.webdriver.common.by import By

    base, browser, data = live
    home = load_map(base, browser, "/")  # public, no login
    assert home["town"] == 7 and home["lines"] == 0
    browser_login(base, browser)

    season = load_map(base, browser, "/admin/seasons/spring-2027/map?plan=1")
    assert season["stop"] == 7 and season["lines"] == 3
    assert browser.execute_script("return typeof L.markerClusterGroup") == "function"

    team = load_map(base, browser, "/admin/seasons/spring-2027/teams/north/map?plan=1")
    assert (team["stop"], team["sleep"], team["lines"]) == (4, 2, 2)  # a drive line per week
    # the week layers: switching week 2 off leaves week 1's two stops, two nights and one line
    browser.execute_script("document.querySelectorAll('.leaflet-control-layers-overlays input')[1].click()")
    after = browser.execute_script(COUNT)
    assert (after["stop"], after["sleep"], after["lines"]) == (2, 2, 1)

    day = load_map(base, browser, "/admin/seasons/spring-2027/teams/north/days/2027-02-01/map?plan=1")
    assert (day["start"], day["stop"], day["sleep"], day["lines"]) == (1, 1, 1, 2)
    assert day["grid"] >= 4 and day["gridLabels"] >= 2  # a labelled grid at this zoom too: readable without tiles
    browser.find_element(By.CSS_SELECTOR, ".tour-marker--stop").click()
    # Wait until the popup has drawn its text (an empty popup box can be in the page a moment before).
    popup = wait_for_script(browser, "const p = document.querySelector('.leaflet-popup-content');"
                              " return p && p.innerText.trim() ? p : null")
    assert PAYLOAD_VENUE in popup.get_attribute("textContent")  # shown exactly as typed...
    assert not popup.find_elements(By.TAG_NAME, "img")  # ...and not as markup
    assert browser.execute_script("return window.__alerts") == []

    requests = load_map(base, browser, "/admin/seasons/spring-2027/requests/map")
    assert (requests["dot"], requests["unserved"], requests["lines"]) == (7, 1, 1)

    nomads = load_map(base, browser, f"/feeds/{data['team_token']}/days/2027-02-01/map")
    assert (nomads["stop"], nomads["lines"]) == (1, 2)

    for counts in (home, season, team, day, requests, nomads):
        assert counts["alerts"] == []
    errors = page_errors(browser)
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors


def test_point_map_on_the_request_review_page(live, app):
    """The review page's small map (maps.point_map via the intake view) draws its pin and precision circle."""
    base, browser, _ = live
    assert "intake_admin.detail" in app.view_functions, "the request review page was renamed: update this test"
    from tourplanner.models import Request

    from tourplanner.extensions import db
    from sqlalchemy import select

    request_id = db.session.scalar(select(Request.id).where(Request.ref == "r1"))
    db.session.rollback()  # end the read, so the server thread can write
    browser_login(base, browser)
    counts = load_map(base, browser, f"/admin/requests/{request_id}")
    assert (counts["dot"], counts["circles"]) == (1, 1)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, ".tour-marker--dot")).perform()
    tip = wait_for_script(browser, "const el = document.querySelector('.leaflet-tooltip'); return el && el.textContent")
    assert PAYLOAD_VENUE in tip
    assert counts["alerts"] == [] and browser.execute_script("return window.__alerts") == []
