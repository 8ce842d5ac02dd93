"""security.md items 5 and 13 behind the production proxy setup: the public form and the login are limited per
client address (the address the proxy saw), so one abuser neither escapes by forging X-Forwarded-For nor locks
out everyone else."""

import pytest
from sqlalchemy import func, select

from tests.support.intake import form_data, season_start
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import Request

PROXY = "127.0.0.1"  # the reverse proxy in front of gunicorn


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "INTAKE_RATE_LIMIT": "5 per hour", "PROXY_FIX": 1,
            "INTAKE_EMAIL_RATE_LIMIT": "100 per hour"}


def through_proxy(client, url, client_address, data, forged=None):
    """A post as the proxy forwards it: it appends the address it saw to whatever the client sent."""
    forwarded = ", ".join(filter(None, (forged, client_address)))
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": PROXY},
                       headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"})


def test_public_form_limit_is_per_client_and_a_forged_header_does_not_escape_it(app, client, make_season):
    season = make_season(name="spring", start_date=season_start())
    codes = [through_proxy(client, "/request", "203.0.113.5", form_data(season, contact_email=f"v{i}@example.org"),
                           forged=f"10.9.9.{i}").status_code for i in range(6)]
    assert codes == [200] * 5 + [429]
    other = through_proxy(client, "/request", "198.51.100.7", form_data(season, contact_email="w@example.org"))
    assert other.status_code == 200  # another venue is not locked out
    assert db.session.scalar(select(func.count()).select_from(Request)) == 6


def test_login_throttle_is_per_client_behind_the_proxy(app, client):
    create_user("coord@example.org", "correct horse battery")
    wrong = {"email": "coord@example.org", "password": "wrong password!"}
    codes = [through_proxy(client, "/login", "203.0.113.5", wrong, forged=f"10.9.9.{i}").status_code for i in range(11)]
    assert codes == [200] * 10 + [429]
    right = {"email": "coord@example.org", "password": "correct horse battery"}
    assert through_proxy(client, "/login", "198.51.100.7", right).status_code == 302
