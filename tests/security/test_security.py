"""security.md items 1, 3 and 9 across every route the app has, walked from app.url_map."""

import pytest
from sqlalchemy import func, select

from tests.support.routes import fill
from tourplanner import create_app
from tourplanner.extensions import db
from tourplanner.models import Request, Season

CSRF_EXEMPT = {"health.healthz"}  # read-only JSON for load balancers; no state changes


def state_changing_rules(app):
    return [r for r in app.url_map.iter_rules()
            if {"POST", "PUT", "PATCH", "DELETE"} & (r.methods or set()) and r.endpoint not in CSRF_EXEMPT]


@pytest.fixture
def csrf_app(app_config, monkeypatch, tmp_path):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        db.create_all()
        yield app


def test_every_state_changing_route_refuses_a_post_without_csrf_token(csrf_app, make_request):
    from tourplanner.models import new_token

    request = make_request(season=db.session.scalar(select(Season)) or None)
    token, request.status_token_hash = new_token()  # a real venue link, so /r/<token> routes get that far
    db.session.commit()
    client = csrf_app.test_client()
    rules = state_changing_rules(csrf_app)
    assert len(rules) >= 3
    for rule in rules:
        response = client.post(fill(rule, token=token), data={"anything": "1"})
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code} without a CSRF token"


def test_every_coordinator_route_redirects_anonymous_users_and_writes_nothing(app, client, make_request):
    request = make_request()
    before = (db.session.scalar(select(func.count()).select_from(Request)), request.status, request.version)
    admin_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")]
    assert len(admin_rules) >= 5
    for rule in admin_rules:
        url = fill(rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = client.open(url, method=method, data={"status": "cancelled", "message": "x"})
            assert response.status_code == 302, f"{method} {rule.rule}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), f"{method} {rule.rule}"
    db.session.expire_all()
    request = db.session.get(Request, request.id)
    assert (db.session.scalar(select(func.count()).select_from(Request)), request.status, request.version) == before


def test_public_pages_show_no_contact_data(app, client, make_request):
    marker = "ZZCONTACTMARKER"
    make_request(contact_name=f"{marker} Name", contact_email=f"{marker.lower()}@example.org",
                 contact_phone="+1 217 555 0199", venue_name="Marker High School")
    public_rules = [r for r in app.url_map.iter_rules()
                    if "GET" in (r.methods or set()) and not r.rule.startswith("/admin") and "<" not in r.rule]
    assert public_rules
    for rule in public_rules:
        body = client.get(rule.rule).get_data(as_text=True)
        assert marker not in body and marker.lower() not in body and "555 0199" not in body, rule.rule
