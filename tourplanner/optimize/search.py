"""The search state: per team a request order and its exact schedule, the prices, and the insertions and
removals every construction and LNS move is made of (the moves themselves: moves.py).

Every rule lives in the model's forward schedule (model.py): a change to a route is kept only when the
schedule of the changed stretch can be driven and held, so the search itself only proposes orders.
"""
from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from operator import attrgetter
from typing import NamedTuple

import numpy as np

from .model import BIG_PRIORITY_BONUS, Model

# (team-minute price x, driving-minute price x): the search's own pricing, also the first construction style
# (a team-minute price of 1.0 with 0.5 for driving drove too little)
SEARCH_STYLE = (1.0, 0.25)
NO_TIME = -10 ** 7  # "free since ever": a team before its first visit
NO_START = -10 ** 9  # no start at all: below every minute
THIN_FLOOR = 1 / 3  # the least share of the driving price a thin date's venue pays (0: 2,000 requests 239 km/event)
# In a crowded season the search prices a km at this times the season's km_weight (see Search.__init__)
CROWDED_KM_FACTOR = 1.3


class Stop(NamedTuple):
    """Where a team is after a visit and when it can go on: the schedule state carried along a route."""

    point: int  # the request visited, or the team's start point before its first visit
    free_at: int  # minute (from the season start) the team can leave after teardown
    date: int  # day of the visit (index into model.dates)
    driven: int  # driving minutes already used on that day
    events: int  # events already held on that day
    start: int | None  # start minute of the event (None before the first visit)


by_date = attrgetter("date")  # a Stop's date: the key for bisecting a route by date


class Snapshot(NamedTuple):
    """A plan as it stood (Search.snapshot): what Search.restore goes back to."""

    order: list
    stops: list
    team_of: np.ndarray
    slots: list
    slot_hi: list
    held: set
    slots_token: object


