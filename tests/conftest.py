"""Shared fixtures: a real SQLite file per test, or the real PostgreSQL with TEST_DATABASE=postgresql."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest

from tests.support.accounts import as_coordinator
from tests.support.apps import ClosingClient
from tests.support.databases import DATABASE, drop_postgres, postgres_url
from tests.support.outside import need
from tests.support.seasons import SPRINGFIELD
from tourplanner import create_app
from tourplanner.extensions import db
from tourplanner.models import Team

DB_FIXTURES = {"app", "client", "runner", "db_session"}


def pytest_collection_modifyitems(config, items):
    """Every test that touches the app's database is marked `database` and runs again on PostgreSQL."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)


def pytest_configure(config):
    config.addinivalue_line("markers", "database: uses the app database (run on SQLite and PostgreSQL)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "serial: restarts shared services; runs alone after the parallel suite")
    config.addinivalue_line("markers", "repairs_expected: the test makes solve repair a plan on purpose")


@pytest.fixture(autouse=True)
def solves_unrepaired(request, caplog):
    """Every test that solves fails when solve's safety net fired (it dropped visits the checker rejected).

    The net stays in production, visible on the job and review pages; in tests a repair is a bug of the
    search or the checker. A test of the net itself is marked `repairs_expected`."""
    yield
    if request.node.get_closest_marker("repairs_expected"):
        return
    repaired = [r.getMessage() for r in caplog.get_records("call")
                if r.name == "tourplanner.optimize.solve" and r.getMessage().startswith("plan repaired")]
    assert repaired == [], repaired


@pytest.fixture
def database_url(tmp_path, worker_id):
    """A database of the kind under test, empty, used by this test alone."""
    if DATABASE == "postgresql":
        name = f"tp_test_{worker_id}_{uuid.uuid4().hex[:8]}"
        url = postgres_url(name)
        yield url
        drop_postgres(name)
    else:
        yield f"sqlite:///{tmp_path / 'tourplanner.sqlite'}"


@pytest.fixture
def worker_id(request):
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def app_config(tmp_path, database_url):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "INSTANCE_FOLDER": str(instance),
        "PUBLIC_HOST": "tour.test",
    }


@pytest.fixture
def app(app_config, monkeypatch, tmp_path):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app(app_config)
    app.test_client_class = ClosingClient
    with app.app_context():
        db.create_all()
        yield app
        from tourplanner.jobs import stop_embedded_worker

        stop_embedded_worker(app)  # the job consumer thread a test may have started ends with its app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def engines_closed():
    """Apps a test builds besides the `app` fixture's (a production app, a second app on the same database)
    keep pooled connections open until the garbage collector finds them, and psycopg's ResourceWarning then
    fails whichever later test runs: every engine is closed when its test ends (dispose keeps it usable).
    Flask-SQLAlchemy keeps them per app in `_app_engines` (no public list)."""
    yield
    for engines in list(db._app_engines.values()):
        for engine in engines.values():
            engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app):
    return db.session


@pytest.fixture
def make_season(app):
    """Factory: a season with defaults that a test overrides by keyword."""
    from tourplanner.models import Season

    def make(**kw):
        season = Season(
            name=kw.pop("name", f"season-{uuid.uuid4().hex[:6]}"),
            start_date=kw.pop("start_date", dt.date(2027, 2, 1)),
            weeks=kw.pop("weeks", 11),
            **kw,
        )
        db.session.add(season)
        db.session.commit()
        return season

    return make


@pytest.fixture
def make_request(app, make_season):
    """Factory: a request with its venue and one weekday window; keywords override."""
    from tourplanner.models import AvailabilityWindow, Request, Venue

    def make(season=None, **kw):
        season = season or make_season()
        venue = kw.pop("venue", None) or Venue(
            name=kw.pop("venue_name", "Lincoln High School"),
            type=kw.pop("venue_type", "high_school"),
            city=kw.pop("city", "Springfield"),
            region=kw.pop("region", "IL"),
            country=kw.pop("country", "US"),
            postal_code=kw.pop("postal_code", "62701"),
            lat=kw.pop("lat", 39.7817),
            lon=kw.pop("lon", -89.6501),
            tz=kw.pop("tz", "America/Chicago"),
            geocode_source="given",
            geocode_precision="given",
        )
        windows = kw.pop("windows", None) or [
            AvailabilityWindow(
                first_date=season.start_date,
                last_date=season.end_date,
                weekdays="mon,tue,wed,thu,fri",
                start_time=dt.time(9, 0),
                end_time=dt.time(15, 0),
            )
        ]
        request = Request(
            season=season,
            venue=venue,
            ref=kw.pop("ref", f"r{uuid.uuid4().hex[:6]}"),
            contact_email=kw.pop("contact_email", "teacher@example.org"),
            windows=windows,
            **kw,
        )
        db.session.add(request)
        db.session.commit()
        return request

    return make


@pytest.fixture
def coordinator(client):
    """The test client, logged in as a new coordinator."""
    return as_coordinator(client)


@pytest.fixture
def season(make_season, make_request):
    """Two weeks of March 2027, one team based in Springfield, IL, three approved requests a few km away.

    (In intake/, `season` is the season open for requests instead: intake/conftest.py.)"""
    season = make_season(name="march", start_date=dt.date(2027, 3, 1), weeks=2)
    db.session.add(Team(season=season, slug="east", name="East", base_name="Springfield, IL", base_lat=39.7817,
                        base_lon=-89.6501, base_tz="America/Chicago"))
    for ref, name, lat, lon in SPRINGFIELD:
        make_request(season, ref=ref, status="approved", venue_name=name, lat=lat, lon=lon,
                     contact_email=f"{ref}@example.org")
    db.session.commit()
    return season


@pytest.fixture(scope="session")
def chromium_paths():
    """Paths of Debian's Chromium and chromedriver, or a skip (a failure in CI)."""
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    need(bool(browser and driver), "Debian chromium and chromium-driver are not installed (make system-deps)")
    return browser, driver
