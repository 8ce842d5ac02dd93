"""VRPTW benchmark: our routing core vs plain OR-Tools, PyVRP and VROOM on Solomon / Gehring-Homberger.

    .venv/bin/python bench/solomon.py --time-limit 60 --peer ortools --peer pyvrp --json bench/out/solomon.json

Distances are Euclidean truncated to one decimal (DIMACS); every solution is checked independently
(capacity, windows, each customer once, distance recomputed from the coordinates).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_instances import SCALE, check_routes, read_solution, read_vrplib  # noqa: E402
from routing_peers import available, solve_vrptw  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent / "instances"
PEERS = ("ortools", "pyvrp", "vroom")


def instance_files(args) -> list[Path]:
    """The .vrp files to run: the ones named, or every one under the benchmark folders."""
    if args.files:
        files = [Path(f) for f in args.files]
    else:
        root = Path(args.benchmarks)
        files = sorted((root / "solomon").glob("*.vrp")) + sorted((root / "gh200").glob("*.vrp"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing or not files:
        sys.exit(f"no such instance file: {', '.join(missing) or args.benchmarks}")
    return files


def run_one(peer: str, inst, distance, time_limit: float, seed: int) -> dict:
    """Solve with one peer, time it and check the routes independently."""
    start = time.monotonic()
    routes = solve_vrptw(peer, inst, distance, time_limit, seed)
    elapsed = time.monotonic() - start
    violations, total, _ = check_routes(inst, routes)
    if not routes:
        violations = ["no solution"]
    return {"routes": routes, "vehicles": len(routes), "distance": total / SCALE, "time_s": round(elapsed, 1),
            "feasible": not violations, "violations": violations[:5]}


def gap(value: float, best: float | None) -> str:
    return "" if best is None else f"{100 * (value - best) / best:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="VRPLIB .vrp files (default: all under --benchmarks)")
    parser.add_argument("--benchmarks", default=str(DEFAULT_DIR), help="folder holding solomon/ and gh200/")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance and solver")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer", action="append", choices=PEERS, default=[], help="also run a peer (repeatable)")
    parser.add_argument("--json", help="write every solver's routes and figures to this file")
    args = parser.parse_args(argv)
    peers = []
    for peer in args.peer:
        if available(peer):
            peers.append(peer)
        else:
            print(f"# peer {peer} skipped: package not installed (pip install -r requirements-bench.txt)")
    solvers = ["ours", *peers]
    header = ["instance", "n"]
    for s in solvers:
        header += [f"{s} veh", f"{s} dist", f"{s} gap%", f"{s} s", f"{s} ok"]
    header += ["best known"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    report, gaps = [], {s: {} for s in solvers}
    for path in instance_files(args):
        inst = read_vrplib(path)
        sol_path = path.with_suffix(".sol")
        best = read_solution(sol_path)[1] if sol_path.is_file() else None
        distance = inst.distance_matrix()
        row = [inst.name, str(inst.size)]
        entry = {"instance": inst.name, "customers": inst.size, "best_known": best}
        for s in solvers:
            res = run_one(s, inst, distance, args.time_limit, args.seed)
            entry[s] = res
            row += [str(res["vehicles"]), f"{res['distance']:.1f}", gap(res["distance"], best),
                    f"{res['time_s']:.1f}", "yes" if res["feasible"] else "NO: " + "; ".join(res["violations"][:2])]
            if best is not None and res["feasible"]:
                gaps[s].setdefault(inst.size, []).append(100 * (res["distance"] - best) / best)
        row.append(f"{best:.1f}" if best is not None else "")
        print("| " + " | ".join(row) + " |", flush=True)
        report.append(entry)
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps({"time_limit_s": args.time_limit, "instances": report}, indent=1))
    for s in solvers:
        for size, values in sorted(gaps[s].items()):
            print(f"# {s}: mean gap {sum(values) / len(values):.2f} % on {len(values)} instances of {size} customers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