class Search:
    """Routes under construction and improvement: per team the request order and its stops.

    Indexes as in the model: `r` a request (0..n-1, also its point), `k` a team (0..nt-1)."""

    def __init__(self, model: Model, rng: random.Random, style=None):
        self.model = model
        self.rng = rng
        n, nt = model.n, model.nt
        self.order = [[] for _ in range(nt)]  # per team: request indexes in visiting order
        self.stops = [[] for _ in range(nt)]  # per team: the Stop after each of those visits
        self.team_of = np.full(n, -1, dtype=int)
        self.locked = set()  # fixed-start pins: never removed
        self.excluded = set()  # requests no step may insert
        self.value = model.value.copy()
        for i, r in enumerate(model.instance.requests):
            if r.fixed_start is not None:
                self.value[i] += BIG_PRIORITY_BONUS
        # Must-keep requests (priority 5, and in a re-plan every earlier visit): no accepted step serves fewer.
        self.keep = np.array([r.priority >= 5 for r in model.instance.requests], dtype=bool)
        # A re-plan holds each earlier visit at its time (its slots narrowed to that minute) until a step moves it.
        self.slots, self.slot_hi = list(model.slots), list(model.slot_hi)
        self.held = set()
        # Per team, figures of its route kept while the route's list is the same object (every change makes a new
        # list; none is changed in place): latest_starts (also tied to the slots, by _slots_token), the route's
        # points as an array (insertion_options) and its leg cost (objective).
        self._latest, self._points, self._leg_cost = {}, {}, {}
        self._slots_token = object()  # a new one whenever a request's slots change (set_slots)
        self.previous_at = {}  # request index -> (team, minute) in the plan re-planned from
        self.move_cost = 0.0
        self.has_slots = np.array([bool(s) for s in model.slots], dtype=bool)
        self.latest_start = np.array([s[-1][2] if s else NO_TIME for s in model.slots], dtype=np.int64)  # per request
        self.allowed = np.ones((nt, n), dtype=bool)
        for i, k in enumerate(model.allowed_teams):
            if k is not None:
                self.allowed[:, i] = False
                self.allowed[k, i] = True
        # Opportunity cost of a team-minute: what the best requests that fit in the season are worth.
        capacity = model.event_slots()
        base = np.sort(model.value[self.has_slots] % BIG_PRIORITY_BONUS)[::-1]
        mean_top = float(base[:capacity].mean()) if base.size else 0.0
        scarcity = min(1.0, base.size / capacity)
        self.base_time_w = mean_top * model.max_events / 1440.0 * scarcity
        self.crowding = model.crowding()  # requests per event slot: how easily a nearer request replaces a far one
        # A km costs more in a crowded season: a nearer venue can take a far one's place. Measured on the bench
        # seasons (three solver seeds, the steps 60 s gives): x1.3 serves as many as x1 at 1,000 and 2,000
        # requests (2,173.6 against 2,173.4 over four seasons) and drives 1-6 % less per event; x1.5 served fewer
        # on one 2,000-request season, x2 on both. With room for everyone it would only drop far small venues (300
        # requests: 299 instead of 300).
        self.km_price = model.km_weight * (CROWDED_KM_FACTOR if self.crowding > 1.0 else 1.0)
        self.thin = self._thinness()
        self.weigh(*(style or SEARCH_STYLE))

    def _thinness(self) -> np.ndarray:
        """Per point, the share of the season's driving price that a drive to it pays: below 1 for a venue open on
        a thin date (Model.thin_dates: a Saturday community centre, a Sunday church), as little as that date's
        crowding is below the season's, never below THIN_FLOOR.

        A date's crowding is the requests that can be held on it (each counting 1 / its number of dates) per
        event slot that day. On a thin date few venues compete, so a far drive to one is not the waste the
        season-wide crowding price assumes: no nearer venue would fill that day."""
        model = self.model
        thin = np.ones(model.n + 2 * model.nt)
        thin_date = model.thin_dates()
        if not thin_date.any() or self.crowding <= 1.0:
            return thin  # fewer requests than event slots: room for all, and no crowding price to take off
        dates = [sorted({s[0] for s in slots}) for slots in model.slots]
        demand = np.zeros(model.days)
        for ds in dates:
            if ds:
                demand[ds] += 1.0 / len(ds)
        per_slot = demand / max(1, model.nt * model.max_events)
        for i, ds in enumerate(dates):
            few = [d for d in ds if thin_date[d]]
            if few:
                thin[i] = min(1.0, max(THIN_FLOOR, float(per_slot[few].min()) / self.crowding))
        return thin

    def weigh(self, time_factor: float, drive_factor: float):
        """Price a team-minute and a driving minute; the construction styles differ only in these.

        A leg costs km at the search's km_price plus the team-time the drive takes (an event lost when
        the season is short of room; nearly free when it has room for everyone), times the crowding: with
        three requests for each event slot a nearer request can nearly always replace a far one
        (bench/tour.py, 2,000 requests: 253 -> 174 km per event for 1-3 % less audience; 1,000: 278 -> 268,
        served within noise).
        """
        self.time_w = self.base_time_w * time_factor
        self.drive_w = drive_factor * self.time_w * self.crowding
        self.cost = self.km_price * self.model.km + self.drive_w * self._thin_priced(self.model.minutes)
        self.cost_list = self.cost.tolist()

    def _thin_priced(self, minutes: np.ndarray) -> np.ndarray:
        """Driving minutes as the price sees them: a leg's first `max_drive_minutes_per_day` minutes at the
        destination's thin share, the rest at the full price (a ferry crossing counts as time on the leg here, as it
        takes the team's day; the rules themselves are the exact schedule's, model.py).

        Why: a drive longer than a day's driving takes an ordinary (crowded) date from the team as well, which a
        nearer venue would have filled; discounted whole, such drives made far weekend trips look cheap.
        bench tour seasons, 3 solver seeds each, 7,000 steps a walk, served / km per event before and after:
        1,000 requests 503.7 / 310.8 -> 510.3 / 301.9 and 519.0 / 289.4 -> 520.7 / 277.5; 2,000 requests
        567.0 / 203.7 -> 572.7 / 222.0 and 573.0 / 218.0 -> 572.7 / 215.0 (docs/experiments.md)."""
        first_day = np.minimum(minutes, self.model.cap)
        return first_day * self.thin[None, :] + (minutes - first_day)

    def price_like(self, other: "Search"):
        """Take another search's prices, sharing its cost tables (4 million entries at 2,000 requests)."""
        self.time_w, self.drive_w, self.cost, self.cost_list = other.time_w, other.drive_w, other.cost, other.cost_list

    # ---- exact schedule ------------------------------------------------------------------------------
    def start_stop(self, team: int) -> Stop:
        """The team at its start point, free since ever, nothing driven or held yet."""
        return Stop(self.model.n + team, NO_TIME, -1, 0, 0, None)

    def visit(self, stop: Stop, r: int) -> Stop | None:
        """The stop after driving from `stop` to request r and holding its event as early as the rules allow."""
        model = self.model
        got = model.drive(stop.point, r, stop.free_at, stop.date, stop.driven)
        if got is None:
            return None
        arrival, arrival_date, driven = got
        earliest = model.earliest_start(r, arrival + model.setup, stop.date, stop.events, self.slots[r],
                                        self.slot_hi[r])
        if earliest is None:
            return None
        start, date = earliest
        return Stop(r, start + model.duration[r] + model.teardown, date, driven if date == arrival_date else 0,
                    stop.events + 1 if date == stop.date else 1, start)

    def reaches_end(self, team: int, stop: Stop) -> bool:
        """Whether a team with an end point can still drive there after `stop`."""
        model = self.model
        if model.instance.teams[team].end is None or stop.point >= model.n + model.nt:
            return True
        return model.drive(stop.point, model.n + model.nt + team, stop.free_at, stop.date, stop.driven) is not None

    def latest_starts(self, team) -> list[int]:
        """Per visit of the team's route, a start no schedule of that route can exceed: each visit ends in time
        for the next one's latest start after the shortest drive, and starts inside its slots (nights, the daily
        driving cap and events a day only make it earlier). NO_START where nothing fits.

        Why: about 95 % of the exact insertion tries fail at 2,000 requests, most of them after following the
        route five or more visits on; a try now stops at the first visit that starts later than this, which
        changes no answer (tests/optimize/test_search_latest.py) and makes the search's steps 2-3 times cheaper
        (docs/benchmarks.md). Kept per route (its list object: every change makes a new one) and per state of
        the slots (_slots_token, renewed by set_slots); apply() carries it over from the unchanged rest."""
        order = self.order[team]
        got = self._latest.get(team)
        if got is not None and got[0] is order and got[1] is self._slots_token:
            return got[2]
        latest = [NO_START] * len(order)
        self._latest_before(order, latest, len(order))
        self._latest[team] = (order, self._slots_token, latest)
        return latest

    def _latest_before(self, order, latest, end, old=None, same=0):
        """Fill latest[:end] from latest[end] back (see latest_starts). With `old`, the figures of a route whose
        first `same` visits are this one's: the walk stops where it meets them there (all before follows alike)."""
        model = self.model
        minutes, duration, gap = model.min_list, model.duration, model.setup + model.teardown
        for i in range(end - 1, -1, -1):
            r = order[i]
            bound = latest[i + 1] - minutes[r][order[i + 1]] - gap - duration[r] if i + 1 < len(order) else 10 ** 9
            latest[i] = self.latest_start_by(r, bound)
            if i < same and latest[i] == old[i]:
                latest[:i] = old[:i]
                return

    def latest_start_by(self, r: int, bound: int) -> int:
        """The latest start of request r inside its slots and not after `bound`; NO_START when there is none."""
        slot_hi = self.slot_hi[r]
        i = bisect_right(slot_hi, bound)
        if i < len(slot_hi) and self.slots[r][i][1] <= bound:
            return bound
        return slot_hi[i - 1] if i > 0 else NO_START

    def set_slots(self, r: int, slots: list):
        """Give request r these start intervals (date, lo, hi) in this search (a re-plan's hold, an anchor)."""
        self.slots[r], self.slot_hi[r] = slots, [s[2] for s in slots]
        self._slots_token = object()

    def reschedule(self, team, order, pos, first_compared, shift):
        """New stops for `order` from pos on; stops where the old schedule resumes. (stops, resume index).

        From `first_compared` on, order[i] is the old route's visit i - shift: the walk stops where the old
        schedule resumes, or gives up where a visit starts after the old route's latest_starts allow."""
        old = self.stops[team]
        latest = self.latest_starts(team) if first_compared < len(order) else None
        stop = old[pos - 1] if pos > 0 else self.start_stop(team)
        new = []
        for i in range(pos, len(order)):
            stop = self.visit(stop, order[i])
            if stop is None:
                return None
            j = i - shift
            if i >= first_compared and 0 <= j < len(old):
                if old[j] == stop:
                    return new, i
                if stop.start > latest[j]:
                    return None  # the rest of the route, unchanged from here on, cannot follow so late
            new.append(stop)
        if not self.reaches_end(team, stop):
            return None
        return new, len(order)

    def apply(self, team, order, pos, rescheduled, shift):
        new, resume = rescheduled
        old = self.stops[team]
        got = self._latest.get(team)
        if got is not None and got[0] is self.order[team] and got[1] is self._slots_token:
            # the latest starts from `resume` on are the old ones (the rest of the route is the same)
            before = got[2]
            latest = [NO_START] * resume + before[resume - shift:]
            self._latest_before(order, latest, resume, before, pos)
            self._latest[team] = (order, self._slots_token, latest)
        self.stops[team] = old[:pos] + new + old[resume - shift:]
        self.order[team] = order

    def route_km(self, team, order=None):
        order = self.order[team] if order is None else order
        km, p = 0.0, self.model.n + team
        for r in order:
            km += self.model.km_list[p][r]
            p = r
        return km

    def route_cost(self, team):
        order, costs = self.order[team], self.cost_list
        got = self._leg_cost.get(team)
        if got is not None and got[0] is order and got[1] is costs:
            return got[2]
        cost, p = 0.0, self.model.n + team
        for r in order:
            cost += costs[p][r]
            p = r
        self._leg_cost[team] = (order, costs, cost)
        return cost

    def route_points(self, team) -> np.ndarray:
        """The team's start point, its route's requests and -1 (no next point after the last): for numpy."""
        order = self.order[team]
        got = self._points.get(team)
        if got is not None and got[0] is order:
            return got[1]
        points = np.array([self.model.n + team] + order + [-1])
        self._points[team] = (order, points)
        return points

    def insert_delta(self, team, order, pos, r):
        """Extra leg cost (value units) of putting r at pos of a team's route."""
        costs = self.cost_list
        prev = order[pos - 1] if pos > 0 else self.model.n + team
        if pos < len(order):
            nxt = order[pos]
            return costs[prev][r] + costs[r][nxt] - costs[prev][nxt]
        return costs[prev][r]

    def try_insert(self, team, pos, r):
        """(new order, rescheduled stops) with r at pos of the team's route, or None when it cannot be held."""
        order = self.order[team]
        model = self.model
        prev = self.stops[team][pos - 1] if pos > 0 else self.start_stop(team)
        bound = 10 ** 9
        if pos < len(order):
            bound = self.latest_starts(team)[pos] - model.min_list[r][order[pos]] - model.setup - model.teardown \
                - model.duration[r]
        if prev.free_at + model.min_list[prev.point][r] + model.setup > self.latest_start_by(r, bound):
            return None  # r cannot start in time for the rest of the route, even after the shortest drive
        new_order = order[:pos] + [r] + order[pos:]
        rescheduled = self.reschedule(team, new_order, pos, pos + 1, 1)
        return None if rescheduled is None else (new_order, rescheduled)

    def insert(self, team, pos, r, got):
        new_order, rescheduled = got
        self.apply(team, new_order, pos, rescheduled, 1)
        self.team_of[r] = team

    def objective(self):
        served = self.team_of >= 0
        return float(self.value[served].sum()) - sum(self.route_cost(k) for k in range(self.model.nt)) \
            - self.move_cost * self.moves()

    def served(self) -> int:
        """Requests served: what progress reports show."""
        return int((self.team_of >= 0).sum())

    def kept(self) -> int:
        """Must-keep requests served: a step that lowers this is never accepted."""
        return int((self.keep & (self.team_of >= 0)).sum())

    def moves(self) -> int:
        """Earlier visits (re-plan) served but no longer held at their earlier team and time."""
        return sum(1 for r in self.previous_at if r not in self.held and self.team_of[r] >= 0)

    def hold(self, r: int, minute: int) -> bool:
        """Narrow r's slots to one start minute (its earlier time); False when no slot contains it."""
        pinned = [(d, max(lo, minute), min(hi, minute)) for d, lo, hi in self.model.slots[r] if lo <= minute <= hi]
        if not pinned:
            return False
        self.set_slots(r, pinned)
        self.held.add(r)
        return True

    def release(self, r: int):
        """Let a held earlier visit go to any of its slots again (a move)."""
        self.set_slots(r, self.model.slots[r])
        self.held.discard(r)

    def best_insertion(self, r, teams=None, positions=None):
        """Cheapest feasible (delta cost, team, pos, got) over the allowed teams and positions."""
        best = None
        for k in (teams if teams is not None else range(self.model.nt)):
            if not self.allowed[k, r]:
                continue
            order = self.order[k]
            span = positions[k] if positions is not None else range(len(order) + 1)
            for pos in span:
                delta = self.insert_delta(k, order, pos, r)
                if best is not None and delta >= best[0]:
                    continue
                got = self.try_insert(k, pos, r)
                if got is not None:
                    best = (delta, k, pos, got)
        return best

    def snapshot(self):
        """The plan as it stands: what restore() goes back to. A route's lists are shared, not copied: no step
        changes one in place (each change makes new lists), and so the per-route figures stay valid."""
        return Snapshot(list(self.order), list(self.stops), self.team_of.copy(), self.slots[:], self.slot_hi[:],
                        set(self.held), self._slots_token)

    def restore(self, snap: Snapshot):
        self.order, self.stops, self.team_of = list(snap.order), list(snap.stops), snap.team_of.copy()
        self.slots, self.slot_hi, self.held = snap.slots[:], snap.slot_hi[:], set(snap.held)
        self._slots_token = snap.slots_token

    # the model and the cost tables are shared (tens of MB at 2,000 requests); the per-route figures are kept
    # beside them and are worked out again on demand
    _SHARED = ("model", "cost", "cost_list", "_latest", "_points", "_leg_cost")

    def portable(self) -> dict:
        """This search without what it shares with the search it is priced like: what a forked construction
        worker sends back (starts.py)."""
        return {name: value for name, value in vars(self).items() if name not in self._SHARED}

    @classmethod
    def from_portable(cls, state: dict, priced_like: "Search") -> "Search":
        """The search `portable()` gave, on priced_like's model and prices."""
        search = cls.__new__(cls)
        vars(search).update(state)
        search.model = priced_like.model
        search._latest, search._points, search._leg_cost = {}, {}, {}
        search.price_like(priced_like)
        return search

    def free_pairs(self, team: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Which of the pairs (first[j], second[j]) the team may still bring in: both unserved, allowed to it
        and not excluded."""
        free = (self.team_of < 0) & self.allowed[team]
        if self.excluded:
            free[list(self.excluded)] = False
        return free[first] & free[second]

    def unserved_pool(self):
        """Unserved requests that have a slot and are not excluded: what a step may bring in."""
        mask = (self.team_of < 0) & self.has_slots
        if self.excluded:
            mask[list(self.excluded)] = False
        return np.flatnonzero(mask)

    # ---- what the LNS moves are made of (moves.py) ------------------------------------------------------
    def nearest_unserved(self, points, count: int) -> list[int]:
        """The `count` unserved requests nearest (road minutes) to any of `points`, ties to the lower index: what a
        repair considers besides the requests it removed."""
        pool = self.unserved_pool()
        near = self.model.minutes[np.ix_(np.atleast_1d(points), pool)].min(axis=0)
        return pool[np.lexsort((pool, near))][:count].tolist()

    def remove(self, team, idxs):
        """Remove the visits at the given indexes of a team's route; False if the rest cannot be kept."""
        order = self.order[team]
        drop = set(idxs)
        new_order = [r for i, r in enumerate(order) if i not in drop]
        pos = min(idxs)
        if max(idxs) - pos + 1 == len(idxs):
            rescheduled = self.reschedule(team, new_order, pos, pos, -len(idxs))
            if rescheduled is None:
                return False
            self.apply(team, new_order, pos, rescheduled, -len(idxs))
        else:
            rescheduled = self.reschedule(team, new_order, pos, 10 ** 9, 0)
            if rescheduled is None:
                return False
            self.stops[team] = self.stops[team][:pos] + rescheduled[0]
            self.order[team] = new_order
        for i in idxs:
            self.team_of[order[i]] = -1
        return True

    def positions(self, team, r):
        """Route positions of a team whose neighbours' dates are near r's possible dates."""
        slots = self.slots[r]
        if not slots:
            return range(0)
        stops = self.stops[team]
        lo = bisect_left(stops, slots[0][0] - 1, key=by_date)
        hi = bisect_right(stops, slots[-1][0] + 1, key=by_date)
        return range(lo, min(len(stops), hi) + 1)

    def insertion_options(self, r, teams=None):
        """(extra cost, team, position) of every date-compatible place for r, cheapest first."""
        prevs, nxts, ks, firsts, sizes = [], [], [], [], []
        for k in (teams if teams is not None else range(self.model.nt)):
            if not self.allowed[k, r]:
                continue
            span = self.positions(k, r)
            if not span:
                continue
            points = self.route_points(k)
            prevs.append(points[span.start:span.stop])
            nxts.append(points[span.start + 1:span.stop + 1])
            ks.append(k)
            firsts.append(span.start)
            sizes.append(len(span))
        if not prevs:
            return []
        cost = self.cost
        prev, nxt = np.concatenate(prevs), np.concatenate(nxts)
        has = nxt >= 0
        nx = np.where(has, nxt, 0)
        c = cost[prev, r] + np.where(has, cost[r, nx] - cost[prev, nx], 0.0)
        k = np.repeat(ks, sizes)  # each place's team and position in its route
        p = np.arange(c.size) - np.repeat(np.cumsum(sizes) - sizes - firsts, sizes)
        order = np.lexsort((p, k, c))
        return list(zip(c[order].tolist(), k[order].tolist(), p[order].tolist()))

    def targeted_insert(self, r, teams=None, tries=16):
        """Best feasible insertion of r: date-compatible positions, cheapest first."""
        for delta, k, pos in self.insertion_options(r, teams)[:tries]:
            got = self.try_insert(k, pos, r)
            if got is not None:
                return delta, k, pos, got
        return None
