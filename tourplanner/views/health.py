"""GET /healthz: is the database reachable, and can planning jobs be queued?"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db, csrf

bp = Blueprint("health", __name__)


def database_ok() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True, db.engine.dialect.name
    except Exception as exc:  # any driver error means "down"; the message says which
        db.session.rollback()
        return False, type(exc).__name__


def queue_ok() -> tuple[bool, str]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return True, "embedded"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return True, "redis"
    except redis.RedisError as exc:
        return False, f"redis: {type(exc).__name__}"


@bp.route("/healthz")
@csrf.exempt
def healthz():
    db_up, db_detail = database_ok()
    queue_up, queue_detail = queue_ok()
    status = "ok" if db_up and queue_up else "degraded" if db_up else "down"
    body = {"status": status, "database": {"ok": db_up, "detail": db_detail},
            "queue": {"ok": queue_up, "detail": queue_detail}}
    response = jsonify(body)
    response.status_code = 200 if db_up else 503
    response.headers["Cache-Control"] = "no-store"
    return response
