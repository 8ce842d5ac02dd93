"""solve(): a day-aware construction (teams advance through the season), then a seeded LNS.

Why not one OR-Tools model: with one break per night (77 per team) the routing model inserted nothing
under tight rests and ignored events/day and night driving (design.md). Here every rule lives in one
exact forward schedule (model.py); the search only proposes orders:

1. pins with a fixed start and the must-keep requests (priority 5; in a re-plan, every earlier visit, held at its
   time where the rules allow) are inserted first (cheapest feasible insertion); no later step serves fewer of them;
2. the team whose day is earliest picks its next event: the best of value - km cost - time used
   (numpy pre-ranking of all requests, exact schedule check of the best few), nights where the day
   ends, long relocations over several days; built in several styles (prices of team time and of
   driving), the best by the objective goes on;
3. LNS until the time limit (or --steps; early only once everything is served): remove a stretch of a route,
   re-insert the best of the removed and nearby unserved requests, keep the change when value - km cost (- a
   price per moved earlier visit) does not get worse;
4. the plan is checked by check.py; any visit it rejects is dropped and the plan rebuilt (never happens
   when model and checker agree, which every test asserts; solver["repaired_requests"] names them).
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import time
from bisect import bisect_left, bisect_right
from zoneinfo import ZoneInfo

import numpy as np

from .check import check
from .instance import Instance
from .model import BIG_PRIORITY_BONUS, Model
from .plan import Ferry, Night, Plan, Route, Unserved, Visit, plan_kpis

ENGINE = "tourplanner day-aware greedy + LNS"
log = logging.getLogger(__name__)


THRESHOLD_SHARE = 0.05  # LNS accepts a loss of up to 5% of a mean request's value at first, 0 at the end


# Construction styles (team-minute price x, driving-minute price x): which one builds the best start depends on
# the instance (bench/tour.py, 1,000 requests: 437 to 472 served after construction alone), so solve() builds
# several and improves the best. The first is also the search's own pricing (1.0 drove too little).
CONSTRUCTION_STYLES = ((1.0, 0.25), (1.0, 0.5), (0.5, 0.5), (2.0, 0.25), (2.0, 0.1), (1.0, 0.1))
CONSTRUCTION_SHARE = 0.2  # of the time limit: no new construction starts after this (all of them with --steps)
STALL_STEPS = 1000  # + 20 per request: steps without a better plan after which a search that serves all stops
MOVE_SHARE = 0.9  # a re-plan's move of an earlier visit costs 90 % of the least valuable request: one move to
# serve one more request pays, km alone (0.1 per km) would need a 700+ km saving


def _date_of(state):
    return state[2]
NO_TIME = -10 ** 7


class Search:
    """Routes under construction: per team the request order and the exact schedule after each visit."""

    def __init__(self, model: Model, rng: random.Random, style=None):
        m = self.m = model
        self.rng = rng
        n, nt = m.n, m.nt
        self.seq = [[] for _ in range(nt)]
        self.states = [[] for _ in range(nt)]
        self.team_of = np.full(n, -1, dtype=int)
        self.locked = set()
        self.excluded = set()
        self.value = m.value.copy()
        for i, r in enumerate(m.instance.requests):
            if r.fixed_start is not None:
                self.value[i] += BIG_PRIORITY_BONUS
        # Must-keep requests (priority 5, and in a re-plan every earlier visit): no accepted step serves fewer.
        self.keep = np.array([r.priority >= 5 for r in m.instance.requests], dtype=bool)
        # A re-plan holds each earlier visit at its time (its slots narrowed to that minute) until a step moves it.
        self.slots, self.slot_hi = list(m.slots), list(m.slot_hi)
        self.held = set()
        self.previous_at = {}  # request index -> (team, minute) in the plan re-planned from
        self.move_cost = 0.0
        self.has_slots = np.array([bool(s) for s in m.slots], dtype=bool)
        self.last_hi = np.array([s[-1][2] if s else NO_TIME for s in m.slots], dtype=np.int64)
        inf = np.iinfo(np.int64).max // 4
        self.INF = inf
        nxt = np.full((n, m.days + 1), inf, dtype=np.int64)
        for i, slots in enumerate(m.slots):
            for d, lo, hi in slots:
                if lo < nxt[i, d]:
                    nxt[i, d] = lo
        for d in range(m.days - 1, -1, -1):
            np.minimum(nxt[:, d], nxt[:, d + 1], out=nxt[:, d])
        self.next_lo = nxt
        # first slot of each date (lo, hi), for the pre-ranking of candidates
        lo_d = np.full((n, m.days + 2), inf, dtype=np.int64)
        hi_d = np.full((n, m.days + 2), -inf, dtype=np.int64)
        for i, slots in enumerate(m.slots):
            for d, lo, hi in slots:
                if lo < lo_d[i, d]:
                    lo_d[i, d] = lo
                if hi > hi_d[i, d]:
                    hi_d[i, d] = hi
        self.lo_d, self.hi_d = lo_d, hi_d
        self.next_lo = np.concatenate([nxt, np.full((n, 2), inf, dtype=np.int64)], axis=1)
        self.dur = np.array(m.duration, dtype=np.int64)
        self.allowed = np.ones((nt, n), dtype=bool)
        for i, k in enumerate(m.allowed_teams):
            if k is not None:
                self.allowed[:, i] = False
                self.allowed[k, i] = True
        # Opportunity cost of a team-minute: what the best requests that fit in the season are worth.
        workdays = sum(1 for off in m.off if not off)
        capacity = max(1, nt * workdays * m.max_events)
        base = np.sort(m.value[self.has_slots] % BIG_PRIORITY_BONUS)[::-1]
        mean_top = float(base[:capacity].mean()) if base.size else 0.0
        scarcity = min(1.0, base.size / capacity)
        self.base_time_w = mean_top * m.max_events / 1440.0 * scarcity
        self.crowding = base.size / capacity  # requests per event slot: how easily a nearer request replaces a far one
        self.pick = 100  # construction: candidates checked exactly after the first feasible one (8: -10% served)
        self.weigh(*(style or CONSTRUCTION_STYLES[0]))

    def weigh(self, time_factor: float, drive_factor: float):
        """Price a team-minute and a driving minute; the construction styles differ only in these.

        A leg costs km at the season's km_weight plus the team-time the drive takes (an event lost when
        the season is short of room; nearly free when it has room for everyone), times the crowding: with
        three requests for each event slot a nearer request can nearly always replace a far one
        (bench/tour.py, 2,000 requests: 253 -> 174 km per event for 1-3 % less audience; 1,000: 278 -> 268,
        served within noise).
        """
        self.time_w = self.base_time_w * time_factor
        self.drive_w = drive_factor * self.time_w * self.crowding
        self.cost = self.m.km_weight * self.m.km + self.drive_w * self.m.minutes
        self.cost_list = self.cost.tolist()

    def price_like(self, other: "Search"):
        """Take another search's prices, sharing its cost tables (4 million entries at 2,000 requests)."""
        self.time_w, self.drive_w, self.cost, self.cost_list = other.time_w, other.drive_w, other.cost, other.cost_list

    # ---- exact schedule ------------------------------------------------------------------------------
    def initial(self, k):
        return (self.m.n + k, NO_TIME, -1, 0, 0, None)

    def step(self, state, r):
        """State after visiting r: (point, free_from, date, drive_used_that_date, events_that_date, start)."""
        m = self.m
        p, t, date, used, ev, _ = state
        got = m.drive(p, r, t, date, used)
        if got is None:
            return None
        ta, d2, u2 = got
        es = m.earliest_start(r, ta + m.setup, date, ev, self.slots[r], self.slot_hi[r])
        if es is None:
            return None
        s, ds = es
        return (r, s + m.duration[r] + m.teardown, ds, u2 if ds == d2 else 0, ev + 1 if ds == date else 1, s)

    def end_ok(self, k, state):
        m = self.m
        if m.instance.teams[k].end is None or state[0] >= m.n + m.nt:
            return True
        return m.drive(state[0], m.n + m.nt + k, state[1], state[2], state[3]) is not None

    def resched(self, k, seq, pos, first_cmp, shift):
        """New states for seq from pos on; stops where the old schedule resumes. (states, resume_new_index)."""
        old = self.states[k]
        st = old[pos - 1] if pos > 0 else self.initial(k)
        new = []
        for i in range(pos, len(seq)):
            st = self.step(st, seq[i])
            if st is None:
                return None
            j = i - shift
            if i >= first_cmp and 0 <= j < len(old) and old[j] == st:
                return new, i
            new.append(st)
        if not self.end_ok(k, st):
            return None
        return new, len(seq)

    def apply(self, k, seq, pos, result, shift):
        new, resume = result
        old = self.states[k]
        self.states[k] = old[:pos] + new + old[resume - shift:]
        self.seq[k] = seq

    def route_km(self, k, seq=None):
        seq = self.seq[k] if seq is None else seq
        km, p = 0.0, self.m.n + k
        for r in seq:
            km += self.m.km_list[p][r]
            p = r
        return km

    def route_cost(self, k):
        cost, p, cl = 0.0, self.m.n + k, self.cost_list
        for r in self.seq[k]:
            cost += cl[p][r]
            p = r
        return cost

    def insert_delta(self, k, seq, pos, r):
        """Extra leg cost (value units) of putting r at pos of team k's route."""
        kl = self.cost_list
        prev = seq[pos - 1] if pos > 0 else self.m.n + k
        if pos < len(seq):
            nxt = seq[pos]
            return kl[prev][r] + kl[r][nxt] - kl[prev][nxt]
        return kl[prev][r]

    def try_insert(self, k, pos, r):
        seq = self.seq[k]
        new_seq = seq[:pos] + [r] + seq[pos:]
        res = self.resched(k, new_seq, pos, pos + 1, 1)
        return None if res is None else (new_seq, res)

    def insert(self, k, pos, r, got):
        new_seq, res = got
        self.apply(k, new_seq, pos, res, 1)
        self.team_of[r] = k

    def objective(self):
        served = self.team_of >= 0
        return float(self.value[served].sum()) - sum(self.route_cost(k) for k in range(self.m.nt)) \
            - self.move_cost * self.moves()

    def kept(self) -> int:
        """Must-keep requests served: a step that lowers this is never accepted."""
        return int((self.keep & (self.team_of >= 0)).sum())

    def moves(self) -> int:
        """Earlier visits (re-plan) served but no longer held at their earlier team and time."""
        return sum(1 for r in self.previous_at if r not in self.held and self.team_of[r] >= 0)

    def hold(self, r: int, minute: int) -> bool:
        """Narrow r's slots to one start minute (its earlier time); False when no slot contains it."""
        pinned = [(d, max(lo, minute), min(hi, minute)) for d, lo, hi in self.m.slots[r] if lo <= minute <= hi]
        if not pinned:
            return False
        self.slots[r], self.slot_hi[r] = pinned, [p[2] for p in pinned]
        self.held.add(r)
        return True

    def release(self, r: int):
        """Let a held earlier visit go to any of its slots again (a move)."""
        self.slots[r], self.slot_hi[r] = self.m.slots[r], self.m.slot_hi[r]
        self.held.discard(r)

    # ---- construction --------------------------------------------------------------------------------
    def best_insertion(self, r, teams=None, positions=None):
        """Cheapest feasible (delta_km, team, pos, got) over the allowed teams and positions."""
        best = None
        for k in (teams if teams is not None else range(self.m.nt)):
            if not self.allowed[k, r]:
                continue
            seq = self.seq[k]
            rng = positions[k] if positions is not None else range(len(seq) + 1)
            for pos in rng:
                dkm = self.insert_delta(k, seq, pos, r)
                if best is not None and dkm >= best[0]:
                    continue
                got = self.try_insert(k, pos, r)
                if got is not None:
                    best = (dkm, k, pos, got)
        return best

    def seed(self):
        """Fixed-start pins, then the other must-keep requests: they go in before anything else.

        Requests a re-plan has placed already are skipped (inserting them again made duplicates that the
        checker then dropped); a must-keep request that finds no place now stays in the LNS pool."""
        m = self.m
        reqs = m.instance.requests
        open_ = [i for i in range(m.n) if self.team_of[i] < 0 and m.slots[i]]
        fixed = sorted((i for i in open_ if reqs[i].fixed_start is not None),
                       key=lambda i: (m.slots[i][0][1], reqs[i].id))
        top = sorted((i for i in open_ if self.keep[i] and reqs[i].fixed_start is None),
                     key=lambda i: (-self.value[i], reqs[i].id))
        for r in fixed + top:
            best = self.best_insertion(r)
            if best is None:
                if not self.keep[r]:
                    self.excluded.add(r)
                continue
            _, k, pos, got = best
            self.insert(k, pos, r, got)
            if reqs[r].fixed_start is not None:
                self.locked.add(r)

    def candidates(self, k, state, limit):
        m = self.m
        p, t = state[0], state[1]
        mins = m.minutes[p, :m.n]
        km = m.km[p, :m.n]
        mask = (self.team_of < 0) & self.allowed[k] & self.has_slots & (self.last_hi >= t)
        if self.excluded:
            mask[list(self.excluded)] = False
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return []
        mi = mins[idx]
        tt = max(t, 0)
        est = tt + mi + (mi // max(m.cap, 1)) * (1440 - m.cap)
        ready = est + m.setup
        day = np.clip(ready // 1440 - 1, 0, m.days)
        start = self.next_lo[idx, day + 2]
        for shift in (1, 0):
            d = day + shift
            fits = self.hi_d[idx, d] >= ready
            start = np.where(fits, np.maximum(self.lo_d[idx, d], ready), start)
        ok = start < self.INF
        idx, start = idx[ok], start[ok]
        score = (self.value[idx] % BIG_PRIORITY_BONUS) - m.km_weight * km[idx] - self.time_w * (
            start + self.dur[idx] - tt)
        order = np.lexsort((idx, -score))[:limit]
        return idx[order].tolist()

    def construct(self, tick):
        m = self.m
        nt = m.nt
        front = [0] * nt
        active = set(range(nt))
        while active:
            def ftime(k):
                st = self.states[k][front[k] - 1] if front[k] > 0 else self.initial(k)
                return (st[1], k)
            k = min(active, key=ftime)
            st = self.states[k][front[k] - 1] if front[k] > 0 else self.initial(k)
            cands = self.candidates(k, st, 200)
            best = None
            t0 = max(st[1], 0)
            seq = self.seq[k]
            pos = front[k]
            for i, r in enumerate(cands):
                if (best is not None and i >= self.pick) or i >= self.pick + 52:
                    break
                got = self.try_insert(k, pos, r)
                if got is None:
                    continue
                new_st = got[1][0][0]
                score = (self.value[r] % BIG_PRIORITY_BONUS) - self.insert_delta(k, seq, pos, r) \
                    - self.time_w * (new_st[1] - t0)
                worth = (self.value[r] % BIG_PRIORITY_BONUS) - self.insert_delta(k, seq, pos, r)
                if worth > 0 and (best is None or score > best[0]):
                    best = (score, r, got)
            if best is not None:
                self.insert(k, pos, best[1], best[2])
                front[k] += 1
            elif front[k] < len(self.seq[k]):
                front[k] += 1
            else:
                active.discard(k)
            tick("construct")

    # ---- improvement ---------------------------------------------------------------------------------
    def remove(self, k, idxs):
        """Remove the visits at the given indexes of team k's route; False if the rest cannot be kept."""
        seq = self.seq[k]
        drop = set(idxs)
        new_seq = [r for i, r in enumerate(seq) if i not in drop]
        pos = min(idxs)
        if max(idxs) - pos + 1 == len(idxs):
            res = self.resched(k, new_seq, pos, pos, -len(idxs))
            if res is None:
                return False
            self.apply(k, new_seq, pos, res, -len(idxs))
        else:
            res = self.resched(k, new_seq, pos, 10 ** 9, 0)
            if res is None:
                return False
            self.states[k] = self.states[k][:pos] + res[0]
            self.seq[k] = new_seq
        for i in idxs:
            self.team_of[seq[i]] = -1
        return True

    def positions(self, k, r):
        """Route positions of team k whose neighbours' dates are near r's possible dates."""
        slots = self.slots[r]
        if not slots:
            return range(0)
        states = self.states[k]
        lo = bisect_left(states, slots[0][0] - 1, key=_date_of)
        hi = bisect_right(states, slots[-1][0] + 1, key=_date_of)
        return range(lo, min(len(states), hi) + 1)

    def insertion_options(self, r, teams=None):
        """(extra cost, team, position) of every date-compatible place for r, cheapest first."""
        costs, ks, ps = [], [], []
        cost = self.cost
        for k in (teams if teams is not None else range(self.m.nt)):
            if not self.allowed[k, r]:
                continue
            span = self.positions(k, r)
            if not span:
                continue
            ext = np.array([self.m.n + k] + self.seq[k] + [-1])
            pos = np.arange(span.start, span.stop)
            prev, nxt = ext[pos], ext[pos + 1]
            has = nxt >= 0
            nx = np.where(has, nxt, 0)
            costs.append(cost[prev, r] + np.where(has, cost[r, nx] - cost[prev, nx], 0.0))
            ks.append(np.full(pos.size, k))
            ps.append(pos)
        if not costs:
            return []
        c, k, p = np.concatenate(costs), np.concatenate(ks), np.concatenate(ps)
        order = np.lexsort((p, k, c))
        return list(zip(c[order].tolist(), k[order].tolist(), p[order].tolist()))

    def targeted_insert(self, r, teams=None, tries=16):
        """Best feasible insertion of r: date-compatible positions, cheapest first."""
        for dcost, k, pos in self.insertion_options(r, teams)[:tries]:
            got = self.try_insert(k, pos, r)
            if got is not None:
                return dcost, k, pos, got
        return None

    def snapshot(self):
        return ([s[:] for s in self.seq], [s[:] for s in self.states], self.team_of.copy(), self.slots[:],
                self.slot_hi[:], set(self.held))

    def restore(self, snap):
        self.seq, self.states, self.team_of, slots, slot_hi, held = snap
        self.slots, self.slot_hi, self.held = slots[:], slot_hi[:], set(held)

    def repair(self, cands, teams=None):
        """Greedy re-insertion: candidates by value - km cost of their best place, each re-placed in turn."""
        m = self.m
        ranked = []
        for r in dict.fromkeys(cands):
            got = self.targeted_insert(r, teams=teams)
            if got is not None and self.value[r] - got[0] > 0:
                ranked.append((-(self.value[r] - got[0]), r))
        ranked.sort()
        for _gain, r in ranked:
            got = self.targeted_insert(r, teams=teams)
            if got is not None and self.value[r] - got[0] > 0:
                self.insert(got[1], got[2], r, got[3])

    def unserved_pool(self):
        mask = (self.team_of < 0) & self.has_slots
        if self.excluded:
            mask[list(self.excluded)] = False
        return np.flatnonzero(mask)

    def make_room(self, r):
        """Eject a short stretch of a team passing r at the right time, put r in, re-place the rest."""
        m, rng = self.m, self.rng
        options = self.insertion_options(r)
        if not options:
            return
        _dkm, k, pos = options[rng.randrange(min(3, len(options)))]
        length = rng.randint(1, 6)
        seq = self.seq[k]
        lo = max(0, pos - (length + 1) // 2)
        idxs = [i for i in range(lo, min(len(seq), lo + length)) if seq[i] not in self.locked]
        if not idxs:
            return
        removed = [seq[i] for i in idxs]
        if not self.remove(k, idxs):
            return
        for e in removed:  # an earlier visit ejected to make room may come back at another time or team
            if e in self.held:
                self.release(e)
        got = self.targeted_insert(r, teams=[k], tries=32)
        if got is None:
            return
        self.insert(got[1], got[2], r, got[3])
        near = m.minutes[r, :m.n]
        pool = self.unserved_pool()
        nearby = pool[np.lexsort((pool, near[pool]))][:8].tolist()
        self.repair(removed + nearby)

    def lns_step(self, threshold=0.0):
        """One move: ruin a stretch and recreate it, or bring in an unserved request (ejecting if needed).

        Kept when the objective drops by no more than `threshold` (threshold accepting, cooling to 0)."""
        m, rng = self.m, self.rng
        before, kept = self.objective(), self.kept()
        snap = self.snapshot()
        pool = self.unserved_pool()
        if pool.size and rng.random() < 0.5:
            picks = [int(pool[rng.randrange(pool.size)]) for _ in range(4)]
            r = max(picks, key=lambda i: (self.value[i], -i))
            got = self.targeted_insert(r)
            if got is not None:
                _dkm, k, pos, g = got
                self.insert(k, pos, r, g)
            else:
                self.make_room(r)
        else:
            teams = [k for k in range(m.nt) if self.seq[k]]
            if not teams:
                return False
            k = rng.choice(teams)
            seq = self.seq[k]
            length = rng.randint(1, min(8, len(seq)))
            a = rng.randrange(0, len(seq) - length + 1)
            idxs = [i for i in range(a, a + length) if seq[i] not in self.locked and seq[i] not in self.held]
            if not idxs:
                return False
            removed = [seq[i] for i in idxs]
            if not self.remove(k, idxs):
                self.restore(snap)
                return False
            pts = np.array(removed)
            near = m.minutes[np.ix_(pts, np.arange(m.n))].min(axis=0)
            pool = self.unserved_pool()
            nearby = pool[np.lexsort((pool, near[pool]))][:10].tolist()
            self.repair(list(dict.fromkeys(removed + nearby)))
        after = self.objective()
        if after + 1e-9 >= before - threshold and self.kept() >= kept:
            return after > before + 1e-9
        self.restore(snap)
        return False


def _nights(model: Model, search: Search, k: int):
    """Where team k sleeps each night from the first tour day to its last event's day."""
    m = model
    seq, states = search.seq[k], search.states[k]
    if not seq:
        return []
    at_end = {}  # date -> where the team is when that day ends (later updates win)
    prev = search.initial(k)
    for r, st in zip(seq, states):
        stretches = []
        m.drive(prev[0], r, prev[1], prev[2], prev[3], stretches)
        for d, *where in stretches:
            if d != "ferry":
                at_end[d] = tuple(where)
        at_end[st[2]] = (m.lat[r], m.lon[r])
        prev = st
    nights, cur = [], (m.lat[m.n + k], m.lon[m.n + k])
    for d in range(states[-1][2] + 1):
        cur = at_end.get(d, cur)
        nights.append(Night(date=m.dates[d].isoformat(), lat=round(float(cur[0]), 4), lon=round(float(cur[1]), 4)))
    return nights


def _unserved_reason(search: Search, i: int):
    m = search.m
    req = m.instance.requests[i]
    if m.slot_reason[i] is not None:
        return m.slot_reason[i]  # no_road, or no slot inside the tour's dates and hours
    teams = [k for k in range(m.nt) if search.allowed[k, i]]
    alone = any(search.step(search.initial(k), i) is not None
                and search.end_ok(k, search.step(search.initial(k), i)) for k in teams)
    if not alone:
        if req.team is not None:
            return ("pinned_conflict", f"its pinned team {req.team} cannot reach it inside any of its windows")
        return ("no_reachable_window", "no team can reach it inside any of its windows, even with nothing else to do")
    if req.fixed_start is not None or req.team is not None:
        return ("pinned_conflict", "its pin cannot be kept together with the other pinned visits of that team")
    if req.priority >= 5:
        return ("dropped_for_value", "feasible on its own, but not together with pinned and other priority-5 visits")
    return ("dropped_for_value", "feasible on its own, but left out for visits worth more or needing less driving")


def _ferry(m: Model, prev_state, r: int) -> Ferry | None:
    """The crossing of the leg into r, with its departure as the exact schedule takes it."""
    got = m.ferry_on_leg(prev_state[0], r, prev_state[1], prev_state[2], prev_state[3])
    if got is None:
        return None
    crossing, depart = got
    return Ferry(name=crossing.name, minutes=crossing.minutes, depart=depart.isoformat(timespec="seconds"))


def build_plan(search: Search, solver: dict) -> Plan:
    """Turn the search's routes into a Plan (formats.md section 3)."""
    m = search.m
    inst = m.instance
    routes = []
    for k, team in enumerate(inst.teams):
        visits, prev = [], search.initial(k)
        for r, st in zip(search.seq[k], search.states[k]):
            req = inst.requests[r]
            zone = ZoneInfo(req.tz)
            start = m.to_utc(st[5]).astimezone(zone)
            end = m.to_utc(st[5] + m.duration[r]).astimezone(zone)
            visits.append(Visit(request=req.id, start=start.isoformat(timespec="seconds"),
                                end=end.isoformat(timespec="seconds"),
                                drive_minutes_before=int(m.road_minutes(prev[0], r)),
                                drive_km_before=round(float(m.km_list[prev[0]][r]), 1),
                                ferry=_ferry(m, prev, r)))
            prev = st
        routes.append(Route(team=team.id, visits=tuple(visits), nights=tuple(_nights(m, search, k))))
    unserved = []
    for i, req in enumerate(inst.requests):
        if search.team_of[i] < 0:
            reason, detail = _unserved_reason(search, i)
            unserved.append(Unserved(request=req.id, reason=reason, detail=detail))
    kpis = plan_kpis(routes, len(inst.requests), lambda ref: inst.request(ref).audience)
    return Plan(instance=inst.name, status="feasible", solver=solver, routes=tuple(routes),
                unserved=tuple(unserved), kpis=kpis)


def _start_from_previous(search: Search, previous: Plan):
    """Re-planning: hold each earlier visit with its team at its time when the rules still allow.

    Every earlier visit that is still requested becomes must-keep (the big bonus, and no step may serve
    fewer): one that cannot stay at its time is placed elsewhere by `seed`, and the search may move a held
    visit only to serve more (each move costs nearly a request's worth, so driving alone never pays for it).
    """
    m = search.m
    inst = m.instance
    index = inst._index
    teams = {t.id: k for k, t in enumerate(inst.teams)}
    for route in previous.routes:
        k = teams.get(route.team)
        for v in route.visits:
            r = index.get(v.request)
            if r is None or not m.slots[r] or search.team_of[r] >= 0 or r in search.previous_at:
                continue
            minute = int((dt.datetime.fromisoformat(v.start) - m.t0).total_seconds() // 60)
            search.previous_at[r] = (k, minute)
            search.keep[r] = True
            if search.value[r] < BIG_PRIORITY_BONUS:
                search.value[r] += BIG_PRIORITY_BONUS
            if k is None or not search.allowed[k, r] or not search.hold(r, minute):
                search.release(r)
                continue
            pos = len(search.seq[k])
            got = search.try_insert(k, pos, r)
            if got is None:
                search.release(r)
                continue
            search.insert(k, pos, r, got)
            if inst.requests[r].fixed_start is not None:
                search.locked.add(r)
    base = search.value[search.has_slots] % BIG_PRIORITY_BONUS
    search.move_cost = MOVE_SHARE * float(base.min()) if base.size else 0.0


def _replan_counts(instance: Instance, previous: Plan, plan: Plan) -> dict:
    """How the plan treats the earlier visits: kept at team and time, moved, dropped, or withdrawn (no longer
    requested)."""
    now_at = {v.request: (route.team, dt.datetime.fromisoformat(v.start)) for route in plan.routes
              for v in route.visits}
    known = {r.id for r in instance.requests}
    counts = {"kept": 0, "moved": 0, "dropped": 0, "withdrawn": 0}
    for route in previous.routes:
        for v in route.visits:
            got = now_at.get(v.request)
            if got is None:
                counts["dropped" if v.request in known else "withdrawn"] += 1
            elif got != (route.team, dt.datetime.fromisoformat(v.start)):
                counts["moved"] += 1
            else:
                counts["kept"] += 1
    return counts


def route_schedule(instance: Instance, team: str, visits: list[tuple[str, str]], matrix=None) -> Route | None:
    """One team's visits (request id, ISO start) at exactly those starts: legs and nights as solve derives them.

    Plan edits (drop, move, lock) re-derive the routes they touch with it, so that no night of the old schedule
    stays stored. None when the schedule cannot keep a visit at its start (the checker then says why)."""
    model = Model(instance, matrix=matrix)
    search = Search(model, random.Random(0))
    k = next(i for i, t in enumerate(instance.teams) if t.id == team)
    for ref, start in sorted(visits, key=lambda v: dt.datetime.fromisoformat(v[1])):
        r = instance._index[ref]
        minute = int((dt.datetime.fromisoformat(start) - model.t0).total_seconds() // 60)
        if not search.allowed[k, r] or not search.hold(r, minute):
            return None
        pos = len(search.seq[k])
        got = search.try_insert(k, pos, r)
        if got is None:
            return None
        search.insert(k, pos, r, got)
    return build_plan(search, {}).route(team)


def solve(instance: Instance, *, time_limit_s: float, seed: int, progress=None, previous: Plan | None = None,
          matrix=None, steps: int | None = None) -> Plan:
    """Plan the season: which requests, which team, which day and time, where each team sleeps."""
    clock = time.perf_counter()
    # leave room for building and checking the plan at the end (about 1 s per 1,000 requests here)
    reserve = min(0.25 * float(time_limit_s), 0.2 + 0.001 * len(instance.requests) + 0.05 * float(time_limit_s))
    deadline = clock + max(0.0, float(time_limit_s) - reserve)
    model = Model(instance, matrix=matrix)
    stop = {"asked": False, "last": clock}

    def report(phase, force=False):
        now = time.perf_counter()
        if progress is None or (not force and now - stop["last"] < 0.5):
            return
        stop["last"] = now
        search = stop["search"]
        served = int((search.team_of >= 0).sum())
        info = {"phase": phase, "served": served,
                "audience": int(sum(instance.requests[i].audience for i in np.flatnonzero(search.team_of >= 0))),
                "drive_km": round(sum(search.route_km(k) for k in range(model.nt)), 1),
                "elapsed_s": round(now - clock, 2), "time_limit_s": time_limit_s}
        if progress(info) is False:
            stop["asked"] = True

    search = first = None
    first_feasible, styles = None, 0
    for style in CONSTRUCTION_STYLES:
        if search is not None and steps is None and (
                time.perf_counter() - clock > CONSTRUCTION_SHARE * time_limit_s or stop["asked"]):
            break
        trial = Search(model, random.Random(seed), style)
        stop["search"] = search or trial  # progress shows the best start so far, never a count going back to 0
        if previous is not None:
            _start_from_previous(trial, previous)
        trial.seed()
        trial.construct(lambda phase: report(phase))
        if first is None:
            first, first_feasible = trial, time.perf_counter() - clock
        else:
            trial.price_like(first)  # the search and the comparison use one objective: the first style's
        styles += 1
        if search is None or (trial.kept(), trial.objective()) > (search.kept(), search.objective() + 1e-9):
            search = trial
    stop["search"] = search
    report("constructed", force=True)
    done = 0
    improved = 0
    base = search.value[search.has_slots] % BIG_PRIORITY_BONUS
    start_threshold = THRESHOLD_SHARE * float(base.mean()) if base.size else 0.0
    best_value, best, best_step = search.objective(), search.snapshot(), 0
    stall_steps = STALL_STEPS + 20 * len(instance.requests)
    lns_start = time.perf_counter()
    while not stop["asked"] and (steps is None or done < steps) and (steps is not None or time.perf_counter() < deadline):
        if steps is not None and time.perf_counter() >= deadline + 10 * max(1.0, time_limit_s):
            break  # a step budget far beyond the time limit: stop anyway
        if steps is not None:
            left = 1.0 - done / max(1, steps)
        else:
            left = max(0.0, 1.0 - (time.perf_counter() - lns_start) / max(1e-9, deadline - lns_start))
        improved += bool(search.lns_step(threshold=start_threshold * left))
        done += 1
        value = search.objective()
        if value > best_value + 1e-9:
            best_value, best, best_step = value, search.snapshot(), done
        report("improve")
        if done - best_step > stall_steps and not search.unserved_pool().size:
            break  # everything is served and the driving stopped improving: done before the time limit
    search.restore(best)

    solver = {"time_limit_s": time_limit_s, "seed": seed, "wall_s": 0.0, "engine": ENGINE,
              "steps": done, "improvements": improved, "constructions": styles,
              "first_feasible_s": round(first_feasible, 3),
              "objective": round(search.objective(), 1)}
    plan = build_plan(search, solver)
    violations = check(instance, plan, matrix=matrix)
    guard = 0
    while violations and guard < 50:
        guard += 1
        bad = {v.request for v in violations if v.request}
        for k in range(model.nt):
            idxs = [i for i, r in enumerate(search.seq[k]) if instance.requests[r].id in bad]
            if idxs:
                seq = [r for i, r in enumerate(search.seq[k]) if i not in set(idxs)]
                res = search.resched(k, seq, 0, 10 ** 9, 0)
                for i in idxs:
                    search.team_of[search.seq[k][i]] = -1
                    search.excluded.add(search.seq[k][i])
                search.seq[k] = seq if res is not None else []
                search.states[k] = res[0] if res is not None else []
                if res is None:
                    search.team_of[search.team_of == k] = -1
        if not bad:
            break
        # The safety net: never silent. The job and the review page name these requests.
        solver["repaired"] = solver.get("repaired", 0) + len(bad)
        solver["repaired_requests"] = sorted(set(solver.get("repaired_requests", [])) | bad)
        log.warning("plan repaired: the checker rejected %s (%s); dropped from the plan", ", ".join(sorted(bad)),
                    "; ".join(sorted({v.rule for v in violations})))
        plan = build_plan(search, solver)
        violations = check(instance, plan, matrix=matrix)
    if previous is not None:
        solver.update(_replan_counts(instance, previous, plan))
    if violations:
        plan = Plan(instance=instance.name, status="error", solver=solver, routes=plan.routes,
                    unserved=plan.unserved, kpis=plan.kpis)
    solver["wall_s"] = round(time.perf_counter() - clock, 2)
    report("done", force=True)
    return plan
