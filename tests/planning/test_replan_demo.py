"""Re-planning the demo's published plan (262 approved requests, five teams) keeps faith: nothing removed.

Driven the way coordinators do it: "Re-plan from here" on the review page (a job) and `flask plan --from-version`.
"""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.support.accounts import as_coordinator
from tourplanner import jobs, planning
from tourplanner.extensions import db
from tourplanner.models import AvailabilityWindow, Plan, Request, Venue

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(app, runner):
    """The demo season, planned by `flask plan` (version 1) and published."""
    from tourplanner.demo import build_demo_season

    app.config.update(JOBS_EMBEDDED_WORKER=False, REVIEW_REPLAN_SECONDS=4)
    season = build_demo_season()
    result = runner.invoke(args=["plan", "--season", "demo", "--time-limit", "20", "--seed", "1", "--steps", "400"])
    assert result.exit_code == 0, result.output
    v1 = db.session.scalar(select(Plan).where(Plan.number == 1))
    planning.publish(v1)
    return season, v1


def web_replan(client, season, number: int, from_date: str) -> tuple[Plan, str]:
    """'Re-plan from here' on the review page; the job runs here. (the new plan, its review page's text)"""
    response = client.post(f"/admin/seasons/{season.name}/review/replan", data={"plan": number, "from_date": from_date})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    job = jobs.run_job(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "succeeded", job.error
    job_page = unescape(client.get(f"/admin/jobs/{job.id}").get_data(as_text=True))
    assert re.search(rf"Re-planned from version {number}: \d+ visits kept, \d+ moved, 0 dropped", job_page)
    page = unescape(client.get(f"/admin/seasons/{season.name}/review?plan={job.plan.number}").get_data(as_text=True))
    return job.plan, page


def cli_replan(runner, number: int) -> tuple[Plan, str]:
    result = runner.invoke(args=["plan", "--season", "demo", "--from-version", str(number), "--time-limit", "4",
                                 "--seed", "1"])
    assert result.exit_code == 0, result.output
    latest = db.session.scalar(select(Plan).order_by(Plan.number.desc()).limit(1))
    return latest, result.output


def removed(old: Plan, new: Plan) -> list[str]:
    db.session.expire_all()
    return sorted(c.request.ref for c in planning.compare(old, new).removed)


def add_new_requests(season, count=15):
    """New approved requests near demo venues, open on weekdays all season (as venues keep asking)."""
    rows = db.session.scalars(select(Request).where(Request.season_id == season.id).order_by(Request.ref)).all()
    for i, like in enumerate(rows[: 3 * count: 3]):
        v = like.venue
        venue = Venue(name=f"New venue {i}", type="community", city=v.city, region=v.region, country=v.country,
                      lat=v.lat + 0.05, lon=v.lon + 0.05, tz=v.tz, geocode_source="given", geocode_precision="given")
        db.session.add(Request(
            season=season, ref=f"N{i:02d}", venue=venue, status="approved", contact_email=f"new{i}@example.org",
            audience=120, priority=5 if i % 5 == 0 else 3, windows=[AvailabilityWindow(
                first_date=season.start_date, last_date=season.end_date, weekdays="mon,tue,wed,thu,fri",
                start_time=dt.time(10, 0), end_time=dt.time(20, 0))]))
    db.session.commit()


def test_replanning_the_published_demo_from_any_date_removes_nothing(app, client, runner, demo):
    season, v1 = demo
    as_coordinator(client)
    served = len([v for v in v1.visits if not v.cancelled])
    assert served > 200
    for from_date in ("2027-02-01", "2027-03-15", "2027-04-16"):  # first day, mid-season, last week
        new, page = web_replan(client, season, 1, from_date)
        assert removed(v1, new) == [], from_date
        assert re.search(r"\d+ added, 0 removed, \d+ moved", page), from_date
        assert new.kpis["served"] >= served
        assert not new.solver.get("repaired_requests")
    new, output = cli_replan(runner, 1)
    assert removed(v1, new) == []
    assert f"re-planned from version 1: {served} visits kept, 0 moved, 0 dropped" in output


def test_replanning_the_published_demo_with_15_new_requests_removes_nothing(app, client, runner, demo):
    season, v1 = demo
    as_coordinator(client)
    add_new_requests(season)
    new, page = web_replan(client, season, 1, "2027-03-01")
    assert removed(v1, new) == []
    assert re.search(r"\d+ added, 0 removed, \d+ moved", page)
    new, output = cli_replan(runner, 1)
    assert removed(v1, new) == []
    assert re.search(r"re-planned from version 1: \d+ visits kept, \d+ moved, 0 dropped", output)
