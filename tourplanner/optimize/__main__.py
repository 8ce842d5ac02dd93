"""CLI: `python -m tourplanner.optimize INSTANCE.json --time-limit S --seed N [-o PLAN.json]`, `... check`, `... bound`."""
from __future__ import annotations

import argparse
import json
import sys

from . import Instance, InstanceError, Plan, PlanError, check, solve, upper_bound
from .travel import RoadMatrix


def _load(path, what):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise SystemExit(f"error: cannot read {what} {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        raise SystemExit(f"error: {what} {path} is not JSON: {exc}")


def _summary(plan: Plan) -> str:
    k = plan.kpis
    per = k["drive_km"] / k["served"] if k["served"] else 0.0
    lines = [f"status {plan.status}: served {k['served']} of {k['requests']} requests, audience {k['audience']}, "
             f"{k['drive_km']:.1f} km driven ({per:.1f} km per event), {k['drive_minutes']} min at the wheel"]
    for route in plan.routes:
        lines.append(f"  team {route.team}: {len(route.visits)} visits, "
                     f"{sum(v.drive_km_before for v in route.visits):.1f} km")
    reasons = {}
    for u in plan.unserved:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        lines.append(f"  unserved {reason}: {count}")
    got = plan.solver.get("recombination")
    if got:
        lines.append(f"  long solve: {got['starts']} starts improved, the best served {got['best_start_served']}; "
                     + (f"their weeks recombined serve {got['served']} ({got['weeks']} weeks, {got['seconds']} s)"
                        if got["followed"] else "no recombination followed, so the plan is that start's"))
    if "kept" in plan.solver:
        s = plan.solver
        lines.append(f"  re-plan: {s['kept']} earlier visits kept, {s['moved']} moved, {s['dropped']} dropped, "
                     f"{s['withdrawn']} no longer requested")
    if plan.solver.get("repaired_requests"):
        lines.append("  warning: the checker rejected and the solver dropped "
                     + ", ".join(plan.solver["repaired_requests"]))
    return "\n".join(lines)


def _bound(argv) -> int:
    ap = argparse.ArgumentParser(prog="python -m tourplanner.optimize bound",
                                 description="The most requests and people any plan that keeps the rules can serve.")
    ap.add_argument("instance")
    ap.add_argument("--matrix", help="road matrix JSON (ids, minutes, km) used instead of the travel model")
    args = ap.parse_args(argv)
    try:
        instance = Instance.from_dict(_load(args.instance, "instance"))
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    matrix = RoadMatrix.from_dict(_load(args.matrix, "matrix")) if args.matrix else None
    b = upper_bound(instance, matrix=matrix)
    print(f"at most {b.served} of {len(instance.requests)} requests and {b.audience} people "
          f"({b.team_days} team-days, {b.pairs} pairs of requests that fit one team-day; drives between days "
          f"{f'in, over {b.clusters} clusters of places' if b.clusters else 'left out'})")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "check":
        ap = argparse.ArgumentParser(prog="python -m tourplanner.optimize check",
                                     description="Check a plan against every rule of its instance.")
        ap.add_argument("instance")
        ap.add_argument("plan")
        ap.add_argument("--matrix", help="road matrix JSON (ids, minutes, km) used instead of the travel model")
        args = ap.parse_args(argv[1:])
        try:
            instance = Instance.from_dict(_load(args.instance, "instance"))
            plan = Plan.from_dict(_load(args.plan, "plan"))
        except (InstanceError, PlanError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        matrix = RoadMatrix.from_dict(_load(args.matrix, "matrix")) if args.matrix else None
        violations = check(instance, plan, matrix=matrix)
        for v in violations:
            print(f"{v.rule}: {v.message}")
        print(f"{len(violations)} violation(s)")
        return 1 if violations else 0

    if argv and argv[0] == "bound":
        return _bound(argv[1:])

    ap = argparse.ArgumentParser(prog="python -m tourplanner.optimize",
                                 description="Plan a tour season (formats.md section 2 in, section 3 out).")
    ap.add_argument("instance")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=None, help="improvement steps, for runs that repeat exactly")
    ap.add_argument("--previous", help="an earlier plan JSON to start from (re-planning)")
    ap.add_argument("--matrix", help="road matrix JSON (ids, minutes, km) used instead of the travel model")
    ap.add_argument("-o", "--output", help="write the plan JSON here (default: stdout)")
    args = ap.parse_args(argv)
    try:
        instance = Instance.from_dict(_load(args.instance, "instance"))
        previous = Plan.from_dict(_load(args.previous, "plan")) if args.previous else None
    except (InstanceError, PlanError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    matrix = RoadMatrix.from_dict(_load(args.matrix, "matrix")) if args.matrix else None

    def progress(info):
        print(f"[{info['elapsed_s']:7.1f}s/{info['time_limit_s']}s] {info['phase']:<11} served {info['served']:5d}  "
              f"audience {info['audience']:7d}  {info['drive_km']:10.1f} km", file=sys.stderr, flush=True)

    plan = solve(instance, time_limit_s=args.time_limit, seed=args.seed, steps=args.steps, previous=previous,
                 matrix=matrix, progress=progress)
    text = json.dumps(plan.to_dict(), indent=1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    print(_summary(plan), file=sys.stderr)
    return 0 if plan.status == "feasible" else 1


if __name__ == "__main__":
    sys.exit(main())
