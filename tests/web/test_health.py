"""GET /healthz tells a load balancer whether the database and the queue answer."""

from tests.support.outside import need, port_open
from tourplanner import create_app
from tourplanner.extensions import db


def test_healthz_reports_database_and_embedded_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True and body["queue"] == {"ok": True, "detail": "embedded"}


def test_healthz_with_real_redis_up_and_down(app_config, tmp_path, monkeypatch):
    need(port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379 is not running")
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    with app.app_context():
        db.create_all()
        assert app.test_client().get("/healthz").get_json()["queue"] == {"ok": True, "detail": "redis"}
    dead = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with dead.app_context():
        response = dead.test_client().get("/healthz")
        assert response.status_code == 200  # the app still serves; planning is unavailable
        assert response.get_json()["status"] == "degraded"
        assert response.get_json()["queue"]["ok"] is False


def test_healthz_is_503_when_the_database_is_gone(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"]["ok"] is False
