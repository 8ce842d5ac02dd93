"""Alembic environment: works under `flask db` (app context) and under pytest-alembic (a given connection)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app, has_app_context
from sqlalchemy import Engine, engine_from_config, pool

from tourplanner import models  # noqa: F401  (registers every table)
from tourplanner.extensions import db
from tourplanner.models import UTCDateTime

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
target_metadata = db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC column type as the plain timezone-aware DateTime it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        process_revision_directives=skip_empty,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if isinstance(connection, Engine):  # pytest-alembic hands over an engine
        with connection.connect() as conn:
            configure(conn)
        return
    if connection is not None:
        configure(connection)
        return
    if has_app_context():
        engine = current_app.extensions["migrate"].db.engine
    else:
        engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        configure(connection)


def run_migrations_offline():
    url = current_app.config["SQLALCHEMY_DATABASE_URI"] if has_app_context() else config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
