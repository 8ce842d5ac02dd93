"""Plan review pages on a 1,000-request, 6-team plan: time each page with the test client, print a table.

    .venv/bin/python bench/review.py [--requests 1000] [--repeat 7] [--replan] [--solve-limit 60]

The plan is built by inserting rows (no optimizer needed): the demo season's 1,000 requests from real
towns, a sixth team, each team serving the requests nearest its base, two events a day at 10:00 and
14:00 local, legs by the travel model, a night at each day's last venue, the rest unserved. Target:
every page under 300 ms. With --replan the optimizer plans the season for real (--solve-limit s), one
venue cancels, and a re-plan from week 4 runs through the job path; target: a feasible plan in 10 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tourplanner import create_app  # noqa: E402
from tourplanner.extensions import db  # noqa: E402

PASSWORD = "bench password 1"
SIXTH_TEAM = ("south", "South", "#8c564b", "Dallas, TX", 32.7767, -96.7970, "America/Chicago")
REASONS = ("dropped_for_value", "no_reachable_window", "holiday_or_day_off", "outside_tour_dates")


def build_season(n_requests: int):
    """The demo season (real towns, 5 teams) with a sixth team and every request approved."""
    from tourplanner.demo import build_demo_season
    from tourplanner.models import Team

    season = build_demo_season(name="bench", requests=n_requests, seed=2027)
    slug, name, colour, base, lat, lon, tz = SIXTH_TEAM
    db.session.add(Team(season=season, slug=slug, name=name, colour=colour, base_name=base, base_lat=lat,
                        base_lon=lon, base_tz=tz))
    for r in season.requests:
        r.status = "approved"
    db.session.commit()
    return season


def insert_plan(season):
    """A plan by rows: nearest-base assignment, two events per working day, legs by the travel model."""
    from zoneinfo import ZoneInfo

    import numpy as np

    from tourplanner.models import Overnight, Plan, UnservedRequest, Visit
    from tourplanner.optimize.travel import travel_matrix
    from tourplanner.review import days_off, season_days

    teams = list(season.teams)
    requests = sorted(season.requests, key=lambda r: r.ref)
    base = np.array([[t.base_lat, t.base_lon] for t in teams])
    where = np.array([[r.venue.lat, r.venue.lon] for r in requests])
    nearest = np.argmin(((where[:, None, :] - base[None, :, :]) ** 2).sum(-1), axis=1)
    off = days_off(season)
    working = [d for d in season_days(season) if d.weekday() not in off]
    slots = [(d, h) for d in working for h in (10, 14)]
    plan = Plan(season=season, number=1, status="draft", solver={"engine": "bench rows"})
    db.session.add(plan)
    served = set()
    for k, team in enumerate(teams):
        mine = [r for r, t in zip(requests, nearest) if t == k]
        here = np.array([team.base_lat, team.base_lon])
        route = []
        while mine and len(route) < len(slots):  # nearest neighbour from the base
            d = [((r.venue.lat - here[0]) ** 2 + (r.venue.lon - here[1]) ** 2) for r in mine]
            r = mine.pop(int(np.argmin(d)))
            route.append(r)
            here = np.array([r.venue.lat, r.venue.lon])
        lats = [team.base_lat] + [r.venue.lat for r in route]
        lons = [team.base_lon] + [r.venue.lon for r in route]
        countries = ["US"] + [r.venue.country for r in route]
        travel = travel_matrix(lats, lons, countries, border_minutes=60)
        minutes, km = travel.minutes, travel.km
        for i, (r, (day, hour)) in enumerate(zip(route, slots)):
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(r.venue.tz)).astimezone(dt.timezone.utc)
            plan.visits.append(Visit(request=r, team=team, start_dt=start, end_dt=start + dt.timedelta(minutes=90),
                                     order=i, drive_minutes_before=int(minutes[i, i + 1]),
                                     drive_km_before=float(km[i, i + 1])))
            served.add(r.id)
            if hour == 14 or i == len(route) - 1:
                plan.overnights.append(Overnight(team=team, day=day, lat=r.venue.lat, lon=r.venue.lon,
                                                 town=f"{r.venue.city}, {r.venue.region}"))
    for i, r in enumerate(r for r in requests if r.id not in served):
        plan.unserved.append(UnservedRequest(request=r, reason=REASONS[i % len(REASONS)], detail=""))
    db.session.commit()
    plan.plan_json = json.dumps({"status": "feasible"})
    db.session.commit()
    return plan


def login(client):
    from tourplanner.accounts import create_user

    create_user("bench@example.org", PASSWORD)
    assert client.post("/login", data={"email": "bench@example.org", "password": PASSWORD}).status_code == 302


def busiest(plan):
    """The team with the most visits and its busiest date (for the itinerary and the day sheet)."""
    from collections import Counter

    counts = Counter((v.team.slug, v.start_dt.date()) for v in plan.visits)
    (slug, day), _ = counts.most_common(1)[0]
    return slug, day


def time_pages(client, pages, repeat: int):
    rows = []
    for label, url in pages:
        client.get(url)  # warm: templates compiled, zones loaded
        times, cpu, size, status = [], [], 0, None
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            size, status = len(response.data), response.status_code
            db.session.rollback()
        rows.append((label, status, size, statistics.median(times), max(times), statistics.median(cpu)))
    return rows


def print_pages(rows, target_ms: float):
    """Wall time is what a coordinator waits; CPU time is the same request on an idle machine."""
    print(f"{'page':<34} {'status':>6} {'KB':>5} {'median ms':>10} {'max ms':>7} {'CPU ms':>7}  "
          f"under {target_ms:.0f} ms")
    for label, status, size, median, worst, cpu in rows:
        print(f"{label:<34} {status:>6} {size / 1024:>5.0f} {median:>10.0f} {worst:>7.0f} {cpu:>7.0f}  "
              f"{'yes' if median < target_ms else 'NO'}")


def time_move(client, season, plan, repeat: int = 3):
    """A move onto a rest day: the full check (instance, legs, optimize.check twice) and its refusal."""
    from tourplanner.review import days_off, local_event

    visit = sorted(plan.visits, key=lambda v: v.start_dt)[len(plan.visits) // 2]
    event = local_event(visit)
    off = days_off(season)
    day = next(event.start.date() + dt.timedelta(days=i) for i in range(1, 8)
                if (event.start.date() + dt.timedelta(days=i)).weekday() in off)
    data = {"plan": plan.number, "version": visit.version, "team": visit.team.slug, "date": day.isoformat(),
            "time": event.start.strftime("%H:%M")}
    url = f"/admin/seasons/{season.name}/review/visits/{visit.id}/move"
    times, status = [], None
    db.session.rollback()
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.post(url, data=data)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        db.session.rollback()
    print(f"{'move onto a rest day (refused)':<34} {status:>6} {'':>5} {statistics.median(times):>10.0f} "
          f"{max(times):>7.0f}")


def solve_season(season, solve_limit: int):
    """Plan the season for real through the job path; returns (plan row, seconds)."""
    from tourplanner import jobs
    from tourplanner.models import Plan

    started = time.perf_counter()
    job = jobs.submit_job(season, jobs.job_params(time_limit_s=solve_limit, seed=1), enqueue=False)
    db.session.rollback()
    job = jobs.run_job(job.id)
    took = time.perf_counter() - started
    if job.status != "succeeded":
        raise SystemExit(f"the first solve {job.status}: {job.error}")
    return db.session.get(Plan, job.plan_id), took


def replan_after_cancellation(season, plan, replan_limit: int):
    """One served venue cancels; re-plan from week 4 through the job path. Returns the table rows."""
    from tourplanner import jobs
    from tourplanner.models import Plan, Request

    victim = sorted(plan.visits, key=lambda v: v.start_dt)[len(plan.visits) // 2]
    db.session.get(Request, victim.request_id).status = "cancelled"
    db.session.commit()
    from_date = season.start_date + dt.timedelta(weeks=3)
    started, started_cpu = time.perf_counter(), time.process_time()
    job = jobs.start_replan(season, plan, from_date, time_limit_s=replan_limit, enqueue=False)
    queued = time.perf_counter() - started
    db.session.rollback()
    job = jobs.run_job(job.id)
    total, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    new = db.session.get(Plan, job.plan_id) if job.plan_id else None
    return job, new, queued, total, cpu


def print_replan(first_plan, first_s, solve_limit, job, new, queued, total, cpu, replan_limit):
    print()
    print(f"{'run':<46} {'status':>9} {'served':>7} {'km':>9} {'seconds':>8}")
    print(f"{'plan the season (' + str(solve_limit) + ' s limit)':<46} {'feasible':>9} "
          f"{first_plan.kpis.get('served', 0):>7} {first_plan.kpis.get('drive_km', 0):>9.0f} {first_s:>8.1f}")
    status = "feasible" if job.status == "succeeded" else job.status
    print(f"{'re-plan after 1 cancellation (' + str(replan_limit) + ' s limit)':<46} {status:>9} "
          f"{(new.kpis.get('served', 0) if new else 0):>7} {(new.kpis.get('drive_km', 0) if new else 0):>9.0f} "
          f"{total:>8.1f}")
    solver_s = (job.progress or {}).get("elapsed_s")
    print(f"  CPU time of the whole re-plan {cpu:.1f} s (the solver uses one core)")
    print(f"  of which: pins + queueing {queued:.1f} s, solver {solver_s if solver_s is not None else '?'} s, "
          f"the rest (rows -> instance, check, saving the new version) {total - queued - float(solver_s or 0):.1f} s")
    if new is not None:
        print(f"  kept {new.solver.get('kept')}, moved {new.solver.get('moved')}, dropped {new.solver.get('dropped')} "
              f"of the previous plan's visits; {job.error or 'checker: no violation'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--target-ms", type=float, default=300)
    parser.add_argument("--replan", action="store_true", help="also plan for real and time a re-plan")
    parser.add_argument("--solve-limit", type=int, default=60)
    parser.add_argument("--replan-limit", type=int, default=4)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench-review-")
    os.environ["TOURPLANNER_INSTANCE"] = folder
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench", "JOBS_EMBEDDED_WORKER": False})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        season = build_season(args.requests)
        plan = insert_plan(season)
        built = time.perf_counter() - started
        slug, day = busiest(plan)
        visit = plan.visits[len(plan.visits) // 2]
        print(f"{args.requests} requests, {len(season.teams)} teams, {len(plan.visits)} visits, "
              f"{len(plan.unserved)} unserved, {len(plan.overnights)} nights; built in {built:.1f} s "
              f"(SQLite file in {folder})")
        client = app.test_client()
        login(client)
        name = season.name
        pages = [
            ("plan review (KPIs, unserved)", f"/admin/seasons/{name}/review"),
            (f"team itinerary ({slug})", f"/admin/seasons/{name}/review/teams/{slug}"),
            ("week grid", f"/admin/seasons/{name}/review/weeks"),
            (f"day sheet ({slug} {day})", f"/admin/seasons/{name}/teams/{slug}/days/{day.isoformat()}"),
            ("visit page", f"/admin/seasons/{name}/review/visits/{visit.id}"),
            ("itinerary CSV", f"/admin/seasons/{name}/export/itinerary.csv"),
            ("plan JSON", f"/admin/seasons/{name}/export/plan.json"),
            ("requests CSV", f"/admin/seasons/{name}/export/requests.csv"),
        ]
        db.session.rollback()
        print_pages(time_pages(client, pages, args.repeat), args.target_ms)
        time_move(client, season, plan)
        if args.replan:
            solved, solve_s = solve_season(season, args.solve_limit)
            slug, day = busiest(solved)
            print(f"\nthe same pages on the optimizer's plan (v{solved.number}: {len(solved.visits)} visits, "
                  f"{len(solved.unserved)} unserved)")
            n = solved.number
            real = [("plan review (KPIs, unserved)", f"/admin/seasons/{name}/review?plan={n}"),
                    (f"team itinerary ({slug})", f"/admin/seasons/{name}/review/teams/{slug}?plan={n}"),
                    ("week grid", f"/admin/seasons/{name}/review/weeks?plan={n}"),
                    (f"day sheet ({slug} {day})",
                     f"/admin/seasons/{name}/teams/{slug}/days/{day.isoformat()}?plan={n}"),
                    ("itinerary CSV", f"/admin/seasons/{name}/export/itinerary.csv?plan={n}"),
                    ("plan JSON", f"/admin/seasons/{name}/export/plan.json?plan={n}")]
            db.session.rollback()
            print_pages(time_pages(client, real, args.repeat), args.target_ms)
            time_move(client, season, solved)
            print_replan(solved, solve_s, args.solve_limit,
                         *replan_after_cancellation(season, solved, args.replan_limit), args.replan_limit)


if __name__ == "__main__":
    main()
