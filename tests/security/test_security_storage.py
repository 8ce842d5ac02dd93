"""security.md item 15 on the app's own engine (test_storage.py checks a bare engine): the pragmas and BEGIN
IMMEDIATE are on every connection the app opens, so two coordinators saving at once wait instead of failing."""

import threading
import time

import pytest
from sqlalchemy import text

from tourplanner.extensions import db
from tourplanner.models import Season


def test_app_connections_read_back_the_pragmas_and_write_transactions_begin_immediately(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; PostgreSQL has its own locking")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    import datetime as dt

    holding = threading.Event()
    errors = []

    def first_coordinator():
        with app.app_context():
            try:
                db.session.add(Season(name="first", start_date=dt.date(2027, 2, 1)))
                db.session.flush()  # the write lock is held from BEGIN IMMEDIATE on
                holding.set()
                time.sleep(1.0)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
                holding.set()

    thread = threading.Thread(target=first_coordinator)
    thread.start()
    holding.wait(10)
    started = time.monotonic()
    with app.app_context():
        db.session.add(Season(name="second", start_date=dt.date(2027, 9, 6)))
        db.session.commit()  # waits for the first instead of "database is locked"
    waited = time.monotonic() - started
    thread.join()
    assert not errors
    assert waited > 0.5
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM season ORDER BY id")).scalars().all() == ["first", "second"]
