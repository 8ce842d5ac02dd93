"""Readers for the public routing benchmarks and an independent feasibility checker.

VRPLIB (Solomon, Gehring-Homberger) with their best-known .sol files, and Cordeau's text format for
the orienteering instances with Righini-Salani's proven optimum.  Distances follow the DIMACS
convention: Euclidean, truncated to one decimal; we work in tenths so everything is an integer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCALE = 10  # tenths: the one-decimal truncation is exact in integers


class BenchmarkFileError(ValueError):
    """A benchmark file that cannot be read, naming the file and what is wrong."""


@dataclass(frozen=True, eq=False)
class Instance:
    """A routing benchmark instance in tenths; node 0 is the depot."""

    name: str
    coords: list[tuple[float, float]]
    demand: list[int]
    capacity: int
    ready: list[int]  # tenths
    due: list[int]  # tenths
    service: list[int]  # tenths
    vehicles: int
    prize: list[int] | None = None

    @property
    def size(self) -> int:
        return len(self.coords) - 1

    def distance_matrix(self) -> np.ndarray:
        """Tenths of Euclidean distance, truncated (exact: integer square root of hundredths)."""
        xy = np.round(np.asarray(self.coords, dtype=float) * 100).astype(np.int64)
        diff = xy[:, None, :] - xy[None, :, :]
        sq = (diff**2).sum(axis=2)  # in 1e-4 units
        # floor(10 * sqrt(sq / 1e4)) = floor(sqrt(sq) / 10) = isqrt(sq) // 10
        root = np.floor(np.sqrt(sq.astype(float))).astype(np.int64)
        root -= (root * root > sq).astype(np.int64)  # float sqrt can be one too high...
        root += ((root + 1) * (root + 1) <= sq).astype(np.int64)  # ...or one too low
        return root // 10


def read_vrplib(path: str | Path) -> Instance:
    """Read a VRPLIB CVRPTW file (Solomon / Gehring-Homberger as in PyVRP/Instances)."""
    path = Path(path)
    head: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current = None
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line == "EOF":
            continue
        m = re.match(r"^([A-Z_]+)\s*:\s*(.*)$", line)
        if m:
            head[m.group(1)] = m.group(2).strip()
            current = None
        elif re.match(r"^[A-Z_]+_SECTION$", line):
            current = line
            sections[current] = []
        elif current is None:
            raise BenchmarkFileError(f"{path}:{lineno}: data outside a section: {line!r}")
        else:
            sections[current].append(line.split())
    try:
        n = int(head["DIMENSION"])
        capacity = int(head["CAPACITY"])
        vehicles = int(head.get("VEHICLES", n - 1))
        coords = [(float(r[1]), float(r[2])) for r in sections["NODE_COORD_SECTION"]]
        demand = [int(r[1]) for r in sections["DEMAND_SECTION"]]
        windows = [(float(r[1]), float(r[2])) for r in sections["TIME_WINDOW_SECTION"]]
    except KeyError as exc:
        raise BenchmarkFileError(f"{path}: missing {exc.args[0]}") from None
    except (ValueError, IndexError) as exc:
        raise BenchmarkFileError(f"{path}: bad number ({exc})") from None
    if "SERVICE_TIME_SECTION" in sections:
        service = [float(r[1]) for r in sections["SERVICE_TIME_SECTION"]]
    else:
        service = [0.0] + [float(head.get("SERVICE_TIME", 0))] * (n - 1)
    for name, seq in (("NODE_COORD", coords), ("DEMAND", demand), ("TIME_WINDOW", windows), ("SERVICE_TIME", service)):
        if len(seq) != n:
            raise BenchmarkFileError(f"{path}: {name} has {len(seq)} rows, DIMENSION says {n}")
    depot = sections.get("DEPOT_SECTION", [["1"]])[0][0]
    if depot != "1":
        raise BenchmarkFileError(f"{path}: depot must be node 1, got {depot}")
    return Instance(
        name=head.get("NAME", path.stem),
        coords=coords,
        demand=demand,
        capacity=capacity,
        ready=[round(a * SCALE) for a, _ in windows],
        due=[round(b * SCALE) for _, b in windows],
        service=[round(s * SCALE) for s in service],
        vehicles=vehicles,
    )


def read_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """Read a VRPLIB .sol: routes of customer numbers (1..n, depot 0 left out) and the cost."""
    routes, cost = [], None
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(x) for x in line.split(":", 1)[1].split()])
        elif line.lower().startswith("cost"):
            cost = float(line.split()[1])
    if cost is None:
        raise BenchmarkFileError(f"{path}: no Cost line")
    return routes, cost


def read_cordeau(path: str | Path) -> Instance:
    """Read a Cordeau/Vansteenwegen orienteering file (c101.txt): prizes, windows, route duration."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    try:
        vehicles = int(lines[0][1])
        rows = lines[2:]
        coords = [(float(r[1]), float(r[2])) for r in rows]
        service = [round(float(r[3]) * SCALE) for r in rows]
        prize = [round(float(r[4])) for r in rows]
        ready = [round(float(r[-2]) * SCALE) for r in rows]
        due = [round(float(r[-1]) * SCALE) for r in rows]
    except (ValueError, IndexError) as exc:
        raise BenchmarkFileError(f"{path}: bad line ({exc})") from None
    if [int(r[0]) for r in rows] != list(range(len(rows))):
        raise BenchmarkFileError(f"{path}: nodes must be numbered 0..n in order")
    return Instance(path.stem, coords, [0] * len(rows), 0, ready, due, service, vehicles, prize)


