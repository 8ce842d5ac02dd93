"""SQLite done right (security.md item 15): pragmas on every connection, a second writer waits."""

import threading
import time

from sqlalchemy import create_engine, text

from tourplanner.storage import install_sqlite_pragmas


def sqlite_engine(path):
    install_sqlite_pragmas()
    return create_engine(f"sqlite:///{path}")


def test_every_sqlite_connection_reads_back_the_pragmas(tmp_path):
    engine = sqlite_engine(tmp_path / "p.sqlite")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    engine = sqlite_engine(tmp_path / "w.sqlite")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE booking (id INTEGER PRIMARY KEY, who TEXT)"))
    first_has_lock = threading.Event()
    order = []

    def first_writer():
        with engine.begin() as conn:  # BEGIN IMMEDIATE: holds the write lock from here
            conn.execute(text("INSERT INTO booking (who) VALUES ('first')"))
            first_has_lock.set()
            time.sleep(1.0)
            order.append("first committed")

    thread = threading.Thread(target=first_writer)
    thread.start()
    first_has_lock.wait(5)
    started = time.monotonic()
    with engine.begin() as conn:  # must wait about a second, then succeed
        conn.execute(text("INSERT INTO booking (who) VALUES ('second')"))
        order.append("second wrote")
    waited = time.monotonic() - started
    thread.join()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT who FROM booking ORDER BY id")).scalars().all()
    assert rows == ["first", "second"]
    assert order == ["first committed", "second wrote"]
    assert waited > 0.5


def test_foreign_keys_are_enforced(tmp_path):
    engine = sqlite_engine(tmp_path / "f.sqlite")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))"))
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO child (parent_id) VALUES (42)"))
