"""The search's routes as a Plan (formats.md section 3): visits and legs, nights, why the rest is unserved."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .instance import Instance
from .model import Model
from .plan import Ferry, Night, Plan, Route, Unserved, Visit, plan_kpis
from .search import Search, Stop


def build_plan(search: Search, solver: dict) -> Plan:
    """Turn the search's routes into a Plan (formats.md section 3)."""
    model = search.model
    inst = model.instance
    routes = []
    for k, team in enumerate(inst.teams):
        visits, prev = [], search.start_stop(k)
        for r, stop in zip(search.order[k], search.stops[k]):
            req = inst.requests[r]
            zone = ZoneInfo(req.tz)
            start = model.to_utc(stop.start).astimezone(zone)
            end = model.to_utc(stop.start + model.duration[r]).astimezone(zone)
            visits.append(Visit(request=req.id, start=start.isoformat(timespec="seconds"),
                                end=end.isoformat(timespec="seconds"),
                                drive_minutes_before=int(model.road_minutes(prev.point, r)),
                                drive_km_before=round(float(model.km_list[prev.point][r]), 1),
                                ferry=_ferry(model, prev, r)))
            prev = stop
        routes.append(Route(team=team.id, visits=tuple(visits), nights=tuple(_nights(search, k))))
    unserved = []
    for i, req in enumerate(inst.requests):
        if search.team_of[i] < 0:
            reason, detail = _unserved_reason(search, i)
            unserved.append(Unserved(request=req.id, reason=reason, detail=detail))
    kpis = plan_kpis(routes, len(inst.requests), lambda ref: inst.request(ref).audience)
    return Plan(instance=inst.name, status="feasible", solver=solver, routes=tuple(routes),
                unserved=tuple(unserved), kpis=kpis)


def _nights(search: Search, k: int):
    """Where team k sleeps each night from the first tour day to its last event's day."""
    model = search.model
    order, stops = search.order[k], search.stops[k]
    if not order:
        return []
    at_end = {}  # date -> where the team is when that day ends (later updates win)
    prev = search.start_stop(k)
    for r, stop in zip(order, stops):
        stretches = []
        model.drive(prev.point, r, prev.free_at, prev.date, prev.driven, stretches)
        for d, *where in stretches:
            if d != "ferry":
                at_end[d] = tuple(where)
        at_end[stop.date] = (model.lat[r], model.lon[r])
        prev = stop
    nights, cur = [], (model.lat[model.n + k], model.lon[model.n + k])
    for d in range(stops[-1].date + 1):
        cur = at_end.get(d, cur)
        nights.append(Night(date=model.dates[d].isoformat(), lat=round(float(cur[0]), 4),
                            lon=round(float(cur[1]), 4)))
    return nights


def _unserved_reason(search: Search, i: int):
    """(reason, detail) for an unserved request: the first of the UNSERVED_REASONS that explains it."""
    model = search.model
    req = model.instance.requests[i]
    if model.slot_reason[i] is not None:
        return model.slot_reason[i]  # no_road, or no slot inside the tour's dates and hours
    teams = [k for k in range(model.nt) if search.allowed[k, i]]
    alone = any(search.visit(search.start_stop(k), i) is not None
                and search.reaches_end(k, search.visit(search.start_stop(k), i)) for k in teams)
    if not alone:
        if req.team is not None:
            return ("pinned_conflict", f"its pinned team {req.team} cannot reach it inside any of its windows")
        return ("no_reachable_window", "no team can reach it inside any of its windows, even with nothing else to do")
    if req.fixed_start is not None or req.team is not None:
        return ("pinned_conflict", "its pin cannot be kept together with the other pinned visits of that team")
    if req.priority >= 5:
        return ("dropped_for_value", "feasible on its own, but not together with pinned and other priority-5 visits")
    return ("dropped_for_value", "feasible on its own, but left out for visits worth more or needing less driving")


def _ferry(model: Model, prev: Stop, r: int) -> Ferry | None:
    """The crossing of the leg into r, with its departure as the exact schedule takes it."""
    got = model.ferry_on_leg(prev.point, r, prev.free_at, prev.date, prev.driven)
    if got is None:
        return None
    crossing, depart = got
    return Ferry(name=crossing.name, minutes=crossing.minutes, depart=depart.isoformat(timespec="seconds"))


def replan_counts(instance: Instance, previous: Plan, plan: Plan) -> dict:
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
