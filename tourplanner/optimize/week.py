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
- per date: the road minutes driven that day before its events (the legs between two events of the date, and
  what a leg from an earlier date must still drive that morning) at most the daily cap; the drive to the visit
  after the week either fits in the last event's day or goes on the next morning, and that visit starts no
  later than what the rest of the route allows.

Candidates are the week's visits and the nearest unserved requests with a slot in the week; each keeps arcs to
its nearest successors only (bench/tour.py, 1,000 requests, 30 weeks after the construction: 10 successors
found 80 % of the gain of all of them in half the time, 1.1 s against 2.4 s a call).

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
NEIGHBOURS = 10  # successor arcs per candidate, nearest first (and the week's own legs)
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
                deterministic_limit: float = 2.0, seed: int = 0, rounds: int = ROUNDS, neighbours: int = NEIGHBOURS,
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
    latest_next = _latest_next_start(search, team, end) if nxt is not None else None
    week = _WeekModel(search, team, entry, nxt, latest_next, cands, segment, first_date, last_date, neighbours)
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
            week.cut(seq, _failing_prefix(search, entry, seq))
            info["status"] = "cut"
            continue
        changed = _apply_if_better(search, team, pos, segment, seq, new_order, rescheduled, shift, info)
        break
    if stats is not None:
        stats.update(info)
    return changed


def _failing_prefix(search: Search, entry: Stop, seq: list[int]) -> int:
    """How many of the week's new visits the exact schedule holds before it fails; len(seq) when the week
    itself holds and what follows it (the later visits, the drive to the team's end) fails."""
    stop = entry
    for i, r in enumerate(seq):
        stop = search.visit(stop, r)
        if stop is None:
            return i
    return len(seq)


