"""Optimizer instances written by hand: requests near Chicago, one team, rules a person can check."""

from __future__ import annotations

from tourplanner.optimize import Instance


RULES = {"day_start": "07:00", "day_end": "22:00", "max_drive_minutes_per_day": 480, "days_off": ["sun"],
         "max_events_per_day": 2, "setup_minutes": 30, "teardown_minutes": 15, "default_duration_minutes": 90,
         "border_crossing_minutes": 60, "holidays": True}


CHICAGO = {"lat": 41.8781, "lon": -87.6298, "tz": "America/Chicago"}


def req(ref, lat, lon, tz, country, region, windows, **kw):
    d = {"id": ref, "name": ref, "type": "community", "lat": lat, "lon": lon, "tz": tz, "country": country,
         "region": region, "audience": 100, "duration_minutes": 90, "priority": 3,
         "windows": [{"start": a, "end": b} for a, b in windows], "team": None, "fixed_start": None}
    d.update(kw)
    return d


def chicago(ref, *windows, **kw):
    return req(ref, 41.8781, -87.6298, "America/Chicago", "US", "IL", windows, **kw)


def instance_dict(requests, teams=None, start="2027-02-01", days=7, **rules):
    merged = dict(RULES)
    merged.update(rules)
    return {"name": "test", "start_date": start, "days": days, "rules": merged,
            "teams": teams or [{"id": "a", "name": "A", "start": CHICAGO, "end": None}], "requests": requests}


def great_lakes_season(requests=40):
    """Random requests around six Great Lakes cities over three weeks, two teams (one pinned request)."""
    import random

    rng = random.Random(7)
    zones = [(41.88, -87.63, "America/Chicago", "US", "IL"), (42.33, -83.05, "America/Detroit", "US", "MI"),
             (43.65, -79.38, "America/Toronto", "CA", "ON"), (45.50, -73.57, "America/Toronto", "CA", "QC"),
             (44.98, -93.27, "America/Chicago", "US", "MN"), (39.96, -82.99, "America/New_York", "US", "OH")]
    reqs = []
    for i in range(requests):
        lat, lon, tz, country, region = rng.choice(zones)
        day = rng.randrange(1, 20)
        windows = [(f"2027-02-{day:02d}T{h:02d}:00", f"2027-02-{day:02d}T{h + rng.choice([3, 6]):02d}:00")
                   for h in (rng.choice([8, 12, 17]),)]
        reqs.append(req(f"r{i}", lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-0.5, 0.5), tz, country, region,
                        windows, audience=rng.randrange(20, 400), priority=rng.choice([1, 2, 3, 4, 5])))
    reqs[0]["team"] = "b"
    teams = [{"id": "a", "name": "A", "start": CHICAGO, "end": None},
             {"id": "b", "name": "B", "start": {"lat": 43.65, "lon": -79.38, "tz": "America/Toronto"},
              "end": {"lat": 43.65, "lon": -79.38, "tz": "America/Toronto"}}]
    return reqs, Instance.from_dict(instance_dict(reqs, teams=teams, days=21))
