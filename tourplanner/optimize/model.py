"""The solver's integer model: minutes from the season start (UTC), per-day driving hours, slots, legs.

Everything the search needs is precomputed here once per instance: the travel matrix over requests and
team start/end points, each zone's day hours per date, each request's feasible start intervals
("slots", one per date), and values. The rules, in the form the search uses them:

- a team drives only inside day_start..day_end of BOTH ends of the leg (so, wherever it is on the way,
  it drives in daylight hours of the local time), never on a day off, at most the daily cap per date;
  a leg too long for one day is driven over several days (nights on the road);
- an event's setup..teardown lies inside a window and inside the venue's day hours on a date that is
  neither a day off nor a public holiday there; at most max_events_per_day events per date.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from zoneinfo import ZoneInfo

import numpy as np

from .calendar import WEEKDAYS, country_of_zone, holiday_dates
from .errors import InstanceError
from .instance import Instance
from .travel import UNREACHABLE, travel_matrix

UTC = dt.timezone.utc
THIN_SHARE = 0.5  # a date is thin when fewer requests can be held on it than this share of the median date
BIG_PRIORITY_BONUS = 1_000_000.0  # priority 5 is served whenever feasible: no amount of km outweighs it


def local_to_minute(t0: dt.datetime, local: dt.datetime, zone: ZoneInfo) -> int:
    """Minutes from the season origin for a naive local time in a zone (DST-aware, fold 0)."""
    return int((local.replace(tzinfo=zone) - t0).total_seconds() // 60)


class Model:
    """Integer data of one instance for the search (built once; read-only afterwards)."""

    def __init__(self, instance: Instance, matrix=None):
        self.instance = instance
        rules = self.rules = instance.rules
        self.days = instance.days
        self.t0 = dt.datetime.combine(instance.start_date, dt.time(), tzinfo=UTC)
        self.setup, self.teardown = rules.setup_minutes, rules.teardown_minutes
        self.cap = rules.max_drive_minutes_per_day
        self.max_events = rules.max_events_per_day
        self.dates = [instance.start_date + dt.timedelta(days=d) for d in range(self.days)]
        off_names = set(rules.days_off)
        self.off = [WEEKDAYS[day.weekday()] in off_names for day in self.dates]

        reqs, teams = instance.requests, instance.teams
        n, nt = len(reqs), len(teams)
        self.n, self.nt = n, nt
        # points: requests 0..n-1, team starts n..n+nt-1, team ends n+nt..n+2nt-1 (start again when no end)
        places = [(r.lat, r.lon, r.tz, r.country) for r in reqs]
        places += [(t.start.lat, t.start.lon, t.start.tz, country_of_zone(t.start.tz)) for t in teams]
        places += [((t.end or t.start).lat, (t.end or t.start).lon, (t.end or t.start).tz,
                    country_of_zone((t.end or t.start).tz)) for t in teams]
        self.lat = np.array([p[0] for p in places])
        self.lon = np.array([p[1] for p in places])
        countries = [p[3] for p in places]
        if matrix is not None:
            road_ids = [r.id for r in reqs] + [f"start:{t.id}" for t in teams] + [
                f"end:{t.id}" if t.end else f"start:{t.id}" for t in teams]
        else:
            road_ids = None
        travel = self.travel = travel_matrix(self.lat, self.lon, countries,
                                             border_minutes=rules.border_crossing_minutes,
                                             road=matrix, ids=road_ids)
        self.minutes, self.km, self.lands = travel.minutes, travel.km, travel.lands
        self.min_list = self.minutes.tolist()
        self.km_list = self.km.tolist()
        # the few legs that cross on a ferry: (a, b) -> FerryLeg; their sailings per crossing, built when needed
        self.ferry_legs = {(int(a), int(b)): travel.ferry_leg(int(a), int(b))
                           for a, b in np.argwhere(travel.ferry_of >= 0)}
        self._sailings = {}
        for k, t in enumerate(teams):
            for p, what in ((n + k, "starts"), (n + nt + k, "ends")):
                if self.lands[p].kind == "no_road":
                    raise InstanceError(f"team {t.id} {what} on {self.lands[p].name}, which no road or car ferry "
                                        "reaches")

        zones = sorted({p[2] for p in places})
        self.zone_names = zones
        zindex = {z: i for i, z in enumerate(zones)}
        self.zone_of = [zindex[p[2]] for p in places]
        self.day_lo, self.day_hi = [], []
        for z in zones:
            zone = ZoneInfo(z)
            lo, hi = [], []
            for day in self.dates:
                lo.append(self._day_minute(day, rules.day_start_min, zone))
                hi.append(self._day_minute(day, rules.day_end_min, zone))
            self.day_lo.append(lo)
            self.day_hi.append(hi)
        self._pair_cache = {}
        self._day_pairs = None
        self._thin = None

        w_aud, w_pri = rules.weight("audience_weight"), rules.weight("priority_weight")
        self.km_weight = rules.weight("km_weight")
        self.value = np.array([w_aud * r.audience + w_pri * r.priority ** 2
                               + (BIG_PRIORITY_BONUS if r.priority >= 5 else 0.0) for r in reqs], dtype=float)
        self.duration = [r.duration(rules) for r in reqs]
        self.allowed_teams = [None if r.team is None else [t.id for t in teams].index(r.team) for r in reqs]
        self.slots, self.slot_reason = [], []
        for i, r in enumerate(reqs):
            slots, reason = self._slots(r) if self.lands[i].kind != "no_road" else ([], (
                "no_road", f"{r.name} is on {self.lands[i].name}, which no road or car ferry reaches "
                "(the team travels by van)"))
            self.slots.append(slots)
            self.slot_reason.append(reason)
        self.slot_hi = [[s[2] for s in sl] for sl in self.slots]

    def _day_minute(self, day: dt.date, minute_of_day: int, zone: ZoneInfo) -> int:
        local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute_of_day)
        return local_to_minute(self.t0, local, zone)

    def to_utc(self, minute: int) -> dt.datetime:
        return self.t0 + dt.timedelta(minutes=minute)

    def _slots(self, r):
        """Feasible start intervals (date, lo, hi) of a request, and why there are none if so."""
        zone = ZoneInfo(r.tz)
        zi = self.zone_names.index(r.tz)
        dur = r.duration(self.rules)
        hol = holiday_dates(r.country, r.region, self.instance.years) if self.rules.holidays else frozenset()
        any_date, slots, fixed = False, [], None
        if r.fixed_start is not None:
            fixed = local_to_minute(self.t0, dt.datetime.fromisoformat(r.fixed_start), zone)
        start_date = self.instance.start_date
        for w in r.windows:
            wstart, wend = dt.datetime.fromisoformat(w.start), dt.datetime.fromisoformat(w.end)
            ws = local_to_minute(self.t0, wstart, zone)
            we = local_to_minute(self.t0, wend, zone)
            first_day = max(0, (wstart.date() - start_date).days)
            last_day = min(self.days - 1, (wend.date() - start_date).days)
            for d in range(first_day, last_day + 1):
                lo = max(ws, self.day_lo[zi][d]) + self.setup
                hi = min(we, self.day_hi[zi][d]) - self.teardown - dur
                if fixed is not None:
                    lo, hi = max(lo, fixed), min(hi, fixed)
                if lo > hi:
                    continue
                any_date = True
                if self.off[d] or self.dates[d] in hol:
                    continue
                slots.append((d, lo, hi))
        slots.sort()
        if slots:
            return slots, None
        if r.fixed_start is not None:
            return [], ("pinned_conflict", f"the pinned start {r.fixed_start} is not inside a window, the day's "
                        "hours, or falls on a day off or holiday")
        if any_date:
            return [], ("holiday_or_day_off", "every window falls on a day off or a public holiday")
        return [], ("outside_tour_dates", "no window leaves room for the event inside the tour dates and day hours")

    def pair(self, a: int, b: int):
        """Driving hours (lo, hi per date) for a leg from point a to point b."""
        za, zb = self.zone_of[a], self.zone_of[b]
        key = (za, zb) if za <= zb else (zb, za)
        got = self._pair_cache.get(key)
        if got is None:
            lo = [max(x, y) for x, y in zip(self.day_lo[za], self.day_lo[zb])]
            hi = [min(x, y) for x, y in zip(self.day_hi[za], self.day_hi[zb])]
            got = self._pair_cache[key] = (lo, hi)
        return got

    def drive(self, a: int, b: int, t: int, date: int, used: int, stretches: list | None = None):
        """Drive a->b leaving at t; `used` minutes already driven on `date`.

        Returns (arrival, last_date, used_on_last_date) or None when the season ends first. With
        `stretches`, appends (date, lat, lon) where the team is at the end of each stretch of the leg (for
        nights on the road) and ("ferry", departure minute) for a crossing. A ferry leg drives to the
        terminal, waits for a sailing inside day hours (or takes an overnight one), crosses, drives on;
        only road minutes count against the daily cap.
        """
        need = self.min_list[a][b]
        if need == 0:
            return t, date, used
        if need >= UNREACHABLE:
            return None
        lo, hi = self.pair(a, b)
        leg = self.ferry_legs.get((a, b)) if self.ferry_legs else None
        if leg is None:
            return self._pack(lo, hi, need, t, date, used, stretches, a, None, b)
        c = leg.crossing
        got = self._pack(lo, hi, leg.pre_minutes, t, date, used, stretches, a, (c.a.lat, c.a.lon), None)
        if got is None:
            return None
        t, date, used = got
        sailing = self._next_sailing(c, t, lo, hi)
        if sailing is None:
            return None
        dep, dep_date = sailing
        if dep_date != date:
            if stretches is not None:
                stretches.append((date, c.a.lat, c.a.lon))  # waits for the sailing at the terminal
            date, used = dep_date, 0
        t = dep + c.minutes
        if stretches is not None:
            stretches.append(("ferry", dep))
        if t > hi[date]:  # an overnight crossing: the team sleeps aboard
            if stretches is not None:
                stretches.append((date, (c.a.lat + c.b.lat) / 2, (c.a.lon + c.b.lon) / 2))
            date, used = min(bisect_right(hi, t), self.days - 1), 0
        elif stretches is not None:
            stretches.append((date, c.b.lat, c.b.lon))
        return self._pack(lo, hi, leg.post_minutes, t, date, used, stretches, (c.b.lat, c.b.lon), None, b)

    def _point(self, p):
        return p if isinstance(p, tuple) else (self.lat[p], self.lon[p])

    def _pack(self, lo, hi, need, t, date, used, stretches, frm, to_place, to_point):
        """Pack `need` driving minutes into the allowed hours from t on (the earliest packing)."""
        if need <= 0:
            return t, date, used
        if stretches is not None:
            (la, oa), (lb, ob) = self._point(frm), self._point(to_point if to_place is None else to_place)
            total, done = need, 0
        d = bisect_right(hi, t)
        if d > date:
            used = 0
        else:
            d = date
        cap, off, days = self.cap, self.off, self.days
        while True:
            if d >= days:
                return None
            if not off[d]:
                s = lo[d] if lo[d] > t else t
                room = min(hi[d] - s, cap - used)
                if room > 0:
                    take = min(room, need)
                    if stretches is not None:
                        done += take
                        f = done / total
                        stretches.append((d, la + (lb - la) * f, oa + (ob - oa) * f))
                    if room >= need:
                        return s + need, d, used + need
                    need -= room
                    t = s + room
            d += 1
            used = 0

    def _next_sailing(self, c, t: int, lo, hi):
        """The first sailing of crossing c at or after minute t that the rules allow: (minute, date)."""
        table = self._sailings.get(c)
        if table is None:
            table = [], []
            for d, day in enumerate(self.dates):
                for when in c.departures_on(day):
                    table[0].append(int((when - self.t0).total_seconds() // 60))
                    table[1].append(d)
            self._sailings[c] = table
        minutes, dates = table
        for i in range(bisect_left(minutes, t), len(minutes)):
            dep, d = minutes[i], dates[i]
            if self.off[d]:
                continue
            if c.overnight or (dep >= lo[d] and dep + c.minutes <= hi[d]):
                return dep, d
        return None

    def ferry_on_leg(self, a: int, b: int, t: int, date: int, used: int):
        """(Crossing, departure as an aware datetime in its terminal's zone) of the leg a->b driven from t, or
        None when the leg is all road (or cannot be driven)."""
        leg = self.ferry_legs.get((a, b))
        if leg is None:
            return None
        stretches = []
        if self.drive(a, b, t, date, used, stretches) is None:
            return None
        depart = next(s[1] for s in stretches if s[0] == "ferry")
        return leg.crossing, self.to_utc(depart).astimezone(ZoneInfo(leg.crossing.a.tz))

    def road_minutes(self, a: int, b: int) -> int:
        """Driving minutes of a leg (a ferry leg's crossing excluded): what the plan reports."""
        leg = self.ferry_legs.get((a, b))
        return self.min_list[a][b] if leg is None else leg.road_minutes

    def event_slots(self) -> int:
        """Events the season can hold at most: teams x working dates x events a day."""
        return max(1, self.nt * sum(1 for off in self.off if not off) * self.max_events)

    def crowding(self) -> float:
        """Requests that have a slot per event slot: above 1, not every request can be served."""
        return sum(1 for s in self.slots if s) / self.event_slots()

    def thin_dates(self) -> np.ndarray:
        """Per date, whether it is thin: fewer requests can be held on it than THIN_SHARE of the median working
        date (bench/tour.py's weekends: only community centres on Saturdays, churches on Sundays; 6-51 and
        56-247 requests against about 1,000 on a weekday at 2,000 requests)."""
        if self._thin is not None:
            return self._thin
        counts = np.zeros(self.days, dtype=np.int64)
        for slots in self.slots:
            for d in {s[0] for s in slots}:
                counts[d] += 1
        working = counts > 0
        self._thin = working & (counts < THIN_SHARE * float(np.median(counts[working]))) if working.any() else working
        return self._thin

    def day_pairs(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per date, the ordered pairs of requests (first, second) that fit one team on it (see day_entries);
        built once, when the search first looks for a pair to fill a thin day."""
        if self._day_pairs is None:
            self._day_pairs = {}
            for d, idx, _lo, _hi, fits in day_entries(self):
                a, b = np.nonzero(fits)
                if a.size:
                    self._day_pairs[d] = (idx[a].astype(np.int32), idx[b].astype(np.int32))
        return self._day_pairs

    def earliest_start(self, r: int, t: int, date: int, events: int, slots=None, slot_hi=None):
        """Earliest start >= t of request r given `events` already on `date`; (start, date) or None.

        `slots`/`slot_hi` replace r's own (a re-plan holds an earlier visit at its time this way)."""
        slots = self.slots[r] if slots is None else slots
        i = bisect_right(self.slot_hi[r] if slot_hi is None else slot_hi, t - 1)
        max_ev = self.max_events
        while i < len(slots):
            d, lo, hi = slots[i]
            if d != date or events < max_ev:
                return (lo if lo > t else t), d
            i += 1
        return None


def day_entries(m: "Model"):
    """Per date: its slot entries (request, earliest and latest start) and which ordered pairs fit one team.

    A pair fits when the first event's earliest start leaves room for the event, the drive and the second's
    setup before the second's latest start, within the daily cap: necessary for one team-day to hold both
    (the ceiling counts team-days with it; the search looks for such pairs to fill a thin day)."""
    by_date: dict[int, list[tuple[int, int, int]]] = {}
    for i, slots in enumerate(m.slots):
        for d, lo, hi in slots:
            by_date.setdefault(d, []).append((i, lo, hi))
    minutes = m.minutes
    duration = np.array(m.duration, dtype=np.int64)
    for d in sorted(by_date):
        items = by_date[d]
        idx = np.array([x[0] for x in items])
        lo = np.array([x[1] for x in items], dtype=np.int64)
        hi = np.array([x[2] for x in items], dtype=np.int64)
        fits = np.zeros((len(idx), len(idx)), dtype=bool)
        if m.max_events == 2 and len(idx) > 1:
            drive = minutes[np.ix_(idx, idx)]
            first_then = (lo[:, None] + duration[idx][:, None] + m.teardown + drive + m.setup <= hi[None, :])
            driving = m.travel.driving[np.ix_(idx, idx)]  # the daily cap counts road minutes, not a crossing
            fits = first_then & (driving <= m.cap) & (idx[:, None] != idx[None, :])  # two windows on one date
        yield d, idx, lo, hi, fits
