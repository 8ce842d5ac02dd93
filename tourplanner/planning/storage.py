"""A checked plan -> the season's next draft version in rows (formats.md section 3), in one transaction."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from ..extensions import db
from ..geo.index import town_for_night
from ..models import Overnight, Plan, Request, Season, UnservedRequest, Visit
from .. import optimize
from ..optimize import Instance
from ..optimize import Plan as OptPlan
from .season_input import PLANNABLE_STATUSES, PlanningError, input_hash, instance_dict

DROPPED_DETAIL = "dropped by a coordinator; every later plan leaves it out until a coordinator puts it back"


class PlanRejected(PlanningError):
    """The checker found violations: nothing was stored."""

    def __init__(self, violations):
        self.violations = list(violations)
        shown = "; ".join(_violation_text(v) for v in self.violations[:5])
        more = f" (and {len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"the plan checker found {len(self.violations)} violation(s): {shown}{more}")


def _violation_text(v) -> str:
    parts = [getattr(v, "rule", ""), getattr(v, "request", None) and f"request {v.request}",
             getattr(v, "team", None) and f"team {v.team}", getattr(v, "message", str(v))]
    return " ".join(str(p) for p in parts if p)


def _plan_dict(plan) -> dict:
    return plan if isinstance(plan, dict) else plan.to_dict()


def save_plan(
    season: Season,
    plan,
    *,
    params: dict,
    previous: Plan | None = None,
    instance=None,
    instance_data: dict | None = None,
    digest: str | None = None,
    note: str = "",
    commit: bool = True,
    checked: bool = False,
) -> Plan:
    """Store a checked plan as the season's next draft version, all rows in one transaction.

    The checker runs first (against `instance`, or the season's current rows) unless the caller has
    just run it on the same instance (checked=True); a plan with any violation raises PlanRejected and
    writes nothing. commit=False leaves the commit to a caller that adds to the same transaction.
    """
    if instance_data is None:
        instance_data = instance.to_dict() if instance is not None else instance_dict(season)
    if instance is None:
        instance = Instance.from_dict(instance_data)
    opt_plan = plan if not isinstance(plan, dict) else OptPlan.from_dict(plan)
    data = _plan_dict(opt_plan)
    if data.get("status") not in (None, "feasible"):
        raise PlanningError(f"the optimizer returned a plan with status {data.get('status')!r}; nothing stored")
    if not checked:
        violations = optimize.check(instance, opt_plan)
        if violations:
            raise PlanRejected(violations)
    try:
        row = _plan_rows(season, data, params=params, previous=previous, instance_data=instance_data,
                         digest=digest or input_hash(instance_data, params), note=note)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


def _plan_rows(season, data, *, params, previous, instance_data, digest, note) -> Plan:
    teams = {t.slug: t for t in season.teams}
    refs = [v["request"] for route in data.get("routes", []) for v in route.get("visits", [])]
    refs += [u["request"] for u in data.get("unserved", [])]
    requests = {
        r.ref: r
        for r in db.session.scalars(select(Request).where(Request.season_id == season.id, Request.ref.in_(refs)))
    }
    number = (db.session.scalar(select(func.max(Plan.number)).where(Plan.season_id == season.id)) or 0) + 1
    solver = dict(data.get("solver") or {})
    solver["params"] = {k: v for k, v in params.items() if v is not None}
    if previous is not None:
        solver["previous_plan"] = previous.number
    row = Plan(
        season=season,
        number=number,
        status="draft",
        solver=solver,
        kpis=dict(data.get("kpis") or {}),
        input_hash=digest,
        plan_json=json.dumps(data, ensure_ascii=False),
        instance_json=json.dumps(instance_data, ensure_ascii=False),
        note=note or (f"re-planned from version {previous.number}" if previous is not None else ""),
    )
    db.session.add(row)
    for route in data.get("routes", []):
        team = teams.get(route["team"]) or _unknown("team", route["team"], season)
        for order, v in enumerate(route.get("visits", [])):
            request = requests.get(v["request"]) or _unknown("request", v["request"], season)
            row.visits.append(
                Visit(
                    request=request,
                    team=team,
                    start_dt=_utc(v["start"]),
                    end_dt=_utc(v["end"]),
                    order=order,
                    locked=request.fixed_start_dt is not None,
                    drive_minutes_before=int(round(v.get("drive_minutes_before") or 0)),
                    drive_km_before=float(v.get("drive_km_before") or 0.0),
                    **ferry_columns(v.get("ferry")),
                )
            )
        nights = {}
        for night in route.get("nights", []):
            nights[dt.date.fromisoformat(night["date"])] = night
        for day, night in sorted(nights.items()):
            row.overnights.append(
                Overnight(team=team, day=day, lat=night["lat"], lon=night["lon"],
                          town=night.get("town") or town_for_night(night["lat"], night["lon"]))
            )
    for u in data.get("unserved", []):
        request = requests.get(u["request"]) or _unknown("request", u["request"], season)
        row.unserved.append(UnservedRequest(request=request, reason=u["reason"], detail=u.get("detail") or ""))
    for request in dropped_by_hand(season, exclude=set(refs)):  # left out of the instance: say why on this plan too
        row.unserved.append(UnservedRequest(request=request, reason="dropped_by_coordinator",
                                            detail=DROPPED_DETAIL))
    db.session.flush()
    return row




def dropped_by_hand(season: Season, exclude: set[str] = frozenset()) -> list[Request]:
    """Plannable requests a coordinator dropped by hand (kept out of every plan until put back)."""
    rows = db.session.scalars(select(Request).where(
        Request.season_id == season.id, Request.status.in_(PLANNABLE_STATUSES), Request.dropped_dt.is_not(None))
        .order_by(Request.ref))
    return [r for r in rows if r.ref not in exclude]


def _unknown(kind: str, ident: str, season: Season):
    raise PlanningError(f"the plan names {kind} {ident!r}, which season {season.name} does not have")


def _utc(text: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise PlanningError(f"plan time {text!r} has no UTC offset")
    return when.astimezone(dt.timezone.utc)


def ferry_columns(ferry: dict | None) -> dict:
    """Visit columns for the car ferry a plan's leg crosses on (none when the leg is all road)."""
    if not ferry:
        return {"ferry_name": None, "ferry_minutes": None, "ferry_depart_dt": None}
    return {"ferry_name": str(ferry["name"]), "ferry_minutes": int(ferry["minutes"]),
            "ferry_depart_dt": _utc(ferry["depart"])}


