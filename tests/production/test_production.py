"""The production mode under load and faults (issue 9): gunicorn, PostgreSQL, Redis workers on 127.0.0.1.

These tests restart PostgreSQL and stop Redis, so they run alone, after the parallel suite (`-m serial`)."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from tests.support.outside import need, port_open
from tests.support.production import ProductionServer, http, restart_postgres, session_cookie, start_redis, stop_redis

pytestmark = [pytest.mark.serial, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    need(port_open("127.0.0.1", 5432), "PostgreSQL at 127.0.0.1:5432 is not running")
    need(port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379 is not running")
    server = ProductionServer(tmp_path_factory.mktemp("prod"), web_workers=3)
    server.start()
    server.python("from tourplanner.demo import build_demo_season\nbuild_demo_season('spring-2027', requests=12)")
    yield server
    server.stop()


def submit(base: str, key: str, address: str, answer: dict | None = None) -> tuple[int, str]:
    """A venue fills in the public form: GET for the token, then POST. Returns (status, page); `answer`
    receives the last response's headers."""
    status, headers, body = http("GET", base + "/request", headers={"X-Forwarded-For": address})
    if answer is not None:
        answer.update(headers)
    if status != 200:
        return status, body.decode(errors="replace")
    token = TOKEN_RE.search(body.decode()).group(1)
    form = {
        "csrf_token": token, "venue_name": f"Fault School {key}", "venue_type": "high_school",
        "contact_name": "Fault Tester", "contact_email": f"fault-{key}@example.org", "country": "US",
        "region": "IL", "city": "Springfield", "postal_code": "62701", "audience": "100", "duration_minutes": "90",
        "windows-0-first_date": "2027-02-01", "windows-0-last_date": "2027-02-26",
        "windows-0-weekdays": ["mon", "tue", "wed", "thu", "fri"], "windows-0-start_time": "09:00",
        "windows-0-end_time": "15:00", "website": "", "send": "1",
    }
    data = urllib.parse.urlencode(form, doseq=True).encode()
    status, headers, body = http("POST", base + "/request", data=data, timeout=30, headers={
        "Cookie": session_cookie(headers), "X-Forwarded-For": address,
        "Content-Type": "application/x-www-form-urlencoded"})
    if answer is not None:
        answer.clear()
        answer.update(headers)
    return status, body.decode(errors="replace")


def stored_emails(server: ProductionServer, prefix: str) -> set[str]:
    out = server.python(
        "from sqlalchemy import select\nfrom tourplanner.models import Request\nimport json\n"
        f"print(json.dumps(list(db.session.scalars(select(Request.contact_email).where("
        f"Request.contact_email.like('{prefix}%'))))))")
    return set(json.loads(out.splitlines()[-1]))


def test_postgres_restart_during_a_burst_loses_no_accepted_submission(prod):
    accepted, refused = [], []

    def burst(worker: int):
        for i in range(12):
            key = f"{worker}-{i}-{uuid.uuid4().hex[:6]}"
            answer = {}
            try:
                status, page = submit(prod.base, key, f"10.9.{worker}.{i + 1}", answer)
            except OSError as exc:  # the connection itself failed: the venue sees an error, nothing accepted
                refused.append(str(exc))
                continue
            if status == 200 and "/r/" in page:
                accepted.append(f"fault-{key}@example.org")
            else:
                refused.append(status)
                # The database is restarting: "unavailable, try again", never a 500.
                assert status == 503 and "Retry-After" in answer, (status, page[:300])
            time.sleep(0.1)

    threads = [threading.Thread(target=burst, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    restart_postgres()
    for t in threads:
        t.join(180)
    assert accepted, f"no submission got through at all: {refused[:5]}"
    # The app recovers without a restart: healthy again and taking new posts.
    prod.wait_healthy(60)
    status, page = submit(prod.base, "after-restart", "10.9.9.9")
    assert status == 200 and "/r/" in page
    stored = stored_emails(prod, "fault-")
    assert set(accepted) | {"fault-after-restart@example.org"} <= stored
    # A post whose commit landed just before the connection died may be stored though the venue saw an
    # error page; it is whole (a row like any other), and sending it again merges with it.
    assert len(stored) <= len(accepted) + 1 + len(refused)


def test_redis_stopped_the_app_takes_requests_and_says_planning_is_unavailable(prod):
    stop_redis()
    try:
        status, body = http("GET", prod.base + "/healthz")[0::2]
        health = json.loads(body)
        assert status == 200 and health["status"] == "degraded" and health["queue"]["ok"] is False
        status, page = submit(prod.base, "redis-down", "10.8.0.1")
        assert status == 200 and "/r/" in page
        assert "fault-redis-down@example.org" in stored_emails(prod, "fault-redis")
        out = prod.python(
            "from tourplanner import jobs\nfrom tourplanner.models import Season\nfrom sqlalchemy import select\n"
            "season = db.session.scalar(select(Season))\n"
            "try:\n    jobs.submit_job(season, jobs.job_params(time_limit_s=5, seed=1))\n    print('queued')\n"
            "except Exception as exc:\n    print('refused:', exc)")
        assert out.strip().startswith("refused:") and "unavailable" in out.lower()
    finally:
        start_redis()
    prod.wait_healthy(30)


def test_load_while_a_solve_runs_loses_nothing_and_has_no_errors():
    """A bounded load run (bench/load.py): zero errors, every accepted post is a row. Latency is a benchmark."""
    need(port_open("127.0.0.1", 5432) and port_open("127.0.0.1", 6379), "PostgreSQL and Redis are needed")
    sys.path.insert(0, str(ROOT / "bench"))
    from load import run

    result = run(duration=30, venues=25, phones=10, requests=30)
    failures = {row["name"]: row["failures"] for row in result["table"]}
    assert all(count == 0 for count in failures.values()), failures
    assert result["accepted"] > 0 and result["lost"] == []
    assert result["stored"] == result["accepted"]
