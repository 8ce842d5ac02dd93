"""The plan read model shared by review, feeds and maps: season, plan and team lookups and a plan's rows.

Pages read plans through plain objects filled from column queries: a 1,000-visit plan loads in a few
milliseconds this way, where ORM objects (visit, request, venue) took a third of the 300 ms budget.
Edits load ORM rows (plan_visit_rows) so that the version columns guard what they write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    AvailabilityWindow,
    BlackoutDate,
    Overnight,
    Plan,
    RefusedDate,
    Request,
    Season,
    Team,
    UnservedRequest,
    Venue,
    Visit,
)


class NotFound(LookupError):
    """A season, plan, team or visit named in a URL that does not exist."""


def season_named(name: str) -> Season:
    season = db.session.scalar(select(Season).where(Season.name == name).options(selectinload(Season.teams)))
    if season is None:
        raise NotFound(f"no season named {name!r}")
    return season


def plan_version(season: Season, number: int | None = None) -> Plan | None:
    """The plan with that version number, or the latest; None when the season has no plan."""
    query = select(Plan).where(Plan.season_id == season.id)
    if number is not None:
        plan = db.session.scalar(query.where(Plan.number == number))
        if plan is None:
            raise NotFound(f"season {season.name} has no plan version {number}")
        return plan
    return db.session.scalar(query.order_by(Plan.number.desc()).limit(1))


def sheet_plan(season: Season, number: int | None = None) -> Plan | None:
    """The plan a day sheet prints: the one asked for, else the published one, else the latest."""
    if number is not None:
        return plan_version(season, number)
    return season.published_plan() or plan_version(season)


def team_by_slug(season: Season, slug: str) -> Team:
    for team in season.teams:
        if team.slug == slug:
            return team
    raise NotFound(f"season {season.name} has no team {slug!r}")


def visit_in(plan: Plan, visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.plan_id != plan.id or visit.cancelled:
        raise NotFound(f"plan v{plan.number} has no visit {visit_id}")
    return visit


@dataclass(slots=True)
class VenueInfo:
    name: str
    type: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    lat: float | None
    lon: float | None
    tz: str | None
    show_on_public_map: bool


@dataclass(slots=True)
class RequestInfo:
    id: int
    ref: str
    audience: int
    priority: int
    contact_name: str
    contact_email: str
    contact_phone: str
    notes: str
    status: str
    venue: VenueInfo
    windows: list = field(default_factory=list)
    blackouts: list = field(default_factory=list)


@dataclass(slots=True)
class Stop:
    """A visit as pages and feeds read it (same attribute names as models.Visit)."""

    id: int
    team_id: int
    start_dt: dt.datetime
    end_dt: dt.datetime
    order: int
    locked: bool
    version: int
    cancelled: bool
    sequence: int
    changed_dt: dt.datetime
    drive_minutes_before: int
    drive_km_before: float
    ferry_name: str | None
    ferry_minutes: int | None
    ferry_depart_dt: dt.datetime | None
    request: RequestInfo
    team: Team | None = None  # set by the feeds, whose items name their team


@dataclass(slots=True)
class Night:
    team_id: int
    day: dt.date
    lat: float
    lon: float
    town: str


@dataclass(slots=True)
class Unserved:
    reason: str
    detail: str
    request: RequestInfo


REQUEST_COLUMNS = (Request.id, Request.ref, Request.audience, Request.priority, Request.contact_name,
                   Request.contact_email, Request.contact_phone, Request.notes, Request.status, Venue.name,
                   Venue.type, Venue.street, Venue.city, Venue.region, Venue.postal_code, Venue.country, Venue.lat,
                   Venue.lon, Venue.tz, Venue.show_on_public_map)


def request_info(row) -> RequestInfo:
    """A RequestInfo from a row whose tail is REQUEST_COLUMNS (plan_visits, plan_unserved and the feeds use it)."""
    return RequestInfo(*row[:9], venue=VenueInfo(*row[9:20]))


VISIT_COLUMNS = (Visit.id, Visit.team_id, Visit.start_dt, Visit.end_dt, Visit.order, Visit.locked, Visit.version,
                 Visit.cancelled, Visit.sequence, Visit.changed_dt, Visit.drive_minutes_before, Visit.drive_km_before,
                 Visit.ferry_name, Visit.ferry_minutes, Visit.ferry_depart_dt)


def plan_visits(plan: Plan, team_id: int | None = None, *, team_ids: list[int] | None = None,
                request_id: int | None = None, with_cancelled: bool = False) -> list[Stop]:
    """The plan's visits with request and venue, by team and start: live ones only, unless `with_cancelled`
    (the feeds show a cancelled screening until its date has passed)."""
    query = (
        select(*VISIT_COLUMNS, *REQUEST_COLUMNS)
        .join(Request, Visit.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(Visit.plan_id == plan.id)
        .order_by(Visit.team_id, Visit.start_dt)
    )
    if not with_cancelled:
        query = query.where(Visit.cancelled.is_(False))
    if team_id is not None:
        query = query.where(Visit.team_id == team_id)
    if team_ids is not None:
        query = query.where(Visit.team_id.in_(team_ids))
    if request_id is not None:
        query = query.where(Visit.request_id == request_id)
    n = len(VISIT_COLUMNS)
    return [Stop(*row[:n], request=request_info(row[n:])) for row in db.session.execute(query)]


def plan_visit_rows(plan: Plan) -> list[Visit]:
    """The plan's live visits as ORM rows, for edits."""
    return list(db.session.scalars(
        select(Visit).where(Visit.plan_id == plan.id, Visit.cancelled.is_(False))
        .options(joinedload(Visit.request).joinedload(Request.venue)).order_by(Visit.team_id, Visit.start_dt)
    ).unique())


def plan_overnights(plan: Plan, team_id: int | None = None) -> list[Night]:
    query = (select(Overnight.team_id, Overnight.day, Overnight.lat, Overnight.lon, Overnight.town)
             .where(Overnight.plan_id == plan.id).order_by(Overnight.team_id, Overnight.day))
    if team_id is not None:
        query = query.where(Overnight.team_id == team_id)
    return [Night(*row) for row in db.session.execute(query)]


def plan_unserved(plan: Plan, *, with_windows: bool = True) -> list[Unserved]:
    """The plan's unserved requests with venue (and windows and blackout days, for suggestions)."""
    rows = db.session.execute(
        select(UnservedRequest.reason, UnservedRequest.detail, *REQUEST_COLUMNS)
        .join(Request, UnservedRequest.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(UnservedRequest.plan_id == plan.id).order_by(UnservedRequest.id)
    ).all()
    out = [Unserved(row[0], row[1], request_info(row[2:])) for row in rows]
    if with_windows and out:
        by_id = {u.request.id: u.request for u in out}
        ids = select(UnservedRequest.request_id).where(UnservedRequest.plan_id == plan.id).scalar_subquery()
        for w in db.session.execute(
                select(AvailabilityWindow.request_id, AvailabilityWindow.first_date, AvailabilityWindow.last_date,
                       AvailabilityWindow.weekdays).where(AvailabilityWindow.request_id.in_(ids))):
            by_id[w[0]].windows.append(w)
        for b in db.session.execute(select(BlackoutDate.request_id, BlackoutDate.day)
                                    .where(BlackoutDate.request_id.in_(ids))):
            by_id[b[0]].blackouts.append(b[1])
        for b in db.session.execute(select(RefusedDate.request_id, RefusedDate.day)  # the venue said no to these
                                    .where(RefusedDate.request_id.in_(ids))):
            by_id[b[0]].blackouts.append(b[1])
    return out
