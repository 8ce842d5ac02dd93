"""Solve jobs: the 202 flow with the embedded worker, and the real Redis with real worker processes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.outside import need, port_open
from tests.support.seasons import add_busy_requests
from tests.support.wait import wait_for
from tourplanner import jobs, planning
from tourplanner.extensions import db
from tourplanner.models import Job, Plan, Visit

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def embedded(app):
    """The default setup: no Redis, a consumer thread inside the app; stopped after the test."""
    app.config.update(REDIS_URL=None, HUEY_NAME=f"t{uuid.uuid4().hex[:8]}", JOB_HEARTBEAT_SECONDS=0.3,
                      MAIL_OUTBOX=str(Path(app.instance_path) / "outbox"))
    yield app
    jobs.stop_embedded_worker(app)


def job_info(client, job_id):
    response = client.get(f"/admin/jobs/{job_id}.json")
    assert response.status_code == 200
    return response.get_json()


def wait_for_job(client, job_id, done, timeout=60.0):
    """The job's state once done(state) holds."""
    return wait_for(lambda: info if done(info := job_info(client, job_id)) else None, timeout, f"job {job_id}", 0.2)


def submit(client, season, **form):
    data = {"time_limit_s": 1, "seed": 1, "previous_plan": 0, **form}
    response = client.post(f"/admin/seasons/{season.name}/plan", data=data)
    assert response.status_code == 202, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert location.startswith("/admin/jobs/")
    return int(location.rsplit("/", 1)[1]), response


def plan_count():
    count = db.session.scalar(select(func.count()).select_from(Plan))
    db.session.rollback()  # never hold SQLite's write lock while a worker runs
    return count


def published_state(season):
    """What venues and Nomads see: the published version and its events."""
    db.session.expire_all()
    plan = season.published_plan()
    state = (plan.id, plan.number, sorted((v.request_id, v.team_id, v.start_dt, v.sequence, v.cancelled)
                                         for v in plan.visits))
    db.session.rollback()
    return state


def team_feed_events(client, season):
    """The team's calendar feed as (UID, SEQUENCE, DTSTART, STATUS), when the feeds are installed."""
    from icalendar import Calendar

    from tourplanner import feeds

    token = feeds.issue_token(season, "team", team=season.teams[0], now=dt.datetime.now(dt.timezone.utc))
    db.session.rollback()
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    events = Calendar.from_ical(response.data).walk("VEVENT")
    return sorted((str(e["UID"]), int(e.get("SEQUENCE", 0)), e["DTSTART"].dt, str(e.get("STATUS", "")))
                  for e in events if str(e["UID"]).startswith("visit-"))


# ---------------------------------------------------------------- embedded


def test_plan_season_answers_202_and_the_embedded_worker_makes_a_draft(embedded, season, coordinator):
    job_id, response = submit(coordinator, season)

    page = response.get_data(as_text=True)
    assert f"job #{job_id}" in page and "<progress" in page and "Cancel" in page
    assert 'http-equiv="refresh"' in page  # works without JavaScript too
    assert "planner/job.js" in page
    info = wait_for_job(coordinator, job_id, lambda i: i["finished"])
    assert info["status"] == "succeeded", info
    assert (info["plan_number"], info["served"], info["requests"], info["percent"]) == (1, 3, 3, 100)
    page = coordinator.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert "Result: version 1" in page and 'http-equiv="refresh"' not in page
    plan = db.session.get(Plan, info["plan_id"])
    assert (plan.status, plan.kpis["served"], len(plan.visits)) == ("draft", 3, 3)
    audience = sum(r.audience for r in season.requests)
    assert plan.solver["ceiling"] == {"served": 3, "audience": audience}  # all three fit: the ceiling is 3
    assert plan.solver["walks"] == 2  # a second search walk forked from the consumer thread, and came back
    review = coordinator.get("/admin/seasons/march/review").get_data(as_text=True)
    assert f"any plan that keeps the rules serves at most 3 requests and {audience:,} people (this plan: 100 % of it)" in review
    job = db.session.get(Job, job_id)
    assert job.worker.split(":")[1] == str(os.getpid())  # ran in this process, in the consumer thread
    db.session.rollback()

    # The same input again gives the same plan, at once.
    again, _ = submit(coordinator, season)
    info = job_info(coordinator, again)
    assert (info["status"], info["plan_id"], info["served"], info["requests"]) == ("succeeded", plan.id, 3, 3)
    assert "same input as version 1" in info["note"]
    assert plan_count() == 1

    # Re-planning from version 1 is another input: a second version that says where it came from.
    replan, _ = submit(coordinator, season, previous_plan=plan.id)
    info = wait_for_job(coordinator, replan, lambda i: i["finished"])
    assert (info["status"], info["plan_number"]) == ("succeeded", 2)
    second = db.session.get(Plan, info["plan_id"])
    assert (second.note, second.solver["previous_plan"], second.solver["params"]["previous_plan_id"]) == (
        "re-planned from version 1", 1, plan.id)
    db.session.rollback()


