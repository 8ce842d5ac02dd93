"""What every response gets: security headers, error pages without tracebacks, proxy awareness, logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from flask import Flask, abort, g, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import secret_links
from .extensions import db
from .secret_links import redact_path

# Map pages set their own documented policy (see maps.py); everything else gets this one.
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
log = logging.getLogger("tourplanner.access")
MAX_RECORD_ID = 2**31 - 1  # the largest id an INTEGER column holds on PostgreSQL


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number no row can have (23 digits) is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=kwargs.pop("min", 0), max=kwargs.pop("max", MAX_RECORD_ID), **kwargs)


def record_number(raw: str | None) -> int | None:
    """A record number or version typed into a query or form (`?plan=3`); None unless plain ASCII digits in range.

    `"²".isdigit()` is true but `int("²")` fails, and 23 digits overflow the database: both are None here."""
    if not raw or not (raw.isascii() and raw.isdigit()):
        return None
    number = int(raw)
    return number if number <= MAX_RECORD_ID else None


DAYS_AROUND_SEASON = dt.timedelta(days=366)


def season_day(value: str, season) -> dt.date:
    """A day of the season or the year around it, from a URL; anything else (0001-01-01, 9999-12-31) is a 404,
    so that day arithmetic on it (the previous and next day's links) cannot overflow."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        abort(404)
    if not season.start_date - DAYS_AROUND_SEASON <= day <= season.end_date + DAYS_AROUND_SEASON:
        abort(404)
    return day


def refuse_nul_bytes():
    """A NUL character is never real input (and PostgreSQL text cannot hold one): refuse it plainly."""
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values = request.form.values()
    else:
        values = ()
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in v for v in request.args.values()) or any("\x00" in v for v in values):
        abort(400, "The form contained a NUL character, which no field accepts. Nothing was saved.")


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if secret_links.is_secret_path(request.path):
        # Every answer under a secret link, errors included; a view may choose its own Cache-Control.
        for name, value in secret_links.PAGE_HEADERS.items():
            headers.setdefault(name, value)
    return response


def log_request(response):
    started = g.pop("started", None)
    if started is not None:
        log.info(json.dumps({
            "method": request.method, "path": redact_path(request.path), "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }))
    return response


def handle_http_error(error: HTTPException):
    """Plain-words error pages (JSON for JSON clients); never a traceback."""
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        return jsonify(error=error.name, message=error.description), error.code
    return render_template("error.html", error=error), error.code


def handle_database_unavailable(error: Exception):
    """The database is restarting, read-only or full: say so; the transaction was rolled back."""
    db.session.rollback()
    log.error("database unavailable on %s %s: %s", request.method, redact_path(request.path), type(error).__name__)
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="Service Unavailable", message="The database is unavailable; nothing was saved."), 503
    return render_template("unavailable.html"), 503, {"Retry-After": "30"}


def close_session(_error=None) -> None:
    """End the request's session even when the database went away after the page was made.

    Why: a restart ends every connection; the ROLLBACK that closing the session sends then fails, and a
    failure in teardown turns the finished page (a 200, or the 503 above) into a bare 500. Nothing is lost
    by dropping the dead connection: whatever was committed is stored, the rest was never written.
    Runs before Flask-SQLAlchemy's own teardown, which then finds the session gone."""
    try:
        db.session.remove()
    except DBAPIError as exc:
        log.warning("database connection lost while closing the session: %s", type(exc.orig).__name__)
        db.session.registry().invalidate()  # drop the connection without another ROLLBACK
        db.session.registry.clear()


def handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, redact_path(request.path))
    return render_template("error.html", error=None), 500


def trusted_proxies(app: Flask) -> int:
    """How many reverse proxies' X-Forwarded-For/-Proto to believe (PROXY_FIX); 0 when none is configured."""
    value = app.config.get("PROXY_FIX")
    if value in (None, False, "", "0", "false", "no"):
        return 0
    if value in (True, "true", "yes"):
        return 1
    return int(value)


def init_app(app: Flask) -> None:
    if app.config.get("PRODUCTION") and not logging.getLogger().handlers:
        # One line per record on stderr; the access log's message is already JSON.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app.url_map.converters["int"] = RecordIdConverter
    proxies = trusted_proxies(app)
    if proxies:
        # Client address and scheme as the proxy saw them; never the host: links come from PUBLIC_HOST.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    app.before_request(lambda: setattr(g, "started", time.perf_counter()))
    app.before_request(refuse_nul_bytes)
    app.after_request(add_security_headers)
    app.after_request(log_request)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.teardown_appcontext(close_session)  # registered after db.init_app, so it runs before its teardown
    if not app.config.get("TESTING") or app.config.get("SHOW_ERROR_PAGE"):
        app.register_error_handler(Exception, handle_unexpected)
