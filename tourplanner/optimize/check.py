"""check(): every rule of formats.md section 2, recomputed from the plan alone (independent of the search).

Driving between two events is checked by packing the travel-model minutes as early as possible into
the hours when driving is allowed (day_start..day_end in the local time of both ends of the leg, not on
a day off, at most the daily cap per date together with the other legs of that date). Packing as early
as possible never uses more of a later day than any other packing, so a leg that does not fit this way
does not fit at all.

Water is checked with the checker's own land lookup (even-odd ray casting over data/lands.json, written
apart from lands.py) and the ferry the visit names, not with the solver's choice of ferry: a leg between
two lands must name a car ferry between them, sail at one of its departures, inside day hours unless the
ship sails overnight, with the road to and from its terminals packed around the crossing.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from .calendar import WEEKDAYS, country_of_zone, holiday_dates
from .instance import Instance
from .ferries import crossing_named
from .plan import UNSERVED_REASONS, Plan
from .travel import road_leg, travel_matrix

LANDS_FILE = Path(__file__).resolve().parent / "data" / "lands.json"
MAINLAND = ("mainland", "the mainland", "mainland")

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which request and team (when known), and what is wrong."""

    rule: str
    request: str | None
    team: str | None
    message: str


@lru_cache(maxsize=1)
def _land_table():
    """(key, name, kind, bbox, rings) of every land in data/lands.json, as plain tuples."""
    data = json.loads(LANDS_FILE.read_text(encoding="utf-8"))
    table = []
    for land in data if isinstance(data, list) else data["lands"]:
        rings = [[(float(x), float(y)) for x, y in ring] for ring in land["polygons"]]
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        table.append((land["key"], land["name"], land["kind"], (min(xs), min(ys), max(xs), max(ys)), rings))
    return table


def land_at(lat: float, lon: float):
    """(key, name, kind) of the land a point is on: inside when an odd number of the land's rings surround it
    (outlines and their holes), else the mainland.

    Written apart from lands.py (pure Python, one point at a time) so that a bug there cannot pass here.
    """
    for key, name, kind, (x0, y0, x1, y1), rings in _land_table():
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            continue
        inside = False
        for ring in rings:
            for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1]):
                if (ya > lat) != (yb > lat) and lon < xa + (lat - ya) * (xb - xa) / (yb - ya):
                    inside = not inside
        if inside:
            return key, name, kind
    return MAINLAND


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


def _drive(hours, rules, used, leave, minutes, tz_a, tz_b, arrive_by, bad):
    """Pack a leg's driving from `leave`; it must arrive by `arrive_by` inside the hours and the daily cap."""
    if leave + dt.timedelta(minutes=minutes) > arrive_by:
        bad("leg_too_short", f"{minutes} min of driving do not fit between the previous event and this one")
        return
    got = hours.pack(leave, minutes, tz_a, tz_b, used, rules.max_drive_minutes_per_day)
    if got is not None and got[0] <= arrive_by:
        for date, m in got[1].items():
            used[date] = used.get(date, 0) + m
        return
    free = hours.pack(leave, minutes, tz_a, tz_b, used, 10 ** 9)
    if free is not None and free[0] <= arrive_by:
        bad("daily_drive", f"reaching it needs more than {rules.max_drive_minutes_per_day} min of driving on a day")
        for date, m in free[1].items():
            used[date] = used.get(date, 0) + m
    else:
        bad("night_rest", f"reaching it needs driving outside {rules.day_start}-{rules.day_end} local time or on "
            "a day off")


