"""Load test of the production mode while a solve runs: the public form and the team feeds.

    .venv/bin/python bench/load.py --duration 60 [--venues 50 --phones 20]

Starts gunicorn + a Redis-backed worker + a fresh PostgreSQL database on 127.0.0.1, loads a season with
a published plan, starts an optimization job, and runs locust headless: `venues` users posting the form
(each from its own address, as behind a proxy) and `phones` users fetching team feeds at 10/s each.
Prints a table (requests, failures, median, p95, requests/s), checks that every accepted post is a row, and
says where the CPU went: the load generator's own, the web workers', the solver worker's, the whole machine's."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.production import BIN, ProductionServer  # noqa: E402

SEED = """
import datetime as dt, json
from tourplanner.demo import build_demo_season
from tourplanner import planning, jobs, feeds
from tourplanner.models import now_utc
from tourplanner.optimize import solve
season = build_demo_season("spring-2027", requests={requests})
plan = solve(planning.build_instance(season), time_limit_s={solve_s}, seed=1)
row = planning.save_plan(season, plan, params={{"time_limit_s": {solve_s}, "seed": 1}})
planning.publish(row)
paths = ["/feeds/" + feeds.issue_token(season, "team", team=t, now=now_utc()) + ".ics" for t in season.teams]
job = jobs.submit_job(season, jobs.job_params(time_limit_s={background_s}, seed=2))
print(json.dumps({{"paths": paths, "job": job.id, "served": len(row.visits)}}))
"""


def percentile_table(stats_csv: Path) -> list[dict]:
    rows = []
    with stats_csv.open() as f:
        for row in csv.DictReader(f):
            rows.append({"name": row["Name"], "requests": int(row["Request Count"]),
                         "failures": int(row["Failure Count"]), "median_ms": float(row["50%"] or 0),
                         "p95_ms": float(row["95%"] or 0), "rps": float(row["Requests/s"] or 0)})
    return rows


def run(duration: int = 60, venues: int = 50, phones: int = 20, requests: int = 60, out: Path | None = None) -> dict:
    """Run the whole load test; returns the figures (used by tests/production/test_production.py too)."""
    tmp = Path(tempfile.mkdtemp(prefix="tp-load-"))
    server = ProductionServer(tmp, web_workers=4)
    server.start()
    try:
        seeded = json.loads(server.python(SEED.format(requests=requests, solve_s=5, background_s=duration)).splitlines()[-1])
        accepted_log = tmp / "accepted.txt"
        env = {**os.environ, "LOAD_FEED_PATHS": ",".join(seeded["paths"]), "LOAD_ACCEPTED_LOG": str(accepted_log),
               "LOAD_SEASON_START": "2027-02-01", "LOAD_PHONES": str(phones)}
        cpu_before = {name: tree_cpu(proc.pid) for name, proc in server.processes.items()}
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy_before = machine_busy()
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
             "-u", str(venues + phones), "-r", str(max(10, (venues + phones) // 2)), "-t", f"{duration}s",
             "--host", server.base, "--csv", str(tmp / "load"), "--stop-timeout", "10"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=duration + 120)
        wall = time.monotonic() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {name: round(tree_cpu(proc.pid) - cpu_before[name], 1) for name, proc in server.processes.items()}
        cpu["load generator"] = round(children.ru_utime + children.ru_stime
                                      - children_before.ru_utime - children_before.ru_stime, 1)
        busy = machine_busy()
        cpu["whole machine"] = round(busy[0] - busy_before[0], 1)
        idle_share = (busy[1] - busy_before[1]) / max(wall * (os.cpu_count() or 1), 1e-9)
        table = percentile_table(tmp / "load_stats.csv")
        accepted = accepted_log.read_text().split() if accepted_log.exists() else []
        stored = json.loads(server.python(
            "from sqlalchemy import select\nfrom tourplanner.models import Request\nimport json\n"
            "print(json.dumps(list(db.session.scalars(select(Request.contact_email).where("
            "Request.contact_email.like('load-%'))))))").splitlines()[-1])
        job = json.loads(server.python(
            f"from tourplanner.models import Job\nimport json\nj = db.session.get(Job, {seeded['job']})\n"
            "print(json.dumps({'status': j.status, 'progress': j.progress}))").splitlines()[-1])
        result = {"date": dt.date.today().isoformat(), "machine": machine(), "duration_s": round(wall, 1),
                  "table": table, "accepted": len(accepted), "stored": len(set(stored)),
                  "lost": sorted(set(accepted) - set(stored)), "solve_job": job["status"],
                  "cpu_s": cpu, "idle_share": round(idle_share, 3), "load_average": os.getloadavg()[0]}
    finally:
        server.stop()
    if out:
        out.write_text(json.dumps(result, indent=2))
    return result


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far (gunicorn's and huey's workers)."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total
    except psutil.NoSuchProcess:
        return 0.0


def machine_busy() -> tuple[float, float]:
    """CPU seconds the whole machine spent busy and idle so far (/proc/stat), to see what else ran."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / tick, idle / tick


def machine() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def print_table(result: dict) -> None:
    print(f"load test {result['date']} on {result['machine']}, {result['duration_s']} s, solve job: {result['solve_job']}")
    print(f"{'request':28} {'count':>7} {'fail':>5} {'median ms':>10} {'p95 ms':>8} {'req/s':>7}")
    for row in result["table"]:
        print(f"{row['name']:28} {row['requests']:>7} {row['failures']:>5} {row['median_ms']:>10.0f} "
              f"{row['p95_ms']:>8.0f} {row['rps']:>7.1f}")
    print(f"accepted posts {result['accepted']}, rows stored {result['stored']}, lost {len(result['lost'])}")
    cpu = result.get("cpu_s", {})
    print("CPU seconds in the run: " + ", ".join(f"{name} {seconds}" for name, seconds in cpu.items())
          + f"; machine idle {result.get('idle_share', 0):.0%}, load average {result.get('load_average', 0):.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--venues", type=int, default=50)
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print_table(run(args.duration, args.venues, args.phones, out=args.json))
