"""Issue 16, items 3, 4, 6, 7 and 8: what an outsider's review of a running copy reproduced."""

from __future__ import annotations

import pytest
from flask import g

from tests.support.intake import form_data, private_link, season_start
from tests.support.mail import outbox
from tourplanner import accounts
from tourplanner.accounts import create_user
from tourplanner.extensions import db

PASSWORD = "correct horse battery"


def receipt_link(app) -> str:
    return next(line for line in outbox(app)[-1].get_content().splitlines() if "/r/" in line).strip()


@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}])
@pytest.mark.parametrize("proxies", [0, 1])
def test_private_links_are_on_public_host_whatever_host_the_client_names(app, client, make_season, headers, proxies):
    season = make_season(name="spring", start_date=season_start())
    """16.3: the thank-you page and the mail link to PUBLIC_HOST, never to a Host or X-Forwarded-Host sent."""
    from tourplanner.web import trusted_proxies

    app.config["PROXY_FIX"] = proxies
    assert trusted_proxies(app) == proxies
    response = client.post("/request", data=form_data(season), headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "evil.example" not in page
    assert private_link(response) in page and "https://tour.test/r/" in page
    assert receipt_link(app).startswith("https://tour.test/r/")


def test_a_forwarded_host_is_never_trusted_behind_the_proxy(app_config, monkeypatch, tmp_path):
    from tourplanner import create_app

    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "PROXY_FIX": 1})
    seen = {}
    app.wsgi_app.app = lambda environ, start: seen.update(environ) or []  # what the app behind ProxyFix gets
    app.wsgi_app({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_HOST": "tour.test", "REMOTE_ADDR": "127.0.0.1",
                  "HTTP_X_FORWARDED_HOST": "evil.example", "HTTP_X_FORWARDED_FOR": "203.0.113.5",
                  "wsgi.url_scheme": "http"}, lambda *a: None)
    assert (seen["HTTP_HOST"], seen["REMOTE_ADDR"]) == ("tour.test", "203.0.113.5")


@pytest.fixture
def throttled_client(app_config, monkeypatch, tmp_path):
    from tourplanner import create_app

    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "PRODUCTION": True})  # as deployed: no proxy named
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_the_login_throttle(throttled_client):
    """16.3: with no proxy configured, X-Forwarded-For is the client's own text and is ignored."""
    client = throttled_client
    create_user("coord@example.org", PASSWORD)
    wrong = {"email": "coord@example.org", "password": "wrong password!"}
    codes = [client.post("/login", data=wrong, headers={"X-Forwarded-For": f"10.9.9.{i}"}).status_code
             for i in range(11)]
    assert codes == [200] * 10 + [429]


def test_a_display_name_cannot_carry_another_recipient(app, client, make_season):
    season = make_season(name="spring", start_date=season_start())
    """16.4: the To: header re-parses as exactly the venue's address, whatever the name holds."""
    name = 'Eve\r\nBcc: victim@evil.example, "x" <y@evil.example>; (z) [w] \\ :'
    client.post("/request", data=form_data(season, contact_name=name))
    message = outbox(app)[-1]
    addresses = message["To"].addresses
    assert [a.addr_spec for a in addresses] == ["ana.ruiz@example.org"]
    assert not set('",:;<>@()[]\\\r\n') & set(addresses[0].display_name)
    assert "Bcc" not in message and len(addresses[0].display_name) <= 64


def test_an_unknown_email_costs_one_password_check_like_a_known_one(app, client, monkeypatch):
    """16.6: the login verifies a dummy hash for unknown emails, so timing does not reveal who is a coordinator."""
    create_user("coord@example.org", PASSWORD)
    checks = []

    class CountingHasher(type(accounts.hasher)):
        def verify(self, hash, password):
            checks.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "hasher", CountingHasher())
    for email in ("coord@example.org", "nobody@example.org"):
        response = client.post("/login", data={"email": email, "password": "wrong password!"})
        assert response.status_code == 200 and "Email or password is wrong." in response.get_data(as_text=True)
    assert len(checks) == 2 and checks[1] == accounts.UNKNOWN_USER_HASH
    assert client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD}).status_code == 200


def test_a_deactivated_coordinator_loses_an_open_session(app, client):
    """16.7: load_user refuses an inactive user; the next page asks for a login."""
    user = create_user("coord@example.org", PASSWORD)
    assert client.post("/login", data={"email": "coord@example.org", "password": PASSWORD}).status_code == 302
    assert client.get("/admin/requests").status_code == 200
    user.active = False
    db.session.commit()
    g.pop("_login_user", None)  # each real request has its own context; the test's app context is shared
    response = client.get("/admin/requests")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("next_url", ["/admin/requests\r\nX-Injected: 1", "/admin\nX-Injected: 1", "/adm\x00in"])
def test_a_next_with_control_characters_lands_on_the_admin_home(app, client, next_url):
    """16.8: the user is logged in and sent home, never a 500 or a split header."""
    create_user("coord@example.org", PASSWORD)
    response = client.post("/login", query_string={"next": next_url},
                           data={"email": "coord@example.org", "password": PASSWORD})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"] == "/admin/" and "X-Injected" not in response.headers
