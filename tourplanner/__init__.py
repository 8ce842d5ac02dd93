"""tourplanner: venues request screenings, coordinators plan the season, Nomads sync the tour."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import config as default_config
from .extensions import csrf, db, limiter, login_manager, migrate
from .storage import install_sqlite_pragmas

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then the environment, then the test dict."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("TOURPLANNER_INSTANCE", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(default_config.Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(default_config.from_environment())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'tourplanner.sqlite'}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # Heroku-style URLs name no driver; psycopg 3 is the one we ship.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # After a database restart, pooled connections are dead: test each one before use.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if app.config.get("REDIS_URL") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]  # one limit across web processes
    check_production(app)
    if not app.config.get("PUBLIC_HOST"):
        app.config["PUBLIC_HOST"] = default_config.DEVELOPMENT_HOST

    install_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from . import commands, views, web

    web.init_app(app)
    views.register_blueprints(app)
    commands.init_app(app)
    return app


def check_production(app: Flask) -> None:
    """Production refuses to start with the default secret and turns on secure cookies."""
    if not app.config.get("PRODUCTION"):
        return
    if app.config.get("SECRET_KEY") in (None, "", default_config.DEFAULT_SECRET_KEY):
        raise RuntimeError("SECRET_KEY is the built-in default; set SECRET_KEY for production")
    if not (app.config.get("PUBLIC_HOST") or "").strip():
        raise RuntimeError("PUBLIC_HOST is not set; set it to the host people reach the app at (tour.example.org): "
                           "every link in a calendar feed or an email uses it")
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config["DEBUG"] = False
