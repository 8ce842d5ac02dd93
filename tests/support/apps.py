"""Apps built otherwise than the `app` fixture builds them."""

from __future__ import annotations

from flask.testing import FlaskClient

from tourplanner import create_app


class ClosingClient(FlaskClient):
    """A test client that reads each response whole and closes it, as a WSGI server does: a file a route
    sends (map assets, styles) is closed at once, not left open until the garbage collector finds it."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def production_app(app_config, tmp_path, monkeypatch):
    """The app as `make prod` builds it: TOURPLANNER_PRODUCTION=1, a real secret, not in testing mode."""
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("TOURPLANNER_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    return create_app({k: v for k, v in app_config.items() if k not in ("SECRET_KEY", "TESTING")})
