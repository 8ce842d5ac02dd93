"""The foundation: config layering, pages that exist from day one, coordinator login."""

import pytest
from sqlalchemy import select

from tourplanner import create_app
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import User


def test_config_layers_defaults_then_instance_file_then_environment_then_test_dict(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text("PUBLIC_HOST = 'from-file.example'\nMAIL_FROM = 'file@example.org'\n")
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(instance))
    monkeypatch.setenv("PUBLIC_HOST", "from-env.example")
    app = create_app({"MAIL_FROM": "test@example.org"})
    assert app.config["PUBLIC_HOST"] == "from-env.example"
    assert app.config["MAIL_FROM"] == "test@example.org"
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'tourplanner.sqlite'}"


def test_database_url_from_environment_gets_the_psycopg_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://tour@db.example/tour")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://tour@db.example/tour"


def test_production_refuses_the_default_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path))
    monkeypatch.setenv("TOURPLANNER_PRODUCTION", "1")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_HOST", "tour.example.org")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_a_public_host(tmp_path, monkeypatch):
    """Feed and email links use PUBLIC_HOST; a default would send Nomads and venues to the wrong place."""
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path))
    monkeypatch.setenv("TOURPLANNER_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("PUBLIC_HOST", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_HOST"):
        create_app()
    monkeypatch.setenv("PUBLIC_HOST", "tour.example.org")
    assert create_app().config["PUBLIC_HOST"] == "tour.example.org"


def test_development_links_point_at_the_development_server(tmp_path, monkeypatch):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path))
    monkeypatch.delenv("PUBLIC_HOST", raising=False)
    monkeypatch.delenv("TOURPLANNER_PRODUCTION", raising=False)
    assert create_app().config["PUBLIC_HOST"] == "127.0.0.1:5000"


def test_home_page_says_what_the_tour_is_and_links_to_the_form(client):
    page = client.get("/").get_data(as_text=True)
    assert "eleven weeks" in page
    assert 'href="/request"' in page
    assert 'name="viewport"' in page  # works on a phone


def test_admin_redirects_anonymous_visitors_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def login(client, email="coord@example.org", password="correct horse battery", next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def test_login_shows_the_seasons_and_logout_kills_the_old_cookie(app, client, make_season):
    create_user("coord@example.org", "correct horse battery")
    make_season(name="spring-2027")
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    assert "spring-2027" in page and "Feb 1, 2027" in page
    stolen_cookie = client.get_cookie("session").value
    client.post("/logout")
    assert client.get("/admin/").status_code == 302
    # The test's app context outlives requests and Flask-Login caches the user in g; a real request
    # starts without it, so drop it or the thief below would be refused whatever logout did.
    from tests.support.accounts import forget_cached_user

    forget_cached_user()
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/admin/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client):
    create_user("coord@example.org", "correct horse battery")
    response = login(client, password="wrong password!")
    assert response.status_code == 200
    assert "Email or password is wrong." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(client, target):
    create_user("coord@example.org", "correct horse battery")
    response = login(client, next_url=target)
    assert response.headers["Location"] == "/admin/"


def test_login_follows_a_same_site_next(client, make_season):
    create_user("coord@example.org", "correct horse battery")
    make_season(name="fall-2027")
    assert login(client, next_url="/admin/seasons/fall-2027").headers["Location"] == "/admin/seasons/fall-2027"


def test_failed_logins_are_throttled(app_config, monkeypatch, tmp_path):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "RATELIMIT_ENABLED": True})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        codes = [login(client, password="wrong password!").status_code for _ in range(11)]
        assert codes[:10] == [200] * 10
        assert codes[10] == 429


def test_passwords_are_argon2_hashed_and_length_checked(app):
    user = create_user("Coord@Example.org", "long enough password")
    stored = db.session.scalar(select(User).where(User.email == "coord@example.org"))
    assert stored.id == user.id and stored.password_hash.startswith("$argon2id$")
    with pytest.raises(ValueError, match="8"):
        create_user("other@example.org", "short")


