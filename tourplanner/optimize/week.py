"""An exact repair of one team's week with CP-SAT, for the LNS: which requests, on which dates, in which order.

The greedy repair (search.py) inserts the best request first, and a valuable event can block two others on one
day; an OR-Tools routing model as a move lost visits to the exact schedule because a routing dimension cannot
count events per day or the daily driving cap (experiments.md). This model states those rules directly:

- a circuit over the depot (the stop before the week, and the visit after it) and the candidates, optional
  nodes skipped by self-loops;
- per (candidate, date) a boolean, at most `max_events` of them per date;
- a start minute per candidate inside its slots of the chosen date;
- per arc: the start of the next event no earlier than the end of this one plus the drive (elapsed time, and
  the exact drive from the earliest start on each date, so nights and day hours count from there);
- per date: the road minutes of the legs between two events of that date at most the daily cap.

It is still a relaxation of the exact schedule (a drive from a later start, or after other driving that day,
ends later than it says), so every answer is followed with `Search.visit` as the search does; a path the
schedule cannot hold is cut from the model (a lazy constraint) and the model solved again, a few rounds at most.
The search changes only when the schedule holds the new week and everything after it, no must-keep visit is
lost and the objective strictly improves.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ortools.sat.python import cp_model

from .search import Search, Stop

SCALE = 100  # objective units (value, leg costs) to CP-SAT integers: 0.01 of a unit
ROUNDS = 5  # solves per call: the first answer and up to four after lazy cuts
WALL_CAP_S = 10.0  # a safety net only: the deterministic limit ends a solve long before (and keeps it reproducible)


def week_segment(search: Search, team: int, first_date: int, last_date: int) -> tuple[int, int]:
    """Route indexes [pos, end) of the team's visits dated first_date..last_date (contiguous: dates only grow)."""
    stops = search.stops[team]
    pos = bisect_left(stops, first_date, key=_date)
    end = bisect_right(stops, last_date, key=_date)
    return pos, max(pos, end)


def _date(stop: Stop) -> int:
    return stop.date


def week_candidates(search: Search, team: int, first_date: int, last_date: int, max_candidates: int,
                    pos: int, end: int) -> list[int]:
    """The week's own visits, then the unserved requests the team may do in the week, nearest first.

    Nearness is the shortest drive from any anchor (the stop before the week, the week's visits, the visit after
    it): a far request rarely pays for its drive, and the model grows with the square of the candidates."""
    model = search.model
    order = search.order[team]
    segment = order[pos:end]
    entry = search.stops[team][pos - 1].point if pos > 0 else model.n + team
    anchors = [entry] + segment + order[end:end + 1]
    pool = [int(r) for r in search.unserved_pool()
            if search.allowed[team, r] and any(first_date <= d <= last_date for d, _lo, _hi in search.slots[r])]
    mins = model.min_list
    near = sorted(pool, key=lambda r: (min(mins[a][r] for a in anchors), r))
    return segment + near[:max(0, max_candidates - len(segment))]


def repair_week(search: Search, team: int, first_date: int, last_date: int, *, max_candidates: int = 30,
                deterministic_limit: float = 2.0, seed: int = 0, rounds: int = ROUNDS,
                stats: dict | None = None) -> bool:
    """Re-plan the team's visits dated first_date..last_date exactly; True when the search changed (for the better).

    `stats`, when given, receives what happened: candidates, rounds solved, the objective gain, the last status."""
    model = search.model
    pos, end = week_segment(search, team, first_date, last_date)
    order, stops = search.order[team], search.stops[team]
    segment = order[pos:end]
    cands = week_candidates(search, team, first_date, last_date, max_candidates, pos, end)
    info = {"candidates": len(cands), "rounds": 0, "gain": 0.0, "status": "no candidates"}
    if stats is not None:
        stats.update(info)
    if not cands:
        return False
    entry = stops[pos - 1] if pos > 0 else search.start_stop(team)
    nxt = order[end] if end < len(order) else None
    week = _WeekModel(search, team, entry, nxt, cands, segment, first_date, last_date)
    changed = False
    for _ in range(rounds):
        info["rounds"] += 1
        info["status"], seq = week.solve(deterministic_limit, seed)
        if seq is None or seq == segment:
            break  # nothing better in the relaxation, so nothing better in the exact schedule
        new_order = order[:pos] + seq + order[end:]
        shift = len(seq) - len(segment)
        rescheduled = search.reschedule(team, new_order, pos, pos + len(seq), shift)
        if rescheduled is None:
            week.cut(seq, _failing_prefix(search, team, entry, seq, order[end:]))
            info["status"] = "cut"
            continue
        changed = _apply_if_better(search, team, pos, segment, seq, new_order, rescheduled, shift, info)
        break
    if stats is not None:
        stats.update(info)
    return changed