def test_the_solve_walks_setting_reaches_the_solver(embedded, season, coordinator):
    embedded.config["JOB_SOLVE_WALKS"] = "1"  # as the environment gives it
    job_id, _response = submit(coordinator, season)
    info = wait_for_job(coordinator, job_id, lambda i: i["finished"])
    assert info["status"] == "succeeded", info
    assert db.session.get(Plan, info["plan_id"]).solver["walks"] == 1
    db.session.rollback()


def test_a_rejected_plan_fails_the_job_and_leaves_the_published_plan_and_feeds(embedded, season, coordinator,
                                                                              monkeypatch):
    from tourplanner import optimize
    from tourplanner.optimize import Violation

    first, _ = submit(coordinator, season)
    info = wait_for_job(coordinator, first, lambda i: i["finished"])
    planning.publish(db.session.get(Plan, info["plan_id"]))
    before = published_state(season)
    feed_before = team_feed_events(coordinator, season)
    assert len(feed_before) == 3

    monkeypatch.setattr(optimize, "check", lambda instance, plan, matrix=None: [
        Violation("night_rest", "r2", "east", "drives at 3 a.m.")])
    failed, _ = submit(coordinator, season, seed=2)
    info = wait_for_job(coordinator, failed, lambda i: i["finished"])

    assert info["status"] == "failed"
    assert "1 violation" in info["error"] and "drives at 3 a.m." in info["error"]
    assert plan_count() == 1
    assert published_state(season) == before
    assert team_feed_events(coordinator, season) == feed_before
    page = coordinator.get(f"/admin/jobs/{failed}").get_data(as_text=True)
    assert "Run again" in page and "drives at 3 a.m." in page


def test_cancel_stops_a_running_job_and_stores_nothing(embedded, season, coordinator):
    add_busy_requests(season, 200)  # a solve that really runs for its time limit
    job_id, _ = submit(coordinator, season, time_limit_s=60)
    wait_for_job(coordinator, job_id, lambda i: i["status"] == "running")
    response = coordinator.post(f"/admin/jobs/{job_id}/cancel")
    assert response.status_code == 302
    started = time.monotonic()
    info = wait_for_job(coordinator, job_id, lambda i: i["finished"], timeout=30)
    assert info["status"] == "cancelled" and time.monotonic() - started < 20
    assert plan_count() == 0


def test_the_time_limit_wins_over_a_huge_steps(embedded, season, coordinator):
    """Issue 16.9: time_limit_s=2 with steps=10**9 ran 21 s; the job now stops the solver at its limit and keeps the best plan."""
    add_busy_requests(season, 200)
    job_id, _ = submit(coordinator, season, time_limit_s=2, steps=1_000_000_000)
    info = wait_for_job(coordinator, job_id, lambda i: i["finished"], timeout=60)
    assert info["status"] == "succeeded", info
    plan = db.session.get(Plan, info["plan_id"])
    # The solve (was 21 s): its model, construction and check come on top of the 2 s, and at a low CPU
    # priority beside a parallel test run they took 1.5 s and more; the ceiling comes after it.
    assert plan.solver["wall_s"] < 2 + 8, plan.solver


def test_the_web_form_obeys_the_configured_maximum_time_limit(embedded, season, coordinator):
    """Issue 16.9: JOB_MAX_TIME_LIMIT_S binds the form as it binds the command."""
    embedded.config["JOB_MAX_TIME_LIMIT_S"] = 30
    response = coordinator.post(f"/admin/seasons/{season.name}/plan",
                                data={"time_limit_s": 31, "seed": 1, "previous_plan": 0})
    assert response.status_code == 422 and "time limit must be 1 to 30 seconds" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_reaped_job_really_stops_and_frees_the_worker(embedded, season, coordinator):
    """Issue 16.9: the stale-job cleanup marks the job failed and its solver stops, so the only worker is free."""
    add_busy_requests(season, 200)
    long_id, _ = submit(coordinator, season, time_limit_s=600)
    wait_for_job(coordinator, long_id, lambda i: i["status"] == "running")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert jobs.reap_stale_jobs(now=later) == 1
    db.session.rollback()
    short_id, _ = submit(coordinator, season, time_limit_s=1, seed=2)
    started = time.monotonic()
    # A worker still busy with the reaped job would start the next one only after its 600 s; the margin of 90 s
    # covers a busy machine (a 1 s solve of 200 requests and its ceiling took up to 25 s under a full test run).
    info = wait_for_job(coordinator, short_id, lambda i: i["finished"], timeout=120)
    assert info["status"] == "succeeded" and time.monotonic() - started < 90
    assert job_info(coordinator, long_id)["status"] == "failed"


