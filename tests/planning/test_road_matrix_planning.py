"""Planning with a routing engine: road times when it answers, the default model (and why) when it is down."""

import datetime as dt

from sqlalchemy import select

from tourplanner import create_app
from tourplanner.extensions import db
from tourplanner.models import Job, Team


def small_season(make_season, make_request):
    season = make_season(name="roads", start_date=dt.date(2027, 3, 1), weeks=1)
    db.session.add(Team(season=season, slug="east", name="East", base_name="Springfield, IL", base_lat=39.7817,
                        base_lon=-89.6501, base_tz="America/Chicago"))
    for i, (lat, lon) in enumerate([(39.80, -89.64), (40.11, -88.24), (39.84, -88.95)]):
        make_request(season, ref=f"r{i}", status="approved", lat=lat, lon=lon, contact_email=f"r{i}@example.org")
    db.session.commit()
    return season


def test_a_routing_engine_that_is_down_falls_back_to_the_default_model_and_says_so(app, runner, make_season,
                                                                                   make_request):
    small_season(make_season, make_request)
    app.config.update(ROUTING_URL="http://127.0.0.1:1", ROUTING_ENGINE="osrm")
    result = runner.invoke(args=["plan", "--season", "roads", "--time-limit", "2", "--seed", "1"])
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job))
    assert job.status == "succeeded"
    assert "routing engine failed" in job.progress["travel"] and "default travel model" in job.progress["travel"]


def test_without_a_routing_engine_the_job_says_it_used_the_default_model(app, runner, make_season, make_request):
    small_season(make_season, make_request)
    result = runner.invoke(args=["plan", "--season", "roads", "--time-limit", "2", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Job)).progress["travel"] == "default travel model (no routing engine configured)"


def test_a_configured_routing_engine_gives_the_road_times_the_plan_is_solved_and_checked_with(
        app, runner, make_season, make_request):
    from tests.support.fake_json_server import FakeJSONServer
    from tests.support.osrm import osrm_table

    small_season(make_season, make_request)
    fake = FakeJSONServer(osrm_table)
    try:
        app.config.update(ROUTING_URL=fake.url, ROUTING_ENGINE="osrm")
        result = runner.invoke(args=["plan", "--season", "roads", "--time-limit", "2", "--seed", "1"])
    finally:
        fake.close()
    assert result.exit_code == 0, result.output
    job = db.session.scalar(select(Job))
    assert job.status == "succeeded" and job.progress["travel"] == f"road times from osrm at {fake.url}"
    assert any(path.startswith("/table/") for path, _ in fake.asked)
