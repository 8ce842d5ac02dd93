"""Debian's Chromium through chromedriver, headless and cut off from everything but 127.0.0.1."""

from __future__ import annotations

from tests.support.accounts import EMAIL, PASSWORD
from tests.support.wait import wait_for


NO_ALERTS = """
window.__alerts = [];
['alert', 'confirm', 'prompt'].forEach(function (name) {
  window[name] = function (message) { window.__alerts.push(name + ':' + String(message)); return null; };
});
"""


def chromium(paths, profile_dir):
    """Debian's chromium through its chromedriver: headless, fresh profile, nothing but 127.0.0.1 reachable."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        f"--user-data-dir={profile_dir}", "--window-size=1280,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",  # anything not on loopback goes to a closed port
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    session.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_ALERTS})
    return session


def page_errors(browser) -> list[str]:
    """Console errors other than the tiles the cut network cannot fetch."""
    return [
        entry["message"] for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "tile.openstreetmap.org" not in entry["message"]
    ]


def wait_for_script(browser, script, timeout=30.0):
    """The first truthy value the script returns in the page, polled until `timeout` seconds."""
    return wait_for(lambda: browser.execute_script(script), timeout, script)


def browser_login(base, browser, email=EMAIL, password=PASSWORD):
    """Log in through the login page, as a coordinator would."""
    from selenium.webdriver.common.by import By

    browser.get(base + "/login")
    browser.find_element(By.NAME, "email").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for_script(browser, "return !location.pathname.startsWith('/login')")