def _failing_prefix(search: Search, team: int, entry: Stop, seq: list[int], after: list[int]) -> int:
    """How many of the week's new visits the exact schedule holds before it fails; len(seq) when the week
    itself holds and what follows it (the later visits, the drive to the team's end) fails."""
    stop = entry
    for i, r in enumerate(seq):
        stop = search.visit(stop, r)
        if stop is None:
            return i
    return len(seq)


def _apply_if_better(search, team, pos, segment, seq, new_order, rescheduled, shift, info) -> bool:
    """Put the new week in; undo it unless must-keep visits stay served and the objective strictly improves."""
    before, kept = search.objective(), search.kept()
    old_order, old_stops = search.order[team], search.stops[team]
    old_team_of = {r: int(search.team_of[r]) for r in set(segment) | set(seq)}
    search.apply(team, new_order, pos, rescheduled, shift)
    for r in segment:
        search.team_of[r] = -1
    for r in seq:
        search.team_of[r] = team
    after = search.objective()
    if search.kept() >= kept and after > before + 1e-9:
        info["gain"] = after - before
        info["status"] = "improved"
        return True
    search.order[team], search.stops[team] = old_order, old_stops
    for r, k in old_team_of.items():
        search.team_of[r] = k
    info["status"] = "not better"
    return False


