"""check(): every rule of formats.md section 2, recomputed from the plan alone (independent of the search).

Driving between two events is checked by packing the travel-model minutes as early as possible into
the hours when driving is allowed (day_start..day_end in the local time of both ends of the leg, not on
a day off, at most the daily cap per date together with the other legs of that date). Packing as early
as possible never uses more of a later day than any other packing, so a leg that does not fit this way
does not fit at all.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .instance import WEEKDAYS, Instance
from .model import country_of_zone, holiday_dates, season_years
from .plan import UNSERVED_REASONS, Plan
from .travel import travel_matrix

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which request and team (when known), and what is wrong."""

    rule: str
    request: str | None
    team: str | None
    message: str


class _Hours:
    """Allowed driving hours per date for a pair of zones, as UTC datetimes."""

    def __init__(self, instance: Instance):
        self.instance = instance
        r = instance.rules
        self.ds, self.de = r.day_start_min, r.day_end_min
        self.off = set(r.days_off)
        self.cache = {}

    def day(self, date: dt.date, tz: str):
        key = (date, tz)
        if key not in self.cache:
            zone = ZoneInfo(tz)
            base = dt.datetime.combine(date, dt.time())
            self.cache[key] = ((base + dt.timedelta(minutes=self.ds)).replace(tzinfo=zone).astimezone(UTC),
                               (base + dt.timedelta(minutes=self.de)).replace(tzinfo=zone).astimezone(UTC))
        return self.cache[key]

    def pack(self, depart, minutes, tz_a, tz_b, used, cap):
        """Earliest arrival driving `minutes` from `depart`; adds to `used` per date. None: season over."""
        inst = self.instance
        if minutes <= 0:
            return depart, {}
        add = defaultdict(int)
        date = max(inst.start_date, depart.astimezone(ZoneInfo(tz_a)).date() - dt.timedelta(days=1))
        t = depart
        while minutes > 0:
            if date >= inst.end_date:
                return None
            if WEEKDAYS[date.weekday()] not in self.off:
                a_lo, a_hi = self.day(date, tz_a)
                b_lo, b_hi = self.day(date, tz_b)
                lo, hi = max(a_lo, b_lo, t), min(a_hi, b_hi)
                room = min(int((hi - lo).total_seconds() // 60), cap - used.get(date, 0) - add[date])
                if room > 0:
                    take = min(room, minutes)
                    add[date] += take
                    minutes -= take
                    t = lo + dt.timedelta(minutes=take)
            date += dt.timedelta(days=1)
        return t, add


def check(instance: Instance, plan: Plan, matrix=None) -> list[Violation]:
    """All broken rules of a plan for an instance; an empty list means the plan can be published."""
    out: list[Violation] = []
    rules = instance.rules
    reqs = {r.id: r for r in instance.requests}
    teams = {t.id: t for t in instance.teams}
    setup, teardown = dt.timedelta(minutes=rules.setup_minutes), dt.timedelta(minutes=rules.teardown_minutes)
    hours = _Hours(instance)
    off = set(rules.days_off)
    years = season_years(instance)
    day_start = dt.time(rules.day_start_min // 60, rules.day_start_min % 60)
    day_end_min = rules.day_end_min

    # travel model over every point: requests, team starts, team ends
    ids, lats, lons, countries = [], [], [], []
    for r in instance.requests:
        ids.append(r.id), lats.append(r.lat), lons.append(r.lon), countries.append(r.country)
    for t in instance.teams:
        for kind, place in (("start", t.start), ("end", t.end)):
            if place is not None:
                ids.append(f"{kind}:{t.id}"), lats.append(place.lat), lons.append(place.lon)
                countries.append(country_of_zone(place.tz))
    pos = {ref: i for i, ref in enumerate(ids)}
    minutes, km = travel_matrix(lats, lons, countries, border_minutes=rules.border_crossing_minutes,
                                road=matrix, ids=ids if matrix is not None else None)

    def bad(rule, request, team, message):
        out.append(Violation(rule, request, team, message))

    seen = Counter()
    for route in plan.routes:
        team = teams.get(route.team)
        if team is None:
            bad("unknown_team", None, route.team, f"route for unknown team {route.team!r}")
            continue
        used: dict = {}
        per_day = Counter()
        prev_point, prev_tz = f"start:{team.id}", team.start.tz
        prev_free = dt.datetime.combine(instance.start_date, dt.time(), tzinfo=ZoneInfo(team.start.tz)).astimezone(UTC)
        for v in route.visits:
            seen[v.request] += 1
            req = reqs.get(v.request)
            if req is None:
                bad("unknown_request", v.request, team.id, f"visit to unknown request {v.request!r}")
                continue
            zone = ZoneInfo(req.tz)
            try:
                start, end = dt.datetime.fromisoformat(v.start), dt.datetime.fromisoformat(v.end)
                if start.tzinfo is None or end.tzinfo is None:
                    raise ValueError
            except ValueError:
                bad("time_format", req.id, team.id, f"{req.id}: start/end must be ISO 8601 with offset")
                continue
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            if start.utcoffset() != local_start.utcoffset():
                bad("time_zone", req.id, team.id, f"{req.id}: start {v.start} does not carry {req.tz}'s offset "
                    f"{local_start.isoformat()}")
            if end - start != dt.timedelta(minutes=req.duration(rules)):
                bad("duration", req.id, team.id, f"{req.id}: lasts {end - start}, not {req.duration(rules)} min")
            block_lo = (start - setup).astimezone(zone).replace(tzinfo=None)
            block_hi = (end + teardown).astimezone(zone).replace(tzinfo=None)
            day = local_start.date()
            if not (instance.start_date <= day < instance.end_date):
                bad("season", req.id, team.id, f"{req.id}: on {day}, outside the tour dates")
            if not any(dt.datetime.fromisoformat(w.start) <= block_lo and block_hi <= dt.datetime.fromisoformat(w.end)
                       for w in req.windows):
                bad("window", req.id, team.id, f"{req.id}: {block_lo:%Y-%m-%d %H:%M}-{block_hi:%H:%M} local "
                    "(with setup and teardown) is not inside any of its windows")
            day_lo = dt.datetime.combine(day, day_start)
            day_hi = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=day_end_min)
            if block_lo < day_lo or block_hi > day_hi:
                bad("day_hours", req.id, team.id, f"{req.id}: {block_lo:%H:%M}-{block_hi:%H:%M} local is outside "
                    f"{rules.day_start}-{rules.day_end}")
            if WEEKDAYS[day.weekday()] in off:
                bad("day_off", req.id, team.id, f"{req.id}: on {day} ({WEEKDAYS[day.weekday()]}), a day off")
            if rules.holidays and day in holiday_dates(req.country, req.region, years):
                bad("holiday", req.id, team.id, f"{req.id}: on {day}, a public holiday in {req.country}-{req.region}")
            per_day[day] += 1
            if per_day[day] == rules.max_events_per_day + 1:
                bad("events_per_day", req.id, team.id, f"team {team.id}: more than {rules.max_events_per_day} "
                    f"events on {day}")
            if req.team is not None and req.team != team.id:
                bad("pin_team", req.id, team.id, f"{req.id}: pinned to team {req.team}, planned for {team.id}")
            if req.fixed_start is not None and local_start.replace(tzinfo=None) != dt.datetime.fromisoformat(req.fixed_start):
                bad("pin_start", req.id, team.id, f"{req.id}: pinned to start {req.fixed_start}, planned "
                    f"{local_start:%Y-%m-%dT%H:%M}")
            # the leg from the previous place
            i, j = pos[prev_point], pos[req.id]
            need, leg_km = int(minutes[i, j]), float(km[i, j])
            if v.drive_minutes_before < need:
                bad("leg_too_short", req.id, team.id, f"{req.id}: leg given as {v.drive_minutes_before} min, the "
                    f"travel model needs {need}")
            if abs(v.drive_km_before - round(leg_km, 1)) > 0.051:
                bad("kpis", req.id, team.id, f"{req.id}: leg given as {v.drive_km_before} km, the travel model "
                    f"says {round(leg_km, 1)}")
            arrive_by = start - setup
            if arrive_by < prev_free:
                bad("overlap", req.id, team.id, f"{req.id}: starts (with setup) before the previous event ends "
                    "(with teardown)")
            elif prev_free + dt.timedelta(minutes=need) > arrive_by:
                bad("leg_too_short", req.id, team.id, f"{req.id}: {need} min of driving do not fit between the "
                    "previous event and this one")
            else:
                got = hours.pack(prev_free, need, prev_tz, req.tz, used, rules.max_drive_minutes_per_day)
                if got is not None and got[0] <= arrive_by:
                    for date, m in got[1].items():
                        used[date] = used.get(date, 0) + m
                else:
                    free = hours.pack(prev_free, need, prev_tz, req.tz, used, 10 ** 9)
                    if free is not None and free[0] <= arrive_by:
                        bad("daily_drive", req.id, team.id, f"{req.id}: reaching it needs more than "
                            f"{rules.max_drive_minutes_per_day} min of driving on a day")
                        for date, m in free[1].items():
                            used[date] = used.get(date, 0) + m
                    else:
                        bad("night_rest", req.id, team.id, f"{req.id}: reaching it needs driving outside "
                            f"{rules.day_start}-{rules.day_end} local time or on a day off")
            prev_point, prev_tz, prev_free = req.id, req.tz, end + teardown
        if team.end is not None and route.visits and prev_point in pos:
            need = int(minutes[pos[prev_point], pos[f"end:{team.id}"]])
            if hours.pack(prev_free, need, prev_tz, team.end.tz, used, rules.max_drive_minutes_per_day) is None:
                bad("end_unreachable", None, team.id, f"team {team.id}: cannot reach its end point before the "
                    "season ends")
    out += _night_violations(instance, plan, hours, minutes, pos)
    for ref, count in seen.items():
        if count > 1:
            bad("duplicate", ref, None, f"{ref}: planned {count} times")
    unserved = Counter(u.request for u in plan.unserved)
    for u in plan.unserved:
        if u.reason not in UNSERVED_REASONS:
            bad("unserved", u.request, None, f"{u.request}: unknown reason {u.reason!r}")
        if u.request in seen:
            bad("unserved", u.request, None, f"{u.request}: both planned and listed as unserved")
    for ref in reqs:
        if ref not in seen and unserved[ref] != 1:
            bad("unserved", ref, None, f"{ref}: neither planned nor listed once as unserved")
    visits = [v for r in plan.routes for v in r.visits]
    expected = {
        "served": len(visits), "requests": len(instance.requests),
        "audience": sum(reqs[v.request].audience for v in visits if v.request in reqs),
        "drive_km": round(sum(v.drive_km_before for v in visits), 1),
        "drive_minutes": sum(v.drive_minutes_before for v in visits),
    }
    for key, value in expected.items():
        given = plan.kpis.get(key)
        if given is None or abs(float(given) - value) > 0.051:
            bad("kpis", None, None, f"kpis.{key} is {given!r}, the routes give {value}")
    return out


NIGHT_AT_KM = 2.0  # a night "at a venue" within this of it (plans round coordinates to 4 decimals)
NIGHT_ON_LEG_KM = 5.0  # a night on the road within this of the straight segment between the leg's ends


def _night_violations(instance: Instance, plan: Plan, hours: _Hours, minutes, pos) -> list[Violation]:
    """route.nights: one per date from the first tour day to the last event's day; where the team is when the day
    ends: at the day's last venue when it does not drive on after the event, else on the leg it is driving.

    Legs are packed as early as the rules allow, as the leg check does; a route whose legs do not fit is left
    to the other rules. A route that states no nights (a hand-made plan) says nothing about them.
    """
    out = []
    rules = instance.rules
    reqs = {r.id: r for r in instance.requests}
    teams = {t.id: t for t in instance.teams}
    for route in plan.routes:
        team = teams.get(route.team)
        if team is None or not route.visits or not route.nights:
            continue
        where = _where_each_night(instance, route, team, reqs, hours, minutes, pos)
        if where is None:
            continue
        last_day = max(where)
        stated = Counter(n.date for n in route.nights)
        expected = {(instance.start_date + dt.timedelta(days=i)).isoformat()
                    for i in range((last_day - instance.start_date).days + 1)}
        for date in sorted(expected - set(stated)):
            out.append(Violation("nights", None, team.id, f"team {team.id}: no night given for {date}"))
        for date in sorted(set(stated) - expected):
            out.append(Violation("nights", None, team.id, f"team {team.id}: a night on {date}, outside the tour "
                                 f"days up to its last event ({last_day})"))
        for date, count in sorted(stated.items()):
            if count > 1:
                out.append(Violation("nights", None, team.id, f"team {team.id}: {count} nights on {date}"))
        for n in route.nights:
            day = dt.date.fromisoformat(n.date)
            if n.date not in expected:
                continue
            kind, a, b = where[day]
            if kind == "at":
                off = _km(n.lat, n.lon, *a)
                limit, said = NIGHT_AT_KM, f"at {a[0]:.4f}, {a[1]:.4f}"
            else:
                off = _km_to_segment((n.lat, n.lon), a, b)
                limit, said = NIGHT_ON_LEG_KM, f"on the road between {a[0]:.4f}, {a[1]:.4f} and {b[0]:.4f}, {b[1]:.4f}"
            if off > limit:
                out.append(Violation("nights", None, team.id, f"team {team.id}: night of {n.date} given at "
                                     f"{n.lat:.4f}, {n.lon:.4f}, {off:,.0f} km from where the team is ({said})"))
    return out


def _where_each_night(instance, route, team, reqs, hours, minutes, pos):
    """{date: ("at", place, None) | ("leg", from, to)} from the first tour day to the last event's day."""
    rules = instance.rules
    place, point, tz = (team.start.lat, team.start.lon), f"start:{team.id}", team.start.tz
    free = dt.datetime.combine(instance.start_date, dt.time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    used: dict = {}
    at_end = {}
    for v in route.visits:
        req = reqs.get(v.request)
        if req is None or req.id not in pos:
            return None
        try:
            start, end = dt.datetime.fromisoformat(v.start), dt.datetime.fromisoformat(v.end)
        except ValueError:
            return None
        there = (req.lat, req.lon)
        got = hours.pack(free, int(minutes[pos[point], pos[req.id]]), tz, req.tz, used, rules.max_drive_minutes_per_day)
        if got is None:
            return None
        driven = sorted(d for d, m in got[1].items() if m > 0)
        for date in driven:
            used[date] = used.get(date, 0) + got[1][date]
            at_end[date] = ("leg", place, there)
        if driven:
            at_end[driven[-1]] = ("at", there, None)  # arrived: the whole leg is behind the team that evening
        at_end[start.astimezone(ZoneInfo(req.tz)).date()] = ("at", there, None)
        place, point, tz = there, req.id, req.tz
        free = end + dt.timedelta(minutes=rules.teardown_minutes)
    last_day = max(at_end)
    where, cur = {}, ("at", (team.start.lat, team.start.lon), None)
    day = instance.start_date
    while day <= last_day:
        cur = at_end.get(day, cur)
        where[day] = cur
        day += dt.timedelta(days=1)
    return where


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def _km_to_segment(p, a, b) -> float:
    """Distance from p to the straight segment a-b in degrees of latitude and longitude (how a leg is drawn)."""
    scale = math.cos(math.radians((a[0] + b[0]) / 2))
    ax, ay, bx, by, px, py = a[1] * scale, a[0], b[1] * scale, b[0], p[1] * scale, p[0]
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    near = (ay + t * dy, (ax + t * dx) / scale if scale else ax)
    return _km(p[0], p[1], *near)
