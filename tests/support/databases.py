"""The database kind under test (TEST_DATABASE) and throwaway PostgreSQL databases."""

from __future__ import annotations

import os

from tests.support.outside import need, port_open

DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tourplanner_test")


def postgres_url(dbname: str | None = None) -> str:
    """A PostgreSQL URL for a fresh database, created on the fly (trust auth on this machine)."""
    need(port_open("127.0.0.1", 5432), "PostgreSQL at 127.0.0.1:5432 is not running")
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    name = dbname or name
    admin = base.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def drop_postgres(dbname: str) -> None:
    import psycopg

    base = PG_URL.rpartition("/")[0].replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
