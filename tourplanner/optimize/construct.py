"""The start the search improves: pins and must-keep requests first, then teams advancing day by day.

1. pins with a fixed start and the must-keep requests (priority 5; in a re-plan, every earlier visit, held
   at its time where the rules allow) are inserted first (cheapest feasible insertion);
2. the team whose day is earliest picks its next event: the best of value - km cost - time used (numpy
   pre-ranking of all requests, exact schedule check of the best few), nights where the day ends, long
   relocations over several days.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from typing import NamedTuple

import numpy as np

from .model import BIG_PRIORITY_BONUS, Model
from .plan import Plan
from .search import SEARCH_STYLE, Search, Stop, by_date

# Construction styles (team-minute price x, driving-minute price x): which one builds the best start depends on
# the instance (bench/tour.py, 1,000 requests: 437 to 472 served after construction alone), so solve() builds
# several and improves the best. The first is also the search's own pricing.
CONSTRUCTION_STYLES = (SEARCH_STYLE, (1.0, 0.5), (0.5, 0.5), (2.0, 0.25), (2.0, 0.1), (1.0, 0.1))
MOVE_SHARE = 0.9  # a re-plan's move of an earlier visit costs 90 % of the least valuable request: one move to
# serve one more request pays, km alone (0.1 per km) would need a 700+ km saving
PAIR_REACH = 900  # driving minutes, at most, from where a team is before a thin date to a pair on it
PAIR_PRICE = 0.3  # value units per minute of that drive, when choosing among the pairs
CANDIDATES = 200  # requests pre-ranked for a team's next event
PICK = 100  # of those, checked exactly after the first feasible one (8: -10% served)
INF = np.iinfo(np.int64).max // 4


def start_from_previous(search: Search, previous: Plan):
    """Re-planning: hold each earlier visit with its team at its time when the rules still allow.

    Every earlier visit that is still requested becomes must-keep (the big bonus, and no step may serve
    fewer): one that cannot stay at its time is placed elsewhere by `place_must_keep`, and the search may move a held
    visit only to serve more (each move costs nearly a request's worth, so driving alone never pays for it).
    """
    model = search.model
    inst = model.instance
    teams = {t.id: k for k, t in enumerate(inst.teams)}
    for route in previous.routes:
        k = teams.get(route.team)
        for v in route.visits:
            r = inst.request_index.get(v.request)
            if r is None or not model.slots[r] or search.team_of[r] >= 0 or r in search.previous_at:
                continue
            minute = int((dt.datetime.fromisoformat(v.start) - model.t0).total_seconds() // 60)
            search.previous_at[r] = (k, minute)
            search.keep[r] = True
            if search.value[r] < BIG_PRIORITY_BONUS:
                search.value[r] += BIG_PRIORITY_BONUS
            if k is None or not search.allowed[k, r] or not search.hold(r, minute):
                search.release(r)
                continue
            pos = len(search.order[k])
            got = search.try_insert(k, pos, r)
            if got is None:
                search.release(r)
                continue
            search.insert(k, pos, r, got)
            if inst.requests[r].fixed_start is not None:
                search.locked.add(r)
    base = search.value[search.has_slots] % BIG_PRIORITY_BONUS
    search.move_cost = MOVE_SHARE * float(base.min()) if base.size else 0.0


def place_must_keep(search: Search):
    """Fixed-start pins, then the other must-keep requests: they go in before anything else.

    Requests a re-plan has placed already are skipped (inserting them again made duplicates that the
    checker then dropped); a must-keep request that finds no place now stays in the LNS pool."""
    model = search.model
    reqs = model.instance.requests
    open_ = [i for i in range(model.n) if search.team_of[i] < 0 and model.slots[i]]
    fixed = sorted((i for i in open_ if reqs[i].fixed_start is not None),
                   key=lambda i: (model.slots[i][0][1], reqs[i].id))
    top = sorted((i for i in open_ if search.keep[i] and reqs[i].fixed_start is None),
                 key=lambda i: (-search.value[i], reqs[i].id))
    for r in fixed + top:
        best = search.best_insertion(r)
        if best is None:
            if not search.keep[r]:
                search.excluded.add(r)
            continue
        _, k, pos, got = best
        search.insert(k, pos, r, got)
        if reqs[r].fixed_start is not None:
            search.locked.add(r)


def anchor_thin_days(search: Search) -> list[int]:
    """Give each team, on each thin date, a pair of unserved requests that fit one team that day, near where the
    team is before it; they stay at that date while the construction fills the days around them.

    Why: the day-by-day construction takes the best next event near the team, so it reaches a weekend pair only
    by chance and its weekends stay half empty; the ceiling's team-days showed where the plans fell short
    (bench/tour.py, 2,000 requests: Saturdays 60 events against 100 in the ceiling's solution, weekdays 433
    against 440). Pairs are placed date by date, the best (value - PAIR_PRICE x drive) first, one per team.
    Returns the anchored requests; `release_anchors` frees them to any slot once the construction is done."""
    model = search.model
    pairs = model.day_pairs()
    anchored = []
    for d in np.flatnonzero(model.thin_dates()).tolist():
        if d not in pairs:
            continue
        first, second = pairs[d]
        options = []
        for k in range(model.nt):
            stops = search.stops[k]
            pos = bisect_left(stops, d, key=by_date)
            if pos < len(stops) and stops[pos].date == d:
                continue  # the team holds an event that day already (a pin or a must-keep request)
            before = search.order[k][pos - 1] if pos else model.n + k
            drive = model.minutes[before, first]
            ok = search.free_pairs(k, first, second) & (drive <= PAIR_REACH)
            score = search.value[first] + search.value[second] - PAIR_PRICE * drive
            options += [(-float(score[j]), k, int(first[j]), int(second[j])) for j in np.flatnonzero(ok)]
        options.sort()
        done = set()
        for _score, k, a, b in options:
            if k in done or search.team_of[a] >= 0 or search.team_of[b] >= 0:
                continue
            if _place_pair(search, k, d, a, b):
                done.add(k)
                anchored += [a, b]
                if len(done) == model.nt:
                    break
    return anchored


def _place_pair(search: Search, team: int, date: int, a: int, b: int) -> bool:
    """Put a then b on `date` in the team's route (held to that date), or change nothing."""
    snap = search.snapshot()
    pos = bisect_left(search.stops[team], date, key=by_date)
    for j, r in enumerate((a, b)):
        search.set_slots(r, [s for s in search.model.slots[r] if s[0] == date])
        got = search.try_insert(team, pos + j, r)
        if got is None:
            search.restore(snap)
            return False
        search.insert(team, pos + j, r, got)
    return True


def release_anchors(search: Search, anchored: list[int]):
    """Let anchored requests move to any of their slots again (their stops stay valid: a wider domain)."""
    for r in anchored:
        search.set_slots(r, search.model.slots[r])


class SlotTable(NamedTuple):
    """Each request's slots by date, as arrays for ranking all candidates at once (INF where none)."""

    first_lo: np.ndarray  # (request, date): earliest start of the date's slots
    last_hi: np.ndarray  # (request, date): latest start of the date's slots (-INF where none)
    next_lo: np.ndarray  # (request, date + 2): earliest start on that date or later
    duration: np.ndarray  # (request,): event minutes


def slot_table(model: Model) -> SlotTable:
    """The model's slots as a SlotTable (built once per construction)."""
    n = model.n
    nxt = np.full((n, model.days + 1), INF, dtype=np.int64)
    for i, slots in enumerate(model.slots):
        for d, lo, hi in slots:
            if lo < nxt[i, d]:
                nxt[i, d] = lo
    for d in range(model.days - 1, -1, -1):
        np.minimum(nxt[:, d], nxt[:, d + 1], out=nxt[:, d])
    first_lo = np.full((n, model.days + 2), INF, dtype=np.int64)
    last_hi = np.full((n, model.days + 2), -INF, dtype=np.int64)
    for i, slots in enumerate(model.slots):
        for d, lo, hi in slots:
            if lo < first_lo[i, d]:
                first_lo[i, d] = lo
            if hi > last_hi[i, d]:
                last_hi[i, d] = hi
    next_lo = np.concatenate([nxt, np.full((n, 2), INF, dtype=np.int64)], axis=1)
    return SlotTable(first_lo, last_hi, next_lo, np.array(model.duration, dtype=np.int64))


def candidates(search: Search, table: SlotTable, team: int, stop: Stop, limit: int) -> list[int]:
    """Unserved requests the team could do next, best first by value - km cost - team time until it ends.

    The start is estimated (driving packed into whole days at the daily cap, the first slot from the day of
    arrival on); the exact schedule then checks the best few."""
    model = search.model
    mins = model.minutes[stop.point, :model.n]
    km = model.km[stop.point, :model.n]
    mask = (search.team_of < 0) & search.allowed[team] & search.has_slots & (search.latest_start >= stop.free_at)
    if search.excluded:
        mask[list(search.excluded)] = False
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    mi = mins[idx]
    free = max(stop.free_at, 0)
    est = free + mi + (mi // max(model.cap, 1)) * (1440 - model.cap)
    ready = est + model.setup
    day = np.clip(ready // 1440 - 1, 0, model.days)
    start = table.next_lo[idx, day + 2]
    for shift in (1, 0):
        d = day + shift
        fits = table.last_hi[idx, d] >= ready
        start = np.where(fits, np.maximum(table.first_lo[idx, d], ready), start)
    ok = start < INF
    idx, start = idx[ok], start[ok]
    score = (search.value[idx] % BIG_PRIORITY_BONUS) - search.km_price * km[idx] - search.time_w * (
        start + table.duration[idx] - free)
    order = np.lexsort((idx, -score))[:limit]
    return idx[order].tolist()


def construct(search: Search, tick):
    """Fill the routes in time order: the team whose last stop ends earliest picks its next event."""
    table = slot_table(search.model)
    nt = search.model.nt
    front = [0] * nt  # per team: visits already behind it (later ones were placed by `place_must_keep`)
    active = set(range(nt))

    def last_stop(k):
        return search.stops[k][front[k] - 1] if front[k] > 0 else search.start_stop(k)

    while active:
        k = min(active, key=lambda k: (last_stop(k).free_at, k))
        stop = last_stop(k)
        cands = candidates(search, table, k, stop, CANDIDATES)
        best = None
        free = max(stop.free_at, 0)
        order = search.order[k]
        pos = front[k]
        for i, r in enumerate(cands):
            if (best is not None and i >= PICK) or i >= PICK + 52:
                break
            got = search.try_insert(k, pos, r)
            if got is None:
                continue
            new_stop = got[1][0][0]
            worth = (search.value[r] % BIG_PRIORITY_BONUS) - search.insert_delta(k, order, pos, r)
            score = worth - search.time_w * (new_stop.free_at - free)
            if worth > 0 and (best is None or score > best[0]):
                best = (score, r, got)
        if best is not None:
            search.insert(k, pos, best[1], best[2])
            front[k] += 1
        elif front[k] < len(search.order[k]):
            front[k] += 1
        else:
            active.discard(k)
        tick("construct")
