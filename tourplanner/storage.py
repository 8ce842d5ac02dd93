"""Database connection settings: SQLite done right (WAL, foreign keys, waits instead of failing)."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15000
_installed = False


def _on_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Autocommit at the driver level so that our own BEGIN IMMEDIATE below is the only BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _on_begin(connection):
    if connection.dialect.name == "sqlite":
        # Take the write lock at the start: a second writer then waits busy_timeout for it,
        # where a deferred transaction upgrading later would fail at once with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def install_sqlite_pragmas() -> None:
    """Listen on every engine once; PostgreSQL connections pass through untouched."""
    global _installed
    if _installed:
        return
    event.listen(Engine, "connect", _on_connect)
    event.listen(Engine, "begin", _on_begin)
    _installed = True


def commit_keeping_loaded(session) -> None:
    """Commit without expiring what is loaded: for a write whose page and email read the rows just stored,
    which would otherwise be read back one lazy load at a time (five queries per public form post)."""
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
