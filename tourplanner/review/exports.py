"""A plan as files: the itinerary CSV and the plan JSON (formats.md section 3) with its KPIs."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Plan, Request, Season
from ..optimize import Plan as OptPlan
from ..optimize.plan import plan_kpis
from ..spreadsheet import safe_row
from .itinerary import ferry_dict, local_event, night_town
from .readmodel import plan_overnights, plan_unserved, plan_visits

ITINERARY_COLUMNS = ("team", "date", "local_start", "local_end", "zone", "venue", "city", "region",
                     "drive_km", "drive_minutes", "overnight_town")


def preload_requests(season: Season) -> list[Request]:
    """The season's requests with venue, windows and blackouts in three queries (hold on to the list).

    requests_csv.export_requests reads these one request at a time; loaded here first, its 3,000 lazy
    loads for 1,000 requests become none.
    """
    return list(db.session.scalars(
        select(Request).where(Request.season_id == season.id)
        .options(selectinload(Request.venue), selectinload(Request.windows), selectinload(Request.blackouts))
    ))


def itinerary_csv(season: Season, plan: Plan) -> str:
    """One row per event: team, local date and times in the venue's zone, place, leg, night's town."""
    visits = plan_visits(plan)
    overnights = plan_overnights(plan)
    teams = {t.id: t for t in season.teams}
    nights = {(n.team_id, n.day): n for n in overnights}
    team_visits = defaultdict(list)
    for v in visits:
        team_visits[v.team_id].append(v)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ITINERARY_COLUMNS)
    for v in sorted(visits, key=lambda v: (teams[v.team_id].slug, v.start_dt)):
        e = local_event(v)
        venue = v.request.venue
        writer.writerow(safe_row([
            teams[v.team_id].slug, e.start.date().isoformat(), e.start.strftime("%H:%M"), e.end.strftime("%H:%M"),
            venue.tz, venue.name, venue.city, venue.region, f"{e.drive_km:.1f}", e.drive_minutes,
            night_town(nights.get((v.team_id, e.start.date())), team_visits[v.team_id]),
        ]))
    return out.getvalue()


def plan_dict(season: Season, plan: Plan) -> dict:
    """The plan in formats.md section 3, from its rows (so edits made after solving are included)."""
    visits = plan_visits(plan)
    overnights = plan_overnights(plan)
    unserved = plan_unserved(plan, with_windows=False)
    routes = []
    for team in season.teams:
        mine = [v for v in visits if v.team_id == team.id]
        routes.append({
            "team": team.slug,
            "visits": [{
                "request": v.request.ref,
                "start": local_event(v).start.isoformat(timespec="seconds"),
                "end": local_event(v).end.isoformat(timespec="seconds"),
                "drive_minutes_before": int(v.drive_minutes_before or 0),
                "drive_km_before": round(float(v.drive_km_before or 0.0), 1),
                **ferry_dict(v),
            } for v in sorted(mine, key=lambda v: v.start_dt)],
            "nights": [{"date": n.day.isoformat(), "lat": n.lat, "lon": n.lon}
                       for n in overnights if n.team_id == team.id],
        })
    stored = json.loads(plan.plan_json) if plan.plan_json else {}
    data = {
        "instance": season.name,
        "status": stored.get("status", "feasible"),
        "solver": plan.solver or stored.get("solver", {}),
        "routes": routes,
        "unserved": [{"request": u.request.ref, "reason": u.reason, "detail": u.detail} for u in unserved],
    }
    audience = {v.request.ref: v.request.audience for v in visits}
    audience.update({u.request.ref: u.request.audience for u in unserved})
    data["kpis"] = plan_dict_kpis(data, audience, len(visits) + len(unserved))
    return data


def plan_dict_kpis(data: dict, audience: dict[str, int], requests: int) -> dict:
    """formats.md section 3 KPIs of a plan dict, by the optimizer's own plan_kpis (so the two always agree)."""
    return plan_kpis(OptPlan.from_dict(data).routes, requests, lambda ref: audience.get(ref, 0))