def read_dssr_optimum(path: str | Path) -> int:
    """Proven one-vehicle optimum prize from Righini-Salani output: the last 'Best Feasible Path'."""
    text = Path(path).read_text()
    found = re.findall(r"Best Feasible Path\s*\n\s*Prize:\s*(\d+)", text)
    if not found:
        raise BenchmarkFileError(f"{path}: no 'Best Feasible Path' with a Prize line")
    return int(found[-1])


# ---------------------------------------------------------------- independent checker


def _leg(a: tuple[float, float], b: tuple[float, float]) -> int:
    """One leg in tenths, truncated, from the coordinates (not from the solver's matrix)."""
    dx = round((a[0] - b[0]) * 100)
    dy = round((a[1] - b[1]) * 100)
    return math.isqrt(dx * dx + dy * dy) // 10


def check_routes(inst: Instance, routes: list[list[int]], *, all_customers: bool = True) -> tuple[list[str], int, int]:
    """Violations (capacity, windows, depot close, each customer once), distance and prize recomputed."""
    problems: list[str] = []
    seen: dict[int, int] = {}
    total = prize = 0
    if len(routes) > inst.vehicles:
        problems.append(f"{len(routes)} routes but only {inst.vehicles} vehicles")
    for k, route in enumerate(routes, 1):
        load, t, prev = 0, inst.ready[0], 0
        for node in route:
            if not 1 <= node <= inst.size:
                problems.append(f"route {k}: unknown customer {node}")
                continue
            if node in seen:
                problems.append(f"customer {node} visited twice (routes {seen[node]} and {k})")
            seen[node] = k
            load += inst.demand[node]
            leg = _leg(inst.coords[prev], inst.coords[node])
            total += leg
            arrive = t + inst.service[prev] + leg
            if arrive > inst.due[node]:
                problems.append(f"route {k}: customer {node} reached at {arrive / SCALE} after its window closes at {inst.due[node] / SCALE}")
            t = max(arrive, inst.ready[node])
            prev = node
            if inst.prize:
                prize += inst.prize[node]
        leg = _leg(inst.coords[prev], inst.coords[0])
        total += leg
        back = t + inst.service[prev] + leg
        if back > inst.due[0]:
            problems.append(f"route {k}: back at the depot at {back / SCALE} after it closes at {inst.due[0] / SCALE}")
        if inst.capacity and load > inst.capacity:
            problems.append(f"route {k}: load {load} exceeds capacity {inst.capacity}")
    if all_customers:
        missing = sorted(set(range(1, inst.size + 1)) - set(seen))
        if missing:
            problems.append(f"{len(missing)} customers not visited: {missing[:10]}")
    return problems, total, prize