def test_create_user_command_makes_a_coordinator(runner):
    result = runner.invoke(args=["create-user", "team@example.org", "--password", "a good password"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.email)) == "team@example.org"
    again = runner.invoke(args=["create-user", "team@example.org", "--password", "a good password"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_season_overview_counts_requests_by_status_and_type(client, make_request, make_season):
    create_user("coord@example.org", "correct horse battery")
    season = make_season(name="spring-2027")
    make_request(season=season, status="approved")
    make_request(season=season, status="submitted", venue_type="church", venue_name="First Church")
    login(client)
    page = client.get("/admin/seasons/spring-2027").get_data(as_text=True)
    flat = page.replace("\n", "")
    assert "Approved, waiting for a date</a></td><td class=\"num\">1" in flat
    assert "New, not yet reviewed</a></td><td class=\"num\">1" in flat
    assert "Church or faith community</a></td><td class=\"num\">1" in flat
    assert client.get("/admin/seasons/nope").status_code == 404


def test_every_page_sends_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_500_page_shows_no_traceback(app_config, monkeypatch, tmp_path):
    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    app = create_app({**app_config, "SHOW_ERROR_PAGE": True, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page


def test_token_paths_are_redacted_in_logs():
    from tourplanner.secret_links import redact_path

    assert redact_path("/r/abcDEF123_-x/confirm") == "/r/[token]/confirm"
    assert redact_path("/feeds/abcDEF.ics") == "/feeds/[token]"
    assert redact_path("/admin/") == "/admin/"


def test_a_read_only_database_gets_a_clear_503_and_nothing_is_written(app_config, tmp_path, monkeypatch):
    """A full disk or a read-only database: the user is told, the transaction is rolled back."""
    from sqlalchemy import func

    from tourplanner.models import Season

    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    path = tmp_path / "ro.sqlite"
    writable = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with writable.app_context():
        db.create_all()
        create_user("coord@example.org", "correct horse battery")
        db.engine.dispose()
    read_only = create_app({**app_config, "SHOW_ERROR_PAGE": True, "PROPAGATE_EXCEPTIONS": False,
                            "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?mode=ro&uri=true"})

    @read_only.route("/write-test", methods=["POST"])
    def write_test():
        import datetime as dt

        db.session.add(Season(name="x", start_date=dt.date(2027, 2, 1)))
        db.session.commit()
        return "saved"

    with read_only.app_context():
        response = read_only.test_client().post("/write-test")
        assert response.status_code == 503
        assert "We could not finish saving what you sent" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Season)) == 0


def test_a_plan_saved_to_a_read_only_database_leaves_no_half_written_plan(app_config, tmp_path, monkeypatch):
    from sqlalchemy import func

    from tourplanner import planning
    from tourplanner.demo import build_demo_season
    from tourplanner.models import Plan, Season, Visit
    from tourplanner.optimize import solve

    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    path = tmp_path / "plan.sqlite"
    writable = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with writable.app_context():
        db.create_all()
        season = build_demo_season("spring-2027", requests=6)
        plan = solve(planning.build_instance(season), time_limit_s=2, seed=1)
        db.session.remove()
        db.engine.dispose()
    read_only = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?mode=ro&uri=true"})
    with read_only.app_context():
        season = db.session.scalar(select(Season))
        with pytest.raises(Exception, match="readonly|read-only"):
            planning.save_plan(season, plan, params={"time_limit_s": 2, "seed": 1})
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Plan)) == 0
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_nul_character_in_a_form_is_refused_plainly_not_a_500(client):
    response = client.post("/login", data={"email": "\x00", "password": "whatever password"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    assert client.get("/?q=a\x00b").status_code == 400


def test_a_connection_ended_after_the_page_is_made_still_sends_the_page(app_config, tmp_path, monkeypatch):
    """A PostgreSQL restart ends every connection; when it lands between the page and the session's
    closing ROLLBACK, the venue still gets the page (it was a bare 500 in a restart under load), the dead
    connection is dropped, and the next request works."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from tests.support.databases import drop_postgres, postgres_url

    monkeypatch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
    name = f"tp_test_lost_{uuid.uuid4().hex[:8]}"
    url = postgres_url(name)
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    killer = create_engine(url, poolclass=NullPool)
    ended = []

    @app.after_request
    def end_the_connection(response):
        if not ended:  # the first request only
            pid = db.session.connection().connection.dbapi_connection.info.backend_pid
            with killer.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            ended.append(pid)
        return response

    try:
        with app.app_context():
            db.create_all()
        client = app.test_client()
        first = client.get("/request")
        assert ended and first.status_code == 200 and "Requests are closed for now" in first.get_data(as_text=True)
        second = client.get("/request")
        assert second.status_code == 200 and "Requests are closed for now" in second.get_data(as_text=True)
    finally:
        killer.dispose()
        with app.app_context():
            db.engine.dispose()
        drop_postgres(name)
