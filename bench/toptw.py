"""Team orienteering with time windows: our routing core vs plain OR-Tools, PyVRP and VROOM.

    .venv/bin/python bench/toptw.py --time-limit 60 --vehicles 1 2 3 4 --peer ortools --peer pyvrp --peer vroom

Instances in Cordeau's text format (c101.txt ...); the proven one-vehicle optimum (Righini and
Salani) is read from *_100.dssr.full beside them.  Travel time = Euclidean distance truncated to one
decimal; every solution is checked independently (windows, depot close, each customer at most once,
prize recomputed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_instances import check_routes, read_cordeau, read_dssr_optimum  # noqa: E402
from routing_peers import available, solve_toptw  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parent / "instances" / "toptw"
PEERS = ("ortools", "pyvrp", "vroom")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="instance .txt files (default: all in --benchmarks)")
    parser.add_argument("--benchmarks", default=str(DEFAULT_DIR), help="folder with c101.txt ... and *.dssr.full")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance, vehicle count and solver")
    parser.add_argument("--vehicles", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer", action="append", choices=PEERS, default=[])
    parser.add_argument("--json", help="write routes and figures to this file")
    args = parser.parse_args(argv)
    files = [Path(f) for f in args.files] or sorted(Path(args.benchmarks).glob("*.txt"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing or not files:
        sys.exit(f"no such instance file: {', '.join(missing) or args.benchmarks}")
    peers = [p for p in args.peer if available(p)]
    for p in set(args.peer) - set(peers):
        print(f"# peer {p} skipped: package not installed (pip install -r requirements-bench.txt)")
    solvers = ["ours", *peers]
    header = ["instance", "vehicles", "optimum"] + [f"{s} prize" for s in solvers] + [f"{s} gap%" for s in solvers]
    header += [f"{s} s" for s in solvers] + ["all feasible"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    report = []
    for k in args.vehicles:
        for path in files:
            inst = read_cordeau(path)
            opt_path = path.with_name(f"{path.stem}_100.dssr.full")
            optimum = read_dssr_optimum(opt_path) if k == 1 and opt_path.is_file() else None
            distance = inst.distance_matrix()
            entry = {"instance": inst.name, "vehicles": k, "optimum": optimum}
            prizes, gaps, times, bad = [], [], [], []
            for s in solvers:
                start = time.monotonic()
                routes = solve_toptw(s, inst, distance, k, args.time_limit, args.seed)
                elapsed = time.monotonic() - start
                inst_k = type(inst)(**{**inst.__dict__, "vehicles": k})
                violations, total, prize = check_routes(inst_k, routes, all_customers=False)
                entry[s] = {"routes": routes, "prize": prize, "distance": total / 10, "time_s": round(elapsed, 1),
                            "violations": violations[:5]}
                prizes.append(str(prize))
                gaps.append("" if optimum is None else f"{100 * (optimum - prize) / optimum:.1f}")
                times.append(f"{elapsed:.1f}")
                if violations:
                    bad.append(f"{s}: {violations[0]}")
            row = [inst.name, str(k), "" if optimum is None else str(optimum), *prizes, *gaps, *times]
            row.append("yes" if not bad else "NO " + "; ".join(bad))
            print("| " + " | ".join(row) + " |", flush=True)
            report.append(entry)
            if args.json:
                Path(args.json).parent.mkdir(parents=True, exist_ok=True)
                Path(args.json).write_text(json.dumps({"time_limit_s": args.time_limit, "runs": report}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