def _latest_next_start(search: Search, team: int, end: int) -> int:
    """The latest start of the visit after the week that keeps the rest of the route, as an upper bound.

    The rest is followed from that visit with nothing driven and one event on its day (the best case), so a
    start that fails here fails in any schedule; a binary search over its slots from its current start on (it
    takes a later start never to help what follows, as the forward schedule goes)."""
    model = search.model
    order, old = search.order[team], search.stops[team]
    r = order[end]
    tail = model.duration[r] + model.teardown

    def holds(date, t):
        stop = Stop(r, t + tail, date, 0, 1, t)
        for i in range(end + 1, len(order)):
            stop = search.visit(stop, order[i])
            if stop is None:
                return False
            if stop == old[i]:
                return True
        return search.reaches_end(team, stop)

    current = old[end].start
    spans = [(d, max(lo, current), hi) for d, lo, hi in search.slots[r] if hi >= current]
    best = current
    for d, lo, hi in spans:
        if not holds(d, lo):
            break
        if holds(d, hi):
            best = hi
            continue
        hi -= 1
        while lo < hi:  # holds at lo, fails after hi
            mid = (lo + hi + 1) // 2
            if holds(d, mid):
                lo = mid
            else:
                hi = mid - 1
        best = lo
        break
    return best


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

    def __init__(self, search: Search, team: int, entry: Stop, nxt: int | None, latest_next: int | None,
                 cands: list[int], segment: list[int], first_date: int, last_date: int, neighbours: int):
        self.cands = cands
        model = search.model
        mins, costs = model.min_list, search.cost_list
        setup, teardown, dur, cap = model.setup, model.teardown, model.duration, model.cap
        self.m = m = cp_model.CpModel()
        in_segment = set(segment)
        must = {r for r in segment if r in search.locked or r in search.held or search.keep[r]}
        moved = {r for r in search.previous_at if r not in search.held}  # serving one of these costs a move

        # per candidate: its week's slots by date, presence, date booleans, start minute, road minutes driven
        # on its date for the leg into it
        slots = [[s for s in search.slots[r] if first_date <= s[0] <= last_date] for r in cands]
        by_date = []
        for sl in slots:
            dates = {}
            for d, lo, hi in sl:
                dates.setdefault(d, []).append((lo, hi))
            by_date.append(dates)
        self.present, self.x, self.start, drive_in = [], [], [], []
        for i, r in enumerate(cands):
            present = m.new_bool_var(f"p{r}")
            if r in must:
                m.add(present == 1)
            start = m.new_int_var_from_domain(
                cp_model.Domain.from_intervals([[lo, hi] for _d, lo, hi in slots[i]]), f"s{r}")
            driven = m.new_int_var(0, cap, f"in{r}")
            x = {}
            zone_lo = model.day_lo[model.zone_of[r]]
            for d, ivs in by_date[i].items():
                x[d] = m.new_bool_var(f"x{r}_{d}")
                m.add_linear_expression_in_domain(start, cp_model.Domain.from_intervals(
                    [[lo, hi] for lo, hi in ivs])).only_enforce_if(x[d])
                m.add(start >= zone_lo[d] + driven + setup).only_enforce_if(x[d])  # that drive is in day hours
            m.add(sum(x.values()) == present)
            self.present.append(present)
            self.x.append(x)
            self.start.append(start)
            drive_in.append(driven)
        date = [sum(d * b for d, b in x.items()) for x in self.x]
        used = {}  # date -> road minutes driven that day before the events (a lower bound)
        for d in range(first_date, last_date + 1):
            on = [(j, x[d]) for j, x in enumerate(self.x) if d in x]
            if len(on) > model.max_events:
                m.add(sum(b for _j, b in on) <= model.max_events)
            legs = []
            for j, b in on:
                w = m.new_int_var(0, cap, f"w{cands[j]}_{d}")
                m.add(w >= drive_in[j]).only_enforce_if(b)
                legs.append(w)
            if legs:
                used[d] = sum(legs)
                m.add(used[d] <= cap)

        def free_at(i, d):
            """(a's earliest end on date d, its latest, the expression) of candidate i's event on that date."""
            r = cands[i]
            return (min(lo for lo, _ in by_date[i][d]) + dur[r] + teardown,
                    max(hi for _, hi in by_date[i][d]) + dur[r] + teardown, self.start[i] + dur[r] + teardown)

        def left_today(i, d, b):
            """Road minutes the leg from candidate i to point b may still drive on date d, as an upper bound that
            is linear in i's start where the day hours allow."""
            early, late, expr = free_at(i, d)
            hi = model.pair(cands[i], b)[1][d]
            return hi - expr if late <= hi else max(0, hi - early)

        # arcs: depot -> first (the exact drive from the entry stop), between candidates, last -> the next visit
        self.arcs = {}
        terms = []
        for i, r in enumerate(cands):
            got = model.drive(entry.point, r, entry.free_at, entry.date, entry.driven)
            first = search.visit(entry, r)
            if first is not None and first.date <= last_date:
                lit = self._arc(0, i + 1)
                m.add(self.start[i] >= first.start).only_enforce_if(lit)
                if got[1] in self.x[i]:  # the entry leg's last day, if the event is held that day
                    m.add(drive_in[i] >= got[2]).only_enforce_if([lit, self.x[i][got[1]]])
                terms.append((lit, costs[entry.point][r]))
            if nxt is None:
                terms.append((self._arc(i + 1, 0), 0.0))
                continue
            road = model.road_minutes(r, nxt)
            out = [d for d, ivs in by_date[i].items()
                   if self._leave(model, r, nxt, d, min(lo for lo, _ in ivs)) + setup <= latest_next]
            if not out:
                continue
            lit = self._arc(i + 1, 0)
            terms.append((lit, costs[r][nxt]))
            m.add(self.start[i] + dur[r] + teardown + mins[r][nxt] + setup <= latest_next).only_enforce_if(lit)
            for d in by_date[i]:
                if d not in out:
                    m.add_implication(lit, self.x[i][d].Not())
                    continue
                if road == 0 or d + 1 >= model.days:
                    continue
                # either the drive to the next visit fits in the day's hours and cap, or the rest of it is
                # driven from the next morning on
                night = m.new_bool_var(f"night{r}_{d}")
                m.add(free_at(i, d)[2] + road <= model.pair(r, nxt)[1][d]).only_enforce_if(
                    [lit, self.x[i][d], night.Not()])
                m.add(used[d] + road <= cap).only_enforce_if([lit, self.x[i][d], night.Not()])
                morning = model.pair(r, nxt)[0][d + 1] + setup
                m.add(morning + road - cap + used[d] <= latest_next).only_enforce_if([lit, self.x[i][d], night])
                m.add(morning + road - left_today(i, d, nxt) <= latest_next).only_enforce_if(
                    [lit, self.x[i][d], night])
        if not must:  # an empty week
            terms.append((self._arc(0, 0), costs[entry.point][nxt] if nxt is not None else 0.0))
        for i in range(len(cands)):
            self.arcs[i + 1, i + 1] = self.present[i].Not()  # a skipped candidate loops on itself

        on_path = set(zip(segment, segment[1:]))
        for i, a in enumerate(cands):
            lo_i = min(lo for _d, lo, _hi in slots[i])
            options = []
            for j, b in enumerate(cands):
                if i == j:
                    continue
                gap = dur[a] + teardown + mins[a][b] + setup
                latest_j = max(hi for _d, _lo, hi in slots[j])
                if lo_i + gap > latest_j or min(by_date[i]) > max(by_date[j]):
                    continue  # no date and time of a lets b follow it
                # the exact drive from a's earliest start on each date: nights and day hours from there on
                arrive = {d: self._leave(model, a, b, d, min(lo for lo, _ in ivs)) for d, ivs in by_date[i].items()}
                if all(t + setup > latest_j for t in arrive.values()):
                    continue
                options.append((costs[a][b], j, arrive))
            options.sort(key=lambda o: (o[0], o[1]))
            # the nearest successors only (and the current week's own legs): a far one rarely pays
            keep = [o for k, o in enumerate(options) if k < neighbours or (a, cands[o[1]]) in on_path]
            for cost, j, arrive in keep:
                b = cands[j]
                latest_j = max(hi for _d, _lo, hi in slots[j])
                gap = dur[a] + teardown + mins[a][b] + setup
                lit = self._arc(i + 1, j + 1)
                terms.append((lit, cost))
                m.add(self.start[j] >= self.start[i] + gap).only_enforce_if(lit)
                m.add(date[j] >= date[i]).only_enforce_if(lit)
                road = model.road_minutes(a, b)
                common = set(by_date[i]) & set(by_date[j])
                same = None
                if common and road <= cap:
                    same = m.new_bool_var(f"same{a}_{b}")  # true when the arc joins two events of one date
                    m.add(date[j] >= date[i] + 1).only_enforce_if([lit, same.Not()])
                    m.add(date[j] == date[i]).only_enforce_if([lit, same])
                    m.add(drive_in[j] >= road).only_enforce_if([lit, same])
                else:
                    m.add(date[j] >= date[i] + 1).only_enforce_if(lit)
                for d in by_date[i]:
                    if arrive[d] + setup > latest_j:
                        m.add_implication(lit, self.x[i][d].Not())
                        continue
                    m.add(self.start[j] >= arrive[d] + setup).only_enforce_if([lit, self.x[i][d]])
                    if road == 0:
                        continue
                    if same is not None and d in common:
                        m.add(free_at(i, d)[2] + road <= model.pair(a, b)[1][d]).only_enforce_if(
                            [lit, same, self.x[i][d]])
                    # on a later date: what the evening and the days between cannot drive is driven that morning
                    later = [lit, self.x[i][d]] + ([same.Not()] if same is not None else [])
                    m.add(drive_in[j] >= road - left_today(i, d, b) - cap * (date[j] - d - 1)).only_enforce_if(later)

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
