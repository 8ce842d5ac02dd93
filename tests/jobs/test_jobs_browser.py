"""The job page in a real headless Chromium: "Plan season" answers at once and the progress updates without reload."""

from __future__ import annotations

import threading
import uuid

import pytest
from werkzeug.serving import make_server

from tests.support.browser import chromium, wait_for_script
from tests.support.seasons import SPRINGFIELD, add_busy_requests
from tourplanner import jobs
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import Team

pytestmark = pytest.mark.slow


@pytest.fixture
def served(app, make_season, make_request, chromium_paths, tmp_path):
    """A season ready to plan, the app on a free port (embedded worker), and a browser."""
    import datetime as dt

    app.config.update(REDIS_URL=None, HUEY_NAME=f"b{uuid.uuid4().hex[:8]}", JOB_HEARTBEAT_SECONDS=0.3)
    season = make_season(name="march", start_date=dt.date(2027, 3, 1), weeks=2)
    db.session.add(Team(season=season, slug="east", name="East", base_name="Springfield, IL", base_lat=39.7817,
                        base_lon=-89.6501, base_tz="America/Chicago"))
    for ref, name, lat, lon in SPRINGFIELD:
        make_request(season, ref=ref, status="approved", venue_name=name, lat=lat, lon=lon)
    add_busy_requests(season, 200)  # enough work that the solver runs its whole time limit (it stops early on small seasons)
    create_user("coord@example.org", "correct horse battery")
    db.session.close()  # SQLite: the test holds no transaction while the server and the worker write
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = chromium(chromium_paths, tmp_path / "profile")
    browser.set_page_load_timeout(30)
    try:
        yield f"http://127.0.0.1:{server.server_port}", browser
    finally:
        browser.quit()
        server.shutdown()
        jobs.stop_embedded_worker(app)


def test_plan_season_shows_live_progress_without_reload_then_the_result(served):
    from selenium.webdriver.common.by import By

    base, browser = served
    browser.get(base + "/login?next=/admin/seasons/march/plans")
    browser.find_element(By.NAME, "email").send_keys("coord@example.org")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for_script(browser, "return location.pathname === '/admin/seasons/march/plans'")

    limit = browser.find_element(By.NAME, "time_limit_s")
    limit.clear()
    limit.send_keys("10")
    browser.find_element(By.XPATH, "//button[normalize-space()='Plan season']").click()
    wait_for_script(browser, "return /^\\/admin\\/jobs\\/\\d+$/.test(location.pathname)")  # reload-safe address
    browser.execute_script("window.__samePage = true")

    # Best-so-far figures arrive by polling while the page stays the same document.
    progress = wait_for_script(browser, """
        const served = document.querySelector('[data-field=served]').textContent;
        const bar = document.querySelector('progress[data-field=percent]');
        return window.__samePage === true && /^\\d+$/.test(served) && bar.value > 0 && bar.value < 100
            ? {served: served, percent: bar.value, status: document.querySelector('[data-field=status]').textContent}
            : null;""", timeout=60)
    assert progress["status"] == "running"
    assert browser.find_element(By.CSS_SELECTOR, "[data-field=of]").text == "of 203"

    # When the job is done the page shows the result (a fresh load of the job page).
    wait_for_script(browser, "return document.body.textContent.includes('Result: version 1')", timeout=60)
    assert browser.execute_script("return window.__samePage") is None
    assert 3 <= int(browser.find_element(By.CSS_SELECTOR, "[data-field=served]").text) <= 203
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == []  # no CSP or script error
