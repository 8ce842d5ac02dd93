"""Migrations: upgrade from empty, down and up again, models match the migrated schema; SQLite and PostgreSQL."""

import uuid
from pathlib import Path

import pytest
from pytest_alembic.tests import (  # noqa: F401  (collected as tests here)
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import create_engine, inspect

from tests.support.databases import drop_postgres, postgres_url
from tourplanner.storage import install_sqlite_pragmas

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def alembic_config():
    return {"script_location": str(MIGRATIONS)}


@pytest.fixture(params=["sqlite", "postgresql"])
def alembic_engine(request, tmp_path):
    if request.param == "sqlite":
        install_sqlite_pragmas()
        engine = create_engine(f"sqlite:///{tmp_path / 'migrations.sqlite'}")
        yield engine
        engine.dispose()
        return
    name = f"tp_mig_{uuid.uuid4().hex[:8]}"
    engine = create_engine(postgres_url(name))
    yield engine
    engine.dispose()
    drop_postgres(name)


def test_upgrade_creates_every_domain_table(alembic_runner, alembic_engine):
    alembic_runner.migrate_up_to("heads")
    tables = set(inspect(alembic_engine).get_table_names())
    assert {"season", "team", "venue", "request", "availability_window", "plan", "visit", "overnight",
            "user", "feed_token", "job"} <= tables
