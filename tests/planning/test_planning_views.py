"""Coordinator planning pages: login required, season and team setup, version conflicts, plans list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.support.mail import wait_for_emails
from tourplanner import planning
from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.models import Job, Plan, Season, Team, TeamMember
from tourplanner.optimize.search import CROWDED_KM_FACTOR

PASSWORD = "correct horse battery"


def as_coordinator(client, email="coord@example.org"):
    create_user(email, PASSWORD)
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def planned(make_season, make_request):
    """A season with one team, three approved requests, one solved draft and one job: everything a route names."""
    from tourplanner.optimize import solve

    season = make_season(name="march", start_date=dt.date(2027, 3, 1), weeks=2)
    db.session.add(Team(season=season, slug="east", name="East", base_name="Springfield, IL", base_lat=39.7817,
                        base_lon=-89.6501, base_tz="America/Chicago"))
    for ref, lat, lon in (("r1", 39.80, -89.64), ("r2", 39.75, -89.68), ("r3", 39.83, -89.60)):
        make_request(season, ref=ref, status="approved", venue_name=f"Venue {ref}", lat=lat, lon=lon)
    data = planning.instance_dict(season)
    instance = planning.build_instance(season, data)
    plan = planning.save_plan(season, solve(instance, time_limit_s=1, seed=1), params={"time_limit_s": 1, "seed": 1},
                              instance=instance, instance_data=data)
    db.session.add(Job(season=season, status="failed", params={"time_limit_s": 1, "seed": 1}, error="boom"))
    db.session.commit()
    return season, plan


def snapshot():
    """Row counts of every table and the version of every versioned row: what a write would change."""
    counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    versions = sorted((s.id, s.version, s.name, s.weeks, str(s.rules)) for s in db.session.scalars(select(Season)))
    teams = sorted((t.id, t.version, t.name) for t in db.session.scalars(select(Team)))
    plans = sorted((p.id, p.status) for p in db.session.scalars(select(Plan)))
    jobs = sorted((j.id, j.status, j.cancel_requested) for j in db.session.scalars(select(Job)))
    return counts, versions, teams, plans, jobs


def planner_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("planner.")]


def fill(rule, season, plan, job) -> str:
    values = {"name": season.name, "slug": "east", "job_id": str(job.id), "plan_id": str(plan.id)}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)


def test_every_planner_route_sends_anonymous_visitors_to_login_and_writes_nothing(app, client, planned):
    season, plan = planned
    job = db.session.scalar(select(Job))
    rules = planner_rules(app)
    assert len(rules) >= 12 and all(r.rule.startswith("/admin/") for r in rules)
    before = snapshot()
    form = {"name": "hacked", "start_date": "2027-03-01", "weeks": "3", "day_start": "07:00", "day_end": "22:00",
            "time_limit_s": "1", "seed": "1", "previous_plan": "0", "colour": "#000000", "version": "1"}
    for rule in rules:
        url = fill(rule, season, plan, job)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            response = client.open(url, method=method, data=form)
            assert response.status_code == 302, f"{method} {rule.rule}: {response.status_code}"
            assert response.headers["Location"].startswith("/login?next="), f"{method} {rule.rule}"
    db.session.expire_all()
    assert snapshot() == before


def season_form(**overrides):
    data = {"name": "fall-2027", "start_date": "2027-09-06", "weeks": "11", "day_start": "08:00", "day_end": "21:00",
            "max_drive_minutes_per_day": "420", "days_off": ["sat", "sun"], "max_events_per_day": "2",
            "setup_minutes": "30", "teardown_minutes": "15", "default_duration_minutes": "90",
            "border_crossing_minutes": "60", "holidays": "y", "audience_weight": "1", "priority_weight": "50",
            "km_weight": "0.3", "version": ""}
    data.update(overrides)
    return data


def test_a_new_season_defaults_to_eleven_weeks_from_a_monday_and_saves_its_rules(app, client):
    as_coordinator(client)
    page = client.get("/admin/seasons/new").get_data(as_text=True)
    start = re.search(r'name="start_date"[^>]*value="([\d-]+)"', page).group(1)
    assert dt.date.fromisoformat(start).weekday() == 0
    assert re.search(r'name="weeks"[^>]*value="11"', page)
    assert re.search(rf'name="km_weight"[^>]*value="{planning.objective_defaults()["km_weight"]}"', page)
    text = " ".join(page.split())
    assert "justifies up to about 5,500 km of extra driving" in text
    assert "counts each km 1.3 times" in text  # what the search does in a crowded season (Search.km_price)
    assert f"counts each km {CROWDED_KM_FACTOR} times" in text  # the page reads it from the search, not a copy

    response = client.post("/admin/seasons/new", data=season_form())
    assert response.status_code == 302
    season = db.session.scalar(select(Season).where(Season.name == "fall-2027"))
    assert (season.start_date, season.weeks, season.end_date) == (dt.date(2027, 9, 6), 11, dt.date(2027, 11, 21))
    assert season.rules == {"day_start": "08:00", "day_end": "21:00", "max_drive_minutes_per_day": 420,
                            "days_off": ["sat", "sun"], "max_events_per_day": 2, "setup_minutes": 30,
                            "teardown_minutes": 15, "default_duration_minutes": 90, "border_crossing_minutes": 60,
                            "holidays": True, "audience_weight": 1.0, "priority_weight": 50.0, "km_weight": 0.3}


def test_bad_season_input_is_named_and_nothing_is_saved(app, client):
    as_coordinator(client)
    response = client.post("/admin/seasons/new", data=season_form(name="fall 2027/x", day_end="06:00", weeks="60"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "like spring-2027" in page and "the day must end after it starts" in page
    assert "between 1 and 52" in page
    assert db.session.scalar(select(func.count()).select_from(Season)) == 0


def test_the_second_coordinator_saving_a_stale_season_gets_409(app, planned):
    season, _ = planned
    first, second = as_coordinator(app.test_client()), as_coordinator(app.test_client(), "other@example.org")
    page = first.get("/admin/seasons/march/setup").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)

    assert second.post("/admin/seasons/march/setup", data=season_form(name="march", start_date="2027-03-01",
                                                                       weeks="2", version=version)).status_code == 302
    response = first.post("/admin/seasons/march/setup", data=season_form(name="march", start_date="2027-03-01",
                                                                          weeks="5", version=version))

    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Season, season.id).weeks == 2  # the first save stands


def test_a_team_is_added_with_coordinates_and_members_keep_their_rows_on_edit(app, planned):
    season, _ = planned
    client = as_coordinator(app.test_client())
    response = client.post("/admin/seasons/march/teams/new", data={
        "name": "West Coast", "colour": "#ff8800", "base_country": "US", "base_lat": "33.8358",
        "base_lon": "-118.3406", "region_hint": "CA, OR", "members": "Ana Ruiz <ana@example.org>\nbo <bo@example.org>"})
    assert response.status_code == 302, response.get_data(as_text=True)
    team = db.session.scalar(select(Team).where(Team.slug == "west-coast"))
    assert (team.base_tz, team.colour, team.region_hint) == ("America/Los_Angeles", "#ff8800", "CA, OR")
    assert [(m.name, m.email) for m in team.members] == [("Ana Ruiz", "ana@example.org"), ("bo", "bo@example.org")]
    ana = team.members[0].id
    assert planning.instance_dict(season)["teams"][1]["regions"] == ["CA", "OR"]

    page = client.get("/admin/seasons/march/teams/west-coast/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    response = client.post("/admin/seasons/march/teams/west-coast/edit", data={
        "name": "West Coast", "slug": "west-coast", "colour": "#ff8800", "base_country": "US",
        "base_lat": "33.8358", "base_lon": "-118.3406", "region_hint": "CA, OR",
        "members": "Ana R. <ANA@example.org>\nCy <cy@example.org>", "version": version})  # only members change
    assert response.status_code == 302
    db.session.expire_all()
    members = db.session.scalars(select(TeamMember).where(TeamMember.team_id == team.id).order_by(TeamMember.id)).all()
    assert [(m.id == ana, m.name, m.email) for m in members] == [(True, "Ana R.", "ana@example.org"),
                                                                  (False, "Cy", "cy@example.org")]

    stale = client.post("/admin/seasons/march/teams/west-coast/edit", data={
        "name": "West", "colour": "#000000", "base_country": "US", "base_lat": "33.8358", "base_lon": "-118.3406",
        "version": version})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)


def test_a_bad_member_line_is_named(app, planned):
    client = as_coordinator(app.test_client())
    response = client.post("/admin/seasons/march/teams/new", data={
        "name": "North", "colour": "#123456", "base_country": "CA", "base_lat": "45.5", "base_lon": "-73.57",
        "members": "Good <good@example.org>\nBad <not-an-email>"})
    assert response.status_code == 400
    assert "line 2" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1


def test_a_planned_team_cannot_be_deleted(app, planned):
    client = as_coordinator(app.test_client())
    response = client.post("/admin/seasons/march/teams/east/delete", data={"confirm": "yes"}, follow_redirects=True)
    assert "has visits in plan version(s) 1" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1


def test_plans_list_publishes_a_version_and_compares_it(app, planned, tmp_path, request):
    season, plan = planned
    from tourplanner import jobs

    app.config.update(MAIL_OUTBOX=str(tmp_path / "outbox"), REDIS_URL=None, HUEY_NAME="views-mail")
    request.addfinalizer(lambda: jobs.stop_embedded_worker(app))
    client = as_coordinator(app.test_client())
    page = client.get("/admin/seasons/march/plans").get_data(as_text=True)
    assert "No version is published yet" in page and "v1" in page and "3 of 3" in page
    assert "boom" in page  # the failed job and its reason

    response = client.post(f"/admin/plans/{plan.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Published version 1: 3 new, 0 changed, 0 withdrawn; 3 venue(s) being emailed." in page
    assert "Venues and Nomads see <strong>version 1</strong>" in page
    db.session.rollback()  # SQLite: hold no transaction while the worker thread sends
    assert len(wait_for_emails(tmp_path / "outbox", 3)) == 3

    moved = next(v for v in plan.visits if v.request.ref == "r2")
    r2 = moved.request
    r2.pinned_team_id, r2.fixed_start_dt = moved.team_id, moved.start_dt + dt.timedelta(days=7)
    db.session.commit()
    from tourplanner.optimize import solve

    data = planning.instance_dict(season)
    instance = planning.build_instance(season, data)
    second = planning.save_plan(season, solve(instance, time_limit_s=1, seed=1), params={"time_limit_s": 1, "seed": 1},
                                instance=instance, instance_data=data)
    page = client.get(f"/admin/plans/{second.id}/compare").get_data(as_text=True)
    assert "Version 1 → version 2" in page
    assert re.search(r"<td>r2</td><td>Venue r2</td><td>East: \w+ Mar \d+, 9:30 AM CST</td>", page), page
