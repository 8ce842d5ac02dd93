"""Coordinator accounts and the login form, the way every test logs in."""

from __future__ import annotations

from flask import g

from tourplanner.accounts import create_user

EMAIL, PASSWORD = "coord@example.org", "correct horse battery"


def forget_cached_user():
    """The test app context outlives requests, and Flask-Login caches the user in g: drop it, as a new
    request in production starts without it, so every request here really reads its own cookie."""
    g.pop("_login_user", None)


def login(client, email=EMAIL, password=PASSWORD, next_url=None):
    """Post the login form; returns the response (a 302 when the password was right)."""
    forget_cached_user()
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def as_coordinator(client, email=EMAIL, password=PASSWORD):
    """A new coordinator account, and `client` logged in as it; returns the client."""
    create_user(email, password, "Coordinator")  # in the test's app context: one session, no lock wait
    response = login(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