def test_bad_rows_are_refused_before_anything_is_queued(embedded, season, coordinator):
    venue = season.requests[0].venue
    venue.tz = "Mars/Olympus_Mons"
    db.session.commit()
    response = coordinator.post(f"/admin/seasons/{season.name}/plan", data={"time_limit_s": 1, "seed": 1,
                                                                             "previous_plan": 0})
    assert response.status_code == 422
    assert "Mars/Olympus_Mons" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_plan_command_saves_a_draft_and_export_plan_writes_it(season, make_request, runner, tmp_path):
    from tourplanner.models import AvailabilityWindow

    sundays = AvailabilityWindow(first_date=season.start_date, last_date=season.end_date, weekdays="sun",
                                 start_time=dt.time(9, 0), end_time=dt.time(13, 0))
    make_request(season, ref="r4", status="approved", venue_name="Sunday Chapel", windows=[sundays])
    db.session.commit()  # Sundays are the tour's days off: no plan can serve r4, and the ceiling says 3, not 4
    result = runner.invoke(args=["plan", "--season", "march", "--time-limit", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "version 1: served 3 of 4 requests" in result.output
    assert "; any plan that keeps the rules serves at most 3 requests" in result.output
    assert "(this plan: 100 % of it)" in result.output
    out = tmp_path / "plan.json"
    result = runner.invoke(args=["export-plan", "--season", "march", "-o", str(out)])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(out.read_text())
    assert set(data) >= {"instance", "status", "solver", "routes", "unserved", "kpis"}
    assert data["kpis"]["served"] == 3
    assert data["solver"]["ceiling"]["served"] == 3
    result = runner.invoke(args=["export-plan", "--season", "nope", "-o", str(out)])
    assert result.exit_code != 0 and "no season named 'nope'" in result.output


# ---------------------------------------------------------------- Redis and real workers


@pytest.fixture
def redis_app(app, tmp_path, database_url):
    need(port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379 is not running")
    name = f"tp-test-{uuid.uuid4().hex[:10]}"
    app.config.update(REDIS_URL=REDIS_URL, HUEY_NAME=name, JOB_STALE_SECONDS=3.0)
    worker_instance = tmp_path / "worker-instance"
    worker_instance.mkdir()
    (worker_instance / "config.py").write_text("JOB_HEARTBEAT_SECONDS = 0.5\n")
    env = {**os.environ, "TOURPLANNER_INSTANCE": str(worker_instance), "DATABASE_URL": database_url,
           "REDIS_URL": REDIS_URL, "TOURPLANNER_HUEY_NAME": name, "PYTHONUNBUFFERED": "1"}
    workers, logs = [], []

    def start_worker():
        log = open(tmp_path / f"worker-{len(workers)}.log", "wb")
        logs.append(log)
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "tourplanner", "worker", "-w", "1"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        workers.append(proc)
        return proc

    app.start_worker = start_worker
    yield app
    for proc in workers:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
    for log in logs:
        log.close()
    jobs.get_huey(app).flush()


@pytest.mark.slow
def test_redis_worker_life_cycle_killed_worker_fails_the_job_and_it_can_be_rerun(redis_app, season, coordinator,
                                                                                tmp_path):
    worker = redis_app.start_worker()
    first, _ = submit(coordinator, season, time_limit_s=2)
    info = wait_for_job(coordinator, first, lambda i: i["finished"], timeout=90)
    assert info["status"] == "succeeded", (info, (tmp_path / "worker-0.log").read_text()[-3000:])
    assert info["worker"].split(":")[1] == str(worker.pid)  # solved by the worker process, not by the app
    planning.publish(db.session.get(Plan, info["plan_id"]))
    published = published_state(season)

    # The same input twice: one plan.
    again, _ = submit(coordinator, season, time_limit_s=2)
    assert job_info(coordinator, again)["plan_id"] == info["plan_id"]
    assert plan_count() == 1

    # A worker killed mid-job: the job turns failed once its heartbeat is stale, nothing is stored.
    # 200 more venues around Springfield keep the solver busy for the whole time limit (it stops early
    # on small instances), so the kill really lands mid-solve.
    add_busy_requests(season, 200)
    doomed, _ = submit(coordinator, season, time_limit_s=20, seed=2)
    wait_for_job(coordinator, doomed, lambda i: i["status"] == "running" and i["served"] is not None, timeout=60)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    info = wait_for_job(coordinator, doomed, lambda i: i["finished"], timeout=30)
    assert info["status"] == "failed"
    assert f":{worker.pid}:" in info["error"] and "stopped responding" in info["error"]
    assert plan_count() == 1
    assert published_state(season) == published

    # Re-run it on a fresh worker.
    response = coordinator.post(f"/admin/jobs/{doomed}/rerun")
    assert response.status_code == 202
    rerun = int(response.headers["Location"].rsplit("/", 1)[1])
    assert rerun != doomed and job_info(coordinator, rerun)["status"] == "queued"
    second = redis_app.start_worker()
    info = wait_for_job(coordinator, rerun, lambda i: i["finished"], timeout=90)
    assert info["status"] == "succeeded", (info, (tmp_path / "worker-1.log").read_text()[-3000:])
    assert info["worker"].split(":")[1] == str(second.pid)
    assert (info["plan_number"], plan_count()) == (2, 2)
    assert published_state(season) == published  # a job makes a draft; only publishing changes what venues see
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.cancelled)) == 0


def test_reaper_fails_jobs_with_a_stale_heartbeat_or_a_hung_solve_and_leaves_live_ones(app, season):
    now = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.timezone.utc)
    ago = lambda s: now - dt.timedelta(seconds=s)  # noqa: E731
    rows = {
        "dead": Job(season=season, status="running", params={"time_limit_s": 60}, worker="vm:41:Worker-1",
                    started_dt=ago(50), heartbeat_dt=ago(31)),
        "hung": Job(season=season, status="running", params={"time_limit_s": 60}, worker="vm:42:Worker-1",
                    started_dt=ago(2 * 60 + 301), heartbeat_dt=ago(1)),
        "live": Job(season=season, status="running", params={"time_limit_s": 60}, started_dt=ago(100),
                    heartbeat_dt=ago(2)),
        "queued": Job(season=season, status="queued", params={"time_limit_s": 60}),
    }
    db.session.add_all(rows.values())
    db.session.commit()

    assert jobs.reap_stale_jobs(now=now) == 2

    assert {k: j.status for k, j in rows.items()} == {"dead": "failed", "hung": "failed", "live": "running",
                                                      "queued": "queued"}
    assert rows["dead"].error.startswith("the worker vm:41:Worker-1 stopped responding (last heartbeat 2027-01-10 11:59:29 UTC)")
    assert "far past its time limit of 60 s" in rows["hung"].error
    assert rows["dead"].finished_dt == now


