"""Calendar feed generation for one team with 150 screenings: time it cold and cached, print a table.

    .venv/bin/python bench/feeds.py [--events 150] [--plans 3] [--repeat 15]

The plan is built by inserting rows: one team, `--events` screenings on weekdays (two or three a day,
venues cycling through nine zones from Pacific to Newfoundland), a drive before each, a night per
day, published `--plans` times (each re-publish moves one screening, so drives and nights need their
history). Target: a team feed in under 50 ms; it is cached until the plan changes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tourplanner import create_app  # noqa: E402
from tourplanner.extensions import db  # noqa: E402

UTC = dt.timezone.utc
PLACES = [
    ("Los Angeles", "CA", "US", 34.05, -118.24, "America/Los_Angeles"),
    ("Phoenix", "AZ", "US", 33.45, -112.07, "America/Phoenix"),
    ("Denver", "CO", "US", 39.74, -104.99, "America/Denver"),
    ("Regina", "SK", "CA", 50.45, -104.62, "America/Regina"),
    ("Chicago", "IL", "US", 41.88, -87.63, "America/Chicago"),
    ("Toronto", "ON", "CA", 43.65, -79.38, "America/Toronto"),
    ("Halifax", "NS", "CA", 44.65, -63.58, "America/Halifax"),
    ("St. John's", "NL", "CA", 47.56, -52.71, "America/St_Johns"),
    ("Vancouver", "BC", "CA", 49.28, -123.12, "America/Vancouver"),
]


def build(n_events: int, n_plans: int):
    from tourplanner.models import Overnight, Plan, Request, Season, Team, Venue, Visit

    season = Season(name="bench-feeds", start_date=dt.date(2027, 2, 22), weeks=11)
    team = Team(season=season, slug="west", name="West", base_name="Los Angeles", base_lat=34.05, base_lon=-118.24,
                base_tz="America/Los_Angeles")
    db.session.add_all([season, team])
    published = dt.datetime(2027, 1, 20, 12, tzinfo=UTC)
    plan = Plan(season=season, number=1, status="published", published_dt=published)
    db.session.add(plan)
    day, per_day, k = season.start_date, 0, 0
    while k < n_events:
        if day.weekday() == 6 or per_day == 2 + (day.toordinal() % 2):
            day, per_day = day + dt.timedelta(days=1), 0
            continue
        city, region, country, lat, lon, tz = PLACES[(day.toordinal()) % len(PLACES)]
        venue = Venue(name=f"Venue {k}", type="community", street=f"{k} Main St", city=city, region=region,
                      country=country, postal_code="00000", lat=lat, lon=lon, tz=tz)
        request = Request(season=season, venue=venue, ref=f"r{k}", status="scheduled", contact_name=f"Contact {k}",
                          contact_email=f"c{k}@example.org", notes=f"Notes for {k}")
        start = dt.datetime.combine(day, dt.time(9 + 4 * per_day), ZoneInfo(tz)).astimezone(UTC)
        db.session.add(Visit(plan=plan, request=request, team=team, start_dt=start, end_dt=start + dt.timedelta(minutes=90),
                             order=k, sequence=0, changed_dt=published, drive_minutes_before=60 + k % 90,
                             drive_km_before=50.0 + k))
        per_day, k = per_day + 1, k + 1
    last = season.start_date + dt.timedelta(days=76)
    d = season.start_date
    while d <= last:
        city, region, country, lat, lon, tz = PLACES[d.toordinal() % len(PLACES)]
        db.session.add(Overnight(plan=plan, team=team, day=d, lat=lat, lon=lon, town=f"{city}, {region}"))
        d += dt.timedelta(days=1)
    db.session.commit()
    for number in range(2, n_plans + 1):  # re-publishes that move one screening each
        published += dt.timedelta(days=3)
        new = Plan(season=season, number=number, status="published", published_dt=published)
        db.session.add(new)
        for i, v in enumerate(list(plan.visits)):
            moved = i == number
            new.visits.append(Visit(request_id=v.request_id, team_id=v.team_id,
                                    start_dt=v.start_dt + dt.timedelta(minutes=30 if moved else 0),
                                    end_dt=v.end_dt + dt.timedelta(minutes=30 if moved else 0), order=v.order,
                                    sequence=v.sequence + moved, changed_dt=published if moved else v.changed_dt,
                                    drive_minutes_before=v.drive_minutes_before, drive_km_before=v.drive_km_before))
        for o in plan.overnights:
            new.overnights.append(Overnight(team_id=o.team_id, day=o.day, lat=o.lat, lon=o.lon, town=o.town))
        db.session.commit()
        plan = new
    return season, team


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall and median CPU milliseconds (CPU time shows the cost on a machine shared with others)."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150)
    parser.add_argument("--plans", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    from tourplanner import feeds
    from tourplanner.models import now_utc

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TOURPLANNER_INSTANCE"] = tmp
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "PUBLIC_HOST": "tour.example.org"})
        with app.app_context():
            db.create_all()
            season, team = build(args.events, args.plans)
            now = now_utc().replace(year=2027, month=1, day=25)
            token = feeds.issue_token(season, "team", team=team, now=now)

            season_id, team_id = season.id, team.id

            def cold():  # a fresh session, as in a new HTTP request, and an empty feed cache
                from tourplanner.models import Season, Team

                feeds.clear_cache()
                db.session.remove()
                return feeds.team_feed(db.session.get(Season, season_id), db.session.get(Team, team_id),
                                       host="tour.example.org", now=now)

            t0, c0 = time.perf_counter(), time.process_time()
            feed = cold()
            first, first_cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
            cold_med, cold_max = timed(cold, args.repeat)
            season, team = db.session.get(type(season), season_id), db.session.get(type(team), team_id)
            warm_med, warm_max = timed(lambda: feeds.team_feed(season, team, host="tour.example.org", now=now), args.repeat)
            client = app.test_client()
            etag = client.get(f"/feeds/{token}.ics").headers["ETag"]
            http_med, http_max = timed(lambda: client.get(f"/feeds/{token}.ics"), args.repeat)
            nm_med, nm_max = timed(lambda: client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag}), args.repeat)
            events = feed.body.count(b"BEGIN:VEVENT")
            screenings = feed.body.count(b"UID:visit-")
    print(f"team feed: {screenings} screenings, {events} VEVENTs in all (drives, nights), {len(feed.body) // 1024} KiB, "
          f"{args.plans} published plans")
    print(f"{'case':<44} {'wall ms':>8} {'CPU ms':>8}   (medians; load average {os.getloadavg()[0]:.1f})")
    print(f"{'first build (VTIMEZONEs generated)':<44} {first:>8.1f} {first_cpu:>8.1f}")
    print(f"{'build, cache cleared':<44} {cold_med:>8.1f} {cold_max:>8.1f}")
    print(f"{'cached (plan unchanged)':<44} {warm_med:>8.1f} {warm_max:>8.1f}")
    print(f"{'GET /feeds/<token>.ics, cached':<44} {http_med:>8.1f} {http_max:>8.1f}")
    print(f"{'GET with matching If-None-Match (304)':<44} {nm_med:>8.1f} {nm_max:>8.1f}")
    print(f"target: a 150-event team feed under 50 ms -> served from cache {'OK' if http_med < 50 else 'MISSED'}, "
          f"rebuilt after a plan change {'OK' if cold_max < 50 else 'MISSED'} (CPU)")


if __name__ == "__main__":
    main()