def check(instance: Instance, plan: Plan, matrix=None) -> list[Violation]:
    """All broken rules of a plan for an instance; an empty list means the plan can be published."""
    out: list[Violation] = []
    rules = instance.rules
    reqs = {r.id: r for r in instance.requests}
    teams = {t.id: t for t in instance.teams}
    setup, teardown = dt.timedelta(minutes=rules.setup_minutes), dt.timedelta(minutes=rules.teardown_minutes)
    hours = _Hours(instance)
    off = set(rules.days_off)
    years = instance.years
    day_start = dt.time(rules.day_start_min // 60, rules.day_start_min % 60)
    day_end_min = rules.day_end_min

    # every point: requests, team starts, team ends
    ids, lats, lons, countries = [], [], [], []
    for r in instance.requests:
        ids.append(r.id), lats.append(r.lat), lons.append(r.lon), countries.append(r.country)
    for t in instance.teams:
        for kind, place in (("start", t.start), ("end", t.end)):
            if place is not None:
                ids.append(f"{kind}:{t.id}"), lats.append(place.lat), lons.append(place.lon)
                countries.append(country_of_zone(place.tz))
    pos = {ref: i for i, ref in enumerate(ids)}
    land = [land_at(la, lo) for la, lo in zip(lats, lons)]
    engine = None
    if matrix is not None:  # a routing engine's road matrix: its minutes include its own ferries
        engine = travel_matrix(lats, lons, countries, border_minutes=rules.border_crossing_minutes,
                               road=matrix, ids=ids)

    def road(i, j, via=None):
        """(minutes, km) of the road from point i to point j, or to/from a terminal `via` (lat, lon)."""
        if engine is not None and isinstance(i, int) and isinstance(j, int):
            return int(engine.minutes[i, j]), float(engine.km[i, j])
        a = (lats[i], lons[i]) if isinstance(i, int) else i
        b = (lats[j], lons[j]) if isinstance(j, int) else j
        got = road_leg(a[0], a[1], b[0], b[1])
        return int(got[0]), float(got[1])

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
            local_start = start.astimezone(zone)
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
            border = rules.border_crossing_minutes if countries[i] != countries[j] else 0
            if land[j][2] == "no_road":
                bad("no_road", req.id, team.id, f"{req.id}: {req.name} is on {land[j][1]}, which no road or car "
                    "ferry reaches")
            ferry = v.ferry
            if ferry is None:
                need, leg_km = road(i, j)
                need += border if engine is None else 0
                if engine is None and land[i][0] != land[j][0]:
                    bad("water", req.id, team.id, f"{req.id}: the leg from {land[i][1]} to {land[j][1]} crosses "
                        "water, and names no car ferry")
                legs = [(prev_free, need)]
            else:
                crossing = next(iter(crossing_named(ferry.name, from_land=land[i][0])), None)
                if crossing is None or crossing.b.land != land[j][0]:
                    bad("ferry", req.id, team.id, f"{req.id}: no car ferry {ferry.name!r} sails from {land[i][1]} "
                        f"to {land[j][1]}")
                    prev_point, prev_tz, prev_free = req.id, req.tz, end + teardown
                    continue
                pre = road(i, (crossing.a.lat, crossing.a.lon))
                post = road((crossing.b.lat, crossing.b.lon), j)
                need, leg_km = pre[0] + post[0] + border, pre[1] + post[1]
                depart = dt.datetime.fromisoformat(ferry.depart).astimezone(UTC)
                local = depart.astimezone(ZoneInfo(crossing.a.tz))
                if depart not in crossing.departures_on(local.date()) or ferry.minutes != crossing.minutes:
                    bad("ferry", req.id, team.id, f"{req.id}: {ferry.name} has no {ferry.minutes}-minute sailing at "
                        f"{local:%Y-%m-%d %H:%M}")
                lo_a, hi_a = hours.day(local.date(), prev_tz)
                lo_b, hi_b = hours.day(local.date(), req.tz)
                arrive_ferry = depart + dt.timedelta(minutes=crossing.minutes)
                if WEEKDAYS[local.date().weekday()] in off or (not crossing.overnight and (
                        depart < max(lo_a, lo_b) or arrive_ferry > min(hi_a, hi_b))):
                    bad("ferry", req.id, team.id, f"{req.id}: the {ferry.name} crossing at {local:%Y-%m-%d %H:%M} "
                        f"is not inside {rules.day_start}-{rules.day_end} of a tour day")
                legs = [(prev_free, pre[0] + border, depart), (arrive_ferry, post[0])]
            if v.drive_minutes_before < need:
                bad("leg_too_short", req.id, team.id, f"{req.id}: leg given as {v.drive_minutes_before} min of "
                    f"driving, the travel model needs {need}")
            if abs(v.drive_km_before - round(leg_km, 1)) > 0.051:
                bad("kpis", req.id, team.id, f"{req.id}: leg given as {v.drive_km_before} km, the travel model "
                    f"says {round(leg_km, 1)}")
            arrive_by = start - setup
            if arrive_by < prev_free:
                bad("overlap", req.id, team.id, f"{req.id}: starts (with setup) before the previous event ends "
                    "(with teardown)")
            else:
                for leg in legs:
                    leave, minutes_, by = leg[0], leg[1], leg[2] if len(leg) > 2 else arrive_by
                    _drive(hours, rules, used, leave, minutes_, prev_tz, req.tz, by, lambda rule, msg: bad(
                        rule, req.id, team.id, f"{req.id}: {msg}"))
            prev_point, prev_tz, prev_free = req.id, req.tz, end + teardown
        if team.end is not None and route.visits and prev_point in pos:
            need = road(pos[prev_point], pos[f"end:{team.id}"])[0]
            if hours.pack(prev_free, need, prev_tz, team.end.tz, used, rules.max_drive_minutes_per_day) is None:
                bad("end_unreachable", None, team.id, f"team {team.id}: cannot reach its end point before the "
                    "season ends")
    def leg_of(v, i, j):
        """The road and water of the leg into visit v from point i to point j: (crossing or None, road minutes
        to the terminal (or the venue), road minutes on from the terminal), as the leg check reads them."""
        border = rules.border_crossing_minutes if countries[i] != countries[j] and engine is None else 0
        crossing = None
        if v.ferry is not None:
            crossing = next(iter(crossing_named(v.ferry.name, from_land=land[i][0])), None)
        if crossing is None:
            return None, road(i, j)[0] + border, 0
        return (crossing, road(i, (crossing.a.lat, crossing.a.lon))[0] + border,
                road((crossing.b.lat, crossing.b.lon), j)[0])

    out += _night_violations(instance, plan, hours, leg_of, pos)
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


def _night_violations(instance: Instance, plan: Plan, hours: _Hours, leg_of, pos) -> list[Violation]:
    """route.nights: one per date from the first tour day to the last event's day; where the team is when the day
    ends: at the day's last venue when it does not drive on after the event, else on the leg it is driving.

    Legs are packed as early as the rules allow, as the leg check does; a route whose legs do not fit is left
    to the other rules. A route that states no nights (a hand-made plan) says nothing about them.
    """
    out = []
    reqs = {r.id: r for r in instance.requests}
    teams = {t.id: t for t in instance.teams}
    for route in plan.routes:
        team = teams.get(route.team)
        if team is None or not route.visits or not route.nights:
            continue
        where = _where_each_night(instance, route, team, reqs, hours, leg_of, pos)
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


def _where_each_night(instance, route, team, reqs, hours, leg_of, pos):
    """{date: ("at", place, None) | ("leg", from, to)} from the first tour day to the last event's day.

    A leg that crosses on a ferry is three pieces: the road to the departure terminal (the team waits there for
    the sailing), the crossing (aboard, on the water between the terminals, when it sails through the night),
    and the road on from the arrival terminal.
    """
    rules = instance.rules
    cap = rules.max_drive_minutes_per_day
    place, point, tz = (team.start.lat, team.start.lon), f"start:{team.id}", team.start.tz
    free = dt.datetime.combine(instance.start_date, dt.time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    used: dict = {}
    at_end = {}

    def drive(leave, minutes, frm, to, tz_a, tz_b):
        got = hours.pack(leave, minutes, tz_a, tz_b, used, cap)
        if got is None:
            return None
        driven = sorted(d for d, m in got[1].items() if m > 0)
        for date in driven:
            used[date] = used.get(date, 0) + got[1][date]
            at_end[date] = ("leg", frm, to)
        if driven:
            at_end[driven[-1]] = ("at", to, None)  # arrived: the whole piece is behind the team that evening
        return got[0]

    for v in route.visits:
        req = reqs.get(v.request)
        if req is None or req.id not in pos:
            return None
        try:
            start, end = dt.datetime.fromisoformat(v.start), dt.datetime.fromisoformat(v.end)
        except ValueError:
            return None
        there = (req.lat, req.lon)
        crossing, before, after = leg_of(v, pos[point], pos[req.id])
        if crossing is None:
            if drive(free, before, place, there, tz, req.tz) is None:
                return None
        else:
            a, b = (crossing.a.lat, crossing.a.lon), (crossing.b.lat, crossing.b.lon)
            if drive(free, before, place, a, tz, req.tz) is None:
                return None
            depart = dt.datetime.fromisoformat(v.ferry.depart).astimezone(UTC)
            landed = depart + dt.timedelta(minutes=crossing.minutes)
            sails_on = depart.astimezone(ZoneInfo(crossing.a.tz)).date()
            overnight = landed.astimezone(ZoneInfo(crossing.b.tz)).date() > sails_on
            at_end[sails_on] = ("leg", a, b) if overnight else ("at", b, None)
            if drive(landed, after, b, there, tz, req.tz) is None:
                return None
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
