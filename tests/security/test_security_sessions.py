"""security.md items 4 and 5: sessions and passwords, checked through the login form and real cookies."""

import datetime as dt
import time
from email.utils import parsedate_to_datetime

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from tests.support.accounts import EMAIL, PASSWORD, forget_cached_user, login
from tests.support.apps import production_app
from tourplanner import create_app
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import User

NEW_PASSWORD = "a brand new passphrase"


def logged_in(client) -> bool:
    forget_cached_user()
    return client.get("/admin/").status_code == 200


def with_cookie(app, cookie: str):
    """A second browser (or a thief) holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def stored_user() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == EMAIL))


def test_login_starts_a_new_session(app, client):
    create_user(EMAIL, PASSWORD)
    with client.session_transaction() as before:
        before["planted"] = "by an attacker before login"
    login(client)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("_user_id", "").startswith(f"{stored_user().id}:")


def test_password_change_page_kills_every_other_cookie_and_keeps_this_browser_in(app, coordinator):
    laptop = app.test_client()
    login(laptop)
    old_cookie = coordinator.get_cookie("session").value
    token_before = stored_user().session_token
    page = coordinator.get("/admin/password").get_data(as_text=True)
    assert 'name="current"' in page and 'autocomplete="new-password"' in page
    forget_cached_user()
    response = coordinator.post("/admin/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                         "repeat": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert stored_user().session_token != token_before
    assert logged_in(coordinator)  # the browser that changed it got a fresh cookie
    assert not logged_in(laptop)  # the other device is out
    assert not logged_in(with_cookie(app, old_cookie))  # a copy of the old cookie is dead
    assert login(app.test_client(), password=PASSWORD).status_code == 200  # old password refused
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("form, message", [
    ({"current": "not my password", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "The current password is wrong."),
    ({"current": PASSWORD, "new": "short", "repeat": "short"}, "A password has 8 to 256 characters."),
    ({"current": PASSWORD, "new": "x" * 257, "repeat": "x" * 257}, "A password has 8 to 256 characters."),
    ({"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "!"}, "The two new passwords differ."),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, coordinator, form, message):
    laptop = app.test_client()
    login(laptop)
    before = (stored_user().password_hash, stored_user().session_token)
    forget_cached_user()
    response = coordinator.post("/admin/password", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (stored_user().password_hash, stored_user().session_token) == before
    assert logged_in(laptop)


def test_password_page_needs_a_login(client):
    create_user(EMAIL, PASSWORD)
    before = stored_user().password_hash
    for method in ("get", "post"):
        response = getattr(client, method)("/admin/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                                      "repeat": NEW_PASSWORD})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stored_user().password_hash == before


def test_set_password_command_logs_the_old_sessions_out(app, coordinator, runner):
    old_cookie = coordinator.get_cookie("session").value
    result = runner.invoke(args=["set-password", "Coord@Example.org", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "password changed for coord@example.org" in result.output
    assert not logged_in(coordinator)
    assert not logged_in(with_cookie(app, old_cookie))
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    assert stored_user().password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("args, message", [
    (["set-password", "nobody@example.org", "--password", NEW_PASSWORD], "no coordinator with email nobody@example.org"),
    (["set-password", EMAIL, "--password", "short"], "8 to 256 characters"),
])
def test_set_password_command_names_what_is_wrong_and_changes_nothing(app, runner, args, message):
    create_user(EMAIL, PASSWORD)
    before = (stored_user().password_hash, stored_user().session_token)
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and message in result.output
    assert (stored_user().password_hash, stored_user().session_token) == before


def test_session_cookie_lasts_at_most_twelve_hours_and_the_server_refuses_an_older_one(app, coordinator, monkeypatch):
    response = login(coordinator)
    expires = parsedate_to_datetime(response.headers["Set-Cookie"].split("Expires=")[1].split(";")[0])
    assert expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=12, seconds=5)
    cookie = coordinator.get_cookie("session").value
    assert logged_in(with_cookie(app, cookie))
    later = int(time.time()) + 12 * 3600 + 60  # the cookie replayed just after its 12 hours
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert not logged_in(with_cookie(app, cookie))


def test_production_cookies_are_secure_httponly_and_samesite_lax(app_config, tmp_path, monkeypatch):
    prod = production_app(app_config, tmp_path, monkeypatch)
    assert prod.debug is False and prod.config["DEBUG"] is False
    with prod.app_context():
        db.create_all()
        create_user(EMAIL, PASSWORD)
        client = prod.test_client()
        response = client.post("/login", base_url="https://tour.test", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("session="))
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in session_cookie.split(";")[1:]}
        assert "secure" in attributes and "httponly" in attributes
        assert attributes["samesite"] == "SameSite=Lax"
        assert not any(c.startswith("remember_token=") for c in cookies)  # no long-lived second cookie
        db.session.remove()
        db.engine.dispose()


def test_long_passphrases_are_allowed_up_to_256_characters(app, client):
    passphrase = "ünïcødé passphrase with spaces " * 8 + "x" * 8  # 256 characters
    assert len(passphrase) == 256
    create_user(EMAIL, passphrase)
    assert login(client, password=passphrase).status_code == 302
    assert login(app.test_client(), password=passphrase[:-1]).status_code == 200
    with pytest.raises(ValueError, match="8 to 256"):
        create_user("other@example.org", passphrase + "y")
    with pytest.raises(ValueError, match="8 to 256"):
        create_user("third@example.org", "seven77")


def test_password_hashes_are_argon2id_with_a_salt_each(app):
    first = create_user(EMAIL, PASSWORD)
    second = create_user("other@example.org", PASSWORD)
    assert first.password_hash.startswith("$argon2id$") and second.password_hash.startswith("$argon2id$")
    assert first.password_hash != second.password_hash and PASSWORD not in first.password_hash


def test_password_change_guesses_are_throttled(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with app.app_context():
        db.create_all()
        create_user(EMAIL, PASSWORD)
        client = app.test_client()
        login(client)
        guess = {"current": "guessing wrong", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        codes = [client.post("/admin/password", data=guess).status_code for _ in range(11)]
        assert codes[:10] == [200] * 10 and codes[10] == 429
        db.session.remove()
        db.engine.dispose()


def test_logout_kills_a_copied_cookie(app, coordinator):
    stolen = coordinator.get_cookie("session").value
    forget_cached_user()
    coordinator.post("/logout")
    assert not logged_in(coordinator)
    assert not logged_in(with_cookie(app, stolen))


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "/%2F/evil.example", "%2F%2Fevil.example", "https:evil.example", "javascript:alert(1)", "/%5Cevil.example",
    " //evil.example", "\\\\evil.example", "///evil.example",
])
def test_no_open_redirect_after_login_whatever_next_says(app, client, target):
    from urllib.parse import quote, urlsplit

    create_user(EMAIL, PASSWORD)
    response = client.post("/login?next=" + quote(target, safe=""), data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    browser_sees = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    assert browser_sees.startswith("/") and not browser_sees.startswith("//"), location
    assert not urlsplit(browser_sees).netloc, location