class _WeekModel:
    """The CP-SAT model of one team-week: node 0 is the depot (entry and exit), node i + 1 candidate i."""

    def __init__(self, search: Search, team: int, entry: Stop, nxt: int | None, cands: list[int],
                 segment: list[int], first_date: int, last_date: int):
        self.cands = cands
        model = search.model
        mins, costs = model.min_list, search.cost_list
        setup, teardown, dur = model.setup, model.teardown, model.duration
        self.m = m = cp_model.CpModel()
        in_segment = set(segment)
        must = {r for r in segment if r in search.locked or r in search.held or search.keep[r]}
        moved = {r for r in search.previous_at if r not in search.held}  # serving one of these costs a move

        # per candidate: its week's slots by date, presence, date booleans, start minute
        slots = [[s for s in search.slots[r] if first_date <= s[0] <= last_date] for r in cands]
        by_date = []
        for sl in slots:
            dates = {}
            for d, lo, hi in sl:
                dates.setdefault(d, []).append((lo, hi))
            by_date.append(dates)
        self.present, self.x, self.start = [], [], []
        for i, r in enumerate(cands):
            present = m.new_bool_var(f"p{r}")
            if r in must:
                m.add(present == 1)
            start = m.new_int_var_from_domain(
                cp_model.Domain.from_intervals([[lo, hi] for _d, lo, hi in slots[i]]), f"s{r}")
            x = {}
            for d, ivs in by_date[i].items():
                x[d] = m.new_bool_var(f"x{r}_{d}")
                m.add_linear_expression_in_domain(start, cp_model.Domain.from_intervals(
                    [[lo, hi] for lo, hi in ivs])).only_enforce_if(x[d])
            m.add(sum(x.values()) == present)
            self.present.append(present)
            self.x.append(x)
            self.start.append(start)
        date = [sum(d * b for d, b in x.items()) for x in self.x]
        for d in range(first_date, last_date + 1):
            on = [x[d] for x in self.x if d in x]
            if len(on) > model.max_events:
                m.add(sum(on) <= model.max_events)

        # arcs: depot -> first (the exact drive from the entry stop), between candidates, last -> the next visit
        self.arcs = {}
        terms = []
        nxt_latest = search.slot_hi[nxt][-1] if nxt is not None else None
        for i, r in enumerate(cands):
            got = search.visit(entry, r)
            if got is not None and got.date <= last_date:
                lit = self._arc(0, i + 1)
                m.add(self.start[i] >= got.start).only_enforce_if(lit)
                terms.append((lit, costs[entry.point][r]))
            if nxt is None:
                terms.append((self._arc(i + 1, 0), 0.0))
                continue
            out = [d for d, ivs in by_date[i].items() if self._leave(model, r, nxt, d, min(lo for lo, _ in ivs))
                   + setup <= nxt_latest]
            if out:
                lit = self._arc(i + 1, 0)
                m.add(self.start[i] + dur[r] + teardown + mins[r][nxt] + setup <= nxt_latest).only_enforce_if(lit)
                m.add_bool_or([self.x[i][d] for d in out]).only_enforce_if(lit)
                terms.append((lit, costs[r][nxt]))
        empty = None
        if not must:
            empty = self._arc(0, 0)
            terms.append((empty, costs[entry.point][nxt] if nxt is not None else 0.0))
        for i in range(len(cands)):
            self.arcs[i + 1, i + 1] = self.present[i].Not()  # a skipped candidate loops on itself

        drive_in = [None] * len(cands)  # road minutes of the leg into a candidate when it is on its predecessor's date
        for i, a in enumerate(cands):
            lo_i = min(lo for _d, lo, _hi in slots[i])
            for j, b in enumerate(cands):
                if i == j:
                    continue
                gap = dur[a] + teardown + mins[a][b] + setup
                if lo_i + gap > max(hi for _d, _lo, hi in slots[j]) or min(by_date[i]) > max(by_date[j]):
                    continue  # no date and time of a lets b follow it
                # the exact drive from a's earliest start on each date: nights and day hours from there on
                arrive = {d: self._leave(model, a, b, d, min(lo for lo, _ in ivs)) for d, ivs in by_date[i].items()}
                dates = [d for d, t in arrive.items() if t + setup <= max(hi for _d, _lo, hi in slots[j])]
                if not dates:
                    continue
                lit = self._arc(i + 1, j + 1)
                terms.append((lit, costs[a][b]))
                m.add(self.start[j] >= self.start[i] + gap).only_enforce_if(lit)
                m.add(date[j] >= date[i]).only_enforce_if(lit)
                for d in by_date[i]:
                    if d in dates:
                        m.add(self.start[j] >= arrive[d] + setup).only_enforce_if([lit, self.x[i][d]])
                    else:
                        m.add_implication(lit, self.x[i][d].Not())
                road = model.road_minutes(a, b)
                if not set(by_date[i]) & set(by_date[j]) or road == 0:
                    continue
                if road > model.cap:
                    m.add(date[j] >= date[i] + 1).only_enforce_if(lit)
                    continue
                same = m.new_bool_var(f"same{a}_{b}")  # forced true when the arc joins two events of one date
                m.add(date[j] >= date[i] + 1).only_enforce_if([lit, same.Not()])
                if drive_in[j] is None:
                    drive_in[j] = m.new_int_var(0, model.cap, f"in{b}")
                m.add(drive_in[j] >= road).only_enforce_if([lit, same])
        for d in range(first_date, last_date + 1):
            legs = []
            for j, x in enumerate(self.x):
                if d in x and drive_in[j] is not None:
                    w = m.new_int_var(0, model.cap, f"w{cands[j]}_{d}")
                    m.add(w >= drive_in[j]).only_enforce_if(x[d])
                    legs.append(w)
            if len(legs) > 1:
                m.add(sum(legs) <= model.cap)

        m.add_circuit([(t, h, lit) for (t, h), lit in self.arcs.items()])
        values = [search.value[r] - (search.move_cost if r in moved else 0.0) for r in cands]
        m.maximize(sum(round(v * SCALE) * p for v, p in zip(values, self.present))
                   - sum(round(c * SCALE) * lit for lit, c in terms if round(c * SCALE)))

        # the current week as the hint: it satisfies the model, so the solver starts from it
        index = {r: i for i, r in enumerate(cands)}
        path = [0] + [index[r] + 1 for r in segment] + [0]
        on_path = set(zip(path, path[1:])) if segment else {(0, 0)}
        for (t, h), lit in self.arcs.items():
            if t != h or t == 0:
                m.add_hint(lit, (t, h) in on_path)
        held_at = {r: s for r, s in zip(search.order[team], search.stops[team]) if r in in_segment}
        for i, r in enumerate(cands):
            m.add_hint(self.present[i], r in in_segment)
            for d, b in self.x[i].items():
                m.add_hint(b, r in held_at and held_at[r].date == d)
            if r in held_at:
                m.add_hint(self.start[i], held_at[r].start)
        self.empty = empty

    def _arc(self, tail: int, head: int):
        lit = self.arcs.get((tail, head))
        if lit is None:
            lit = self.arcs[tail, head] = self.m.new_bool_var(f"a{tail}_{head}")
        return lit

    @staticmethod
    def _leave(model, a: int, b: int, date: int, start: int) -> int:
        """Arrival at b when a's event starts at `start` on `date` and nothing was driven that day yet."""
        got = model.drive(a, b, start + model.duration[a] + model.teardown, date, 0)
        return got[0] if got is not None else 10 ** 9

    def solve(self, deterministic_limit: float, seed: int) -> tuple[str, list[int] | None]:
        """(status, the week's requests in visiting order), or None when the solver found no answer."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_deterministic_time = deterministic_limit
        solver.parameters.max_time_in_seconds = WALL_CAP_S
        status = solver.solve(self.m)
        name = solver.status_name(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return name, None
        succ = {t: h for (t, h), lit in self.arcs.items() if t != h and solver.boolean_value(lit)}
        seq, node = [], succ.get(0, 0)
        while node != 0:
            seq.append(self.cands[node - 1])
            node = succ[node]
        return name, seq

    def cut(self, seq: list[int], held: int):
        """Forbid the path the exact schedule failed on: the depot and seq[:held + 1], or (when the week holds and
        what follows fails) the whole week with its exit. Any answer holding that path fails the same way, as
        the exact schedule of a route depends only on the stop before it."""
        index = {r: i + 1 for i, r in enumerate(self.cands)}
        nodes = [0] + [index[r] for r in seq[:held + 1]]
        if held >= len(seq):
            nodes.append(0)
        lits = [self.arcs[t, h] for t, h in zip(nodes, nodes[1:])]
        self.m.add_bool_or([lit.Not() for lit in lits])