def test_an_unreachable_queue_is_said_plainly_and_nothing_runs(app, season, coordinator):
    app.config.update(REDIS_URL="redis://127.0.0.1:9/0", HUEY_NAME="nowhere")  # port 9: nothing listens
    response = coordinator.post("/admin/seasons/march/plan", data={"time_limit_s": 1, "seed": 1, "previous_plan": 0})
    assert response.status_code == 422
    assert "the job queue is unavailable" in response.get_data(as_text=True)
    job = db.session.scalar(select(Job))
    assert (job.status, plan_count()) == ("failed", 0)


def test_the_solver_runs_below_the_web_and_heartbeat_priority(embedded, season, coordinator, monkeypatch):
    """The solver holds a core; at a lower CPU priority the forms and feeds stay responsive, while the job's
    own thread (which starts the heartbeat) keeps its priority, so a busy machine does not look like a dead worker."""
    import threading

    from tourplanner import optimize

    seen = {}
    real_solve, real_job = optimize.solve, jobs.worker._solve_job

    def niceness():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def solve_spy(*args, **kwargs):
        seen["solver"] = niceness()
        return real_solve(*args, **kwargs)

    def job_spy(job_id, heartbeat):
        seen["job"] = niceness()
        return real_job(job_id, heartbeat)

    monkeypatch.setattr(optimize, "solve", solve_spy)
    monkeypatch.setattr(jobs.worker, "_solve_job", job_spy)
    web = niceness()
    job_id, _ = submit(coordinator, season, time_limit_s=1)
    assert wait_for_job(coordinator, job_id, lambda i: i["finished"])["status"] == "succeeded"
    assert seen["solver"] >= 10 and seen["job"] < 10  # JOB_NICE
    assert niceness() == web  # the web thread is untouched
