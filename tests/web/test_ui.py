"""What a coordinator and a venue see: words instead of codes, a way back to the season, pages that fit a phone."""

from __future__ import annotations

import re
import tempfile
import threading

import pytest
from werkzeug.serving import make_server

from tests.support.maps import seed_tour
from tests.support.accounts import EMAIL, PASSWORD, as_coordinator

SEASON_PAGES = [
    "/admin/seasons/spring-2027/plans",
    "/admin/seasons/spring-2027/setup",
    "/admin/seasons/spring-2027/import",
    "/admin/seasons/spring-2027/feeds",
    "/admin/seasons/spring-2027/map",
    "/admin/seasons/spring-2027/review",
    "/admin/seasons/spring-2027/review/weeks",
]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_every_coordinator_page_reaches_the_seasons_the_queue_and_its_season(client, db_session):
    seed_tour(db_session)
    as_coordinator(client)
    for url in ["/admin/", "/admin/requests", *SEASON_PAGES]:
        page = client.get(url).get_data(as_text=True)
        assert 'href="/admin/"' in page and ">Seasons</a>" in page, url
        assert ">Requests queue</a>" in page, url
        if url.startswith("/admin/seasons/"):
            assert 'href="/admin/seasons/spring-2027"' in page, f"{url} has no way back to the season overview"


def test_season_overview_speaks_in_words_and_links_each_area(client, db_session):
    seed_tour(db_session)
    as_coordinator(client)
    response = client.get("/admin/seasons/spring-2027")
    text = text_of(response)
    assert "high_school" not in text and "submitted" not in text
    for words in ("Plan v1 published", "Review the latest plan", "Week grid of all teams", "Review new requests",
                  "Import requests (CSV)", "Map of the requests", "Calendar feeds for Nomads"):
        assert words in text, words


def test_error_pages_say_what_happened_in_plain_words(client):
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Page not found" in text_of(missing) and "Back to the home page" in text_of(missing)


def test_login_page_tells_venues_they_need_no_account(client):
    text = text_of(client.get("/login"))
    assert "Venues need no account" in text and "request a screening" in text


def test_pages_fit_a_phone_without_sideways_scrolling(app, db_session, chromium_paths):
    """At 390 px the page itself never scrolls sideways: wide tables scroll inside their wrapper."""
    from tests.support.browser import browser_login, chromium

    seed_tour(db_session)
    from tourplanner.accounts import create_user

    create_user(EMAIL, PASSWORD, "Coordinator")
    db_session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    browser = chromium(chromium_paths, tempfile.mkdtemp())
    try:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        browser_login(base, browser)  # it waits for the login to land before the next get() can race the POST
        widths = {}
        for url in ["/", "/request", "/admin/", "/admin/seasons/spring-2027", *SEASON_PAGES[:4],
                    "/admin/seasons/spring-2027/review"]:
            browser.get(base + url)
            assert "Coordinator login" not in browser.title, f"{url} sent the browser to the login page"
            widths[url] = browser.execute_script(
                "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        too_wide = {url: w for url, w in widths.items() if w[0] > w[1] + 1}
        assert too_wide == {}, f"pages wider than a phone (scrollWidth, clientWidth): {too_wide}"
    finally:
        browser.quit()
        server.shutdown()
