"""The LNS moves on a Search: ruin a stretch and recreate it, bring in an unserved request, fill a short day,
and the kick for a walk that is stuck. Each proposes new orders; the exact schedule (search.py, model.py)
decides whether they can be held, and lns_step keeps a move only when the objective allows it.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from .search import Search, by_date

SHORT_DAY_SHARE = 0.15  # of the LNS steps: fill a team's short day with a pair (2,000 requests: +5 served)


def repair(search: Search, cands, teams=None):
    """Greedy re-insertion: candidates (each once, in their first order) by value - km cost of their best place,
    each re-placed in turn."""
    ranked = []
    for r in dict.fromkeys(cands):
        got = search.targeted_insert(r, teams=teams)
        if got is not None and search.value[r] - got[0] > 0:
            ranked.append((-(search.value[r] - got[0]), r))
    ranked.sort()
    for _gain, r in ranked:
        got = search.targeted_insert(r, teams=teams)
        if got is not None and search.value[r] - got[0] > 0:
            search.insert(got[1], got[2], r, got[3])


def make_room(search: Search, r):
    """Eject a short stretch of a team passing r at the right time, put r in, re-place the rest."""
    rng = search.rng
    options = search.insertion_options(r)
    if not options:
        return
    _delta, k, pos = options[rng.randrange(min(3, len(options)))]
    length = rng.randint(1, 6)
    order = search.order[k]
    lo = max(0, pos - (length + 1) // 2)
    idxs = [i for i in range(lo, min(len(order), lo + length)) if order[i] not in search.locked]
    if not idxs:
        return
    removed = [order[i] for i in idxs]
    if not search.remove(k, idxs):
        return
    for e in removed:  # an earlier visit ejected to make room may come back at another time or team
        if e in search.held:
            search.release(e)
    got = search.targeted_insert(r, teams=[k], tries=32)
    if got is None:
        return
    search.insert(got[1], got[2], r, got[3])
    repair(search, removed + search.nearest_unserved(r, 8))


def fill_short_day(search: Search, before=1, after=1, choices=3, nearby=10):
    """Clear a team's short day (fewer events than allowed) and the days beside it, bring in two unserved
    requests that fit one team on that date, and re-place what was removed and what is near.

    Why: the other moves insert one request at a time near the route, so a team does not go out of its way
    for a weekend pair (a Sunday church and an afternoon community centre) that needs its Friday and Sunday
    elsewhere; bench/tour.py's plans had most of their one-event days on weekends."""
    model, rng = search.model, search.rng
    k = rng.randrange(model.nt)
    stops, order = search.stops[k], search.order[k]
    pairs = model.day_pairs()
    if not pairs:
        return
    events = {}
    for s in stops:
        events[s.date] = events.get(s.date, 0) + 1
    short = [d for d in pairs if events.get(d, 0) < model.max_events]
    rng.shuffle(short)
    for d in short[:4]:  # a few dates at most: most have no free pair for this team
        first, second = pairs[d]
        free = search.free_pairs(k, first, second)
        if free.any():
            break
    else:
        return
    lo = bisect_left(stops, d - before, key=by_date)
    hi = bisect_right(stops, d + after, key=by_date)
    anchors = order[max(0, lo - 1):min(len(order), hi + 1)] or [model.n + k]
    a_all, b_all = first[free], second[free]
    far = model.minutes[np.ix_(anchors, a_all)].min(axis=0) + model.minutes[np.ix_(anchors, b_all)].min(axis=0)
    near = np.argsort(far, kind="stable")[:choices]
    pick = int(near[rng.randrange(near.size)])
    a, b = int(a_all[pick]), int(b_all[pick])
    idxs = list(range(lo, hi))
    if any(order[i] in search.locked or order[i] in search.held for i in idxs):
        return
    removed = [order[i] for i in idxs]
    if idxs and not search.remove(k, idxs):
        return
    for r in (a, b):
        got = search.targeted_insert(r, teams=[k], tries=32)
        if got is None:
            break
        search.insert(got[1], got[2], r, got[3])
    repair(search, removed + search.nearest_unserved([a, b], nearby))


def kick(search: Search):
    """A perturbation for a walk stuck below its best: empty 4-8 days of one team's route and fill them with
    the nearby unserved requests (the removed ones wait in the pool for later steps); the walk goes on from
    there whatever the objective says."""
    model, rng = search.model, search.rng
    teams = [k for k in range(model.nt) if search.order[k]]
    if not teams:
        return
    k = rng.choice(teams)
    stops, order = search.stops[k], search.order[k]
    first = stops[rng.randrange(len(stops))].date
    lo = bisect_left(stops, first, key=by_date)
    hi = bisect_right(stops, first + rng.randint(3, 7), key=by_date)
    idxs = [i for i in range(lo, hi) if order[i] not in search.locked and order[i] not in search.held]
    removed = [order[i] for i in idxs]
    kept = search.kept()
    snap = search.snapshot()
    if not idxs or not search.remove(k, idxs):
        return
    gone = set(removed)  # they wait in the pool: the kick brings in a different week
    repair(search, [r for r in search.nearest_unserved(removed, 15) if r not in gone])
    if search.kept() < kept:
        search.restore(snap)  # never at the price of a must-keep request


def lns_step(search: Search, threshold=0.0):
    """One move: ruin a stretch and recreate it, or bring in an unserved request (ejecting if needed).

    Kept when the objective drops by no more than `threshold` (threshold accepting, cooling to 0)."""
    model, rng = search.model, search.rng
    before, kept = search.objective(), search.kept()
    snap = search.snapshot()
    pool = search.unserved_pool()
    # the short-day move only in a crowded season: with room for all it only stirs (300 requests: 298 vs 300)
    if search.crowding > 1.0 and rng.random() < SHORT_DAY_SHARE:
        fill_short_day(search)
    elif pool.size and rng.random() < 0.5:
        picks = [int(pool[rng.randrange(pool.size)]) for _ in range(4)]
        r = max(picks, key=lambda i: (search.value[i], -i))
        got = search.targeted_insert(r)
        if got is not None:
            _delta, k, pos, g = got
            search.insert(k, pos, r, g)
        else:
            make_room(search, r)
    else:
        teams = [k for k in range(model.nt) if search.order[k]]
        if not teams:
            return False
        k = rng.choice(teams)
        order = search.order[k]
        length = rng.randint(1, min(8, len(order)))
        a = rng.randrange(0, len(order) - length + 1)
        idxs = [i for i in range(a, a + length) if order[i] not in search.locked and order[i] not in search.held]
        if not idxs:
            return False
        removed = [order[i] for i in idxs]
        if not search.remove(k, idxs):
            search.restore(snap)
            return False
        repair(search, removed + search.nearest_unserved(removed, 10))
    after = search.objective()
    if after + 1e-9 >= before - threshold and search.kept() >= kept:
        return after > before + 1e-9
    search.restore(snap)
    return False
