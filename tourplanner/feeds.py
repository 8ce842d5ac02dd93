"""Calendar feeds from the database: which items a feed holds, built by ical.py and cached until the plan changes.

Screenings take UID/SEQUENCE/DTSTAMP from their Visit (planning and intake bump them). Drives and day
notes are derived, so their SEQUENCE and DTSTAMP come from the published plan in which their content
last changed: a re-plan that leaves them alone leaves their bytes alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from . import ical, review
from .extensions import db
from .intake import TOKEN_SHAPE  # secrets.token_urlsafe(32): 43 URL-safe characters
from .models import FeedToken, Plan, Request, Season, Team, TeamMember, Venue, Visit, hash_token, new_token, tokens_match
from .optimize.ferries import Crossing, crossing_at
from .optimize.travel import road_leg

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
CACHE_SIZE = 256


class FeedError(ValueError):
    """A feed that cannot be made as asked (the message names what is wrong)."""


@dataclasses.dataclass(frozen=True)
class Feed:
    """A feed's bytes, the time of its latest change (for Last-Modified) and their ETag, hashed once."""

    body: bytes
    last_modified: dt.datetime
    etag: str = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", body_etag(self.body))


# --- tokens ------------------------------------------------------------------------------------------


def token_row(token: str) -> Optional[FeedToken]:
    """The live FeedToken of a link, or None for any unknown, revoked or malformed token."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return None
    row = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(token)))
    if row is None or row.revoked_dt is not None or not tokens_match(token, row.token_hash):
        return None
    return row


def live_tokens(season: Season, **target) -> list[FeedToken]:
    query = select(FeedToken).where(FeedToken.season_id == season.id, FeedToken.revoked_dt.is_(None))
    for column, value in target.items():
        query = query.where(getattr(FeedToken, column) == value)
    return list(db.session.scalars(query.order_by(FeedToken.id)))


def issue_token(season: Season, kind: str, *, team: Team | None = None, member: TeamMember | None = None,
                request: Request | None = None, now: dt.datetime) -> str:
    """A new secret link for one feed; earlier links to the same feed stop working. Returns the token once."""
    target = _target(season, kind, team=team, member=member, request=request)
    for old in live_tokens(season, kind=kind, **target):
        old.revoked_dt = now
    token, token_hash = new_token()
    db.session.add(FeedToken(token_hash=token_hash, kind=kind, season_id=season.id, created_dt=now, **target))
    db.session.commit()
    return token


def revoke_token(row: FeedToken, *, now: dt.datetime) -> None:
    if row.revoked_dt is None:
        row.revoked_dt = now
        db.session.commit()


def _target(season: Season, kind: str, *, team, member, request) -> dict:
    """The columns naming a feed's subject, checked against the season."""
    if kind == "team":
        if team is None or team.season_id != season.id:
            raise FeedError(f"a team feed needs a team of season {season.name}")
        return {"team_id": team.id, "member_id": None, "request_id": None}
    if kind == "member":
        if member is None or member.team.season_id != season.id:
            raise FeedError(f"a member feed needs a team member of season {season.name}")
        return {"team_id": member.team_id, "member_id": member.id, "request_id": None}
    if kind == "venue":
        if request is None or request.season_id != season.id:
            raise FeedError(f"a venue feed needs a request of season {season.name}")
        return {"team_id": None, "member_id": None, "request_id": request.id}
    if kind == "coordinators":
        return {"team_id": None, "member_id": None, "request_id": None}
    raise FeedError(f"unknown feed kind {kind!r}; use team, member, venue or coordinators")


# --- which feed a token opens ----------------------------------------------------------------------


def feed_for_token(row: FeedToken, *, host: str, now: dt.datetime, token: str | None = None) -> Feed:
    """The calendar a live token opens (a Nomad's token opens the team calendar).

    With `token` (the secret the calendar app fetched with), every item links to the Nomads' day page
    under that same token, which opens without a login.
    """
    season = row.season
    if row.kind in ("team", "member"):
        return team_feed(season, row.team, host=host, now=now, token=token, token_id=row.id)
    if row.kind == "venue":
        return venue_feed(row.request, host=host, now=now)
    return coordinators_feed(season, host=host, now=now, token=token, token_id=row.id)


def team_feed(season: Season, team: Team, *, host: str, now: dt.datetime, token: str | None = None,
              token_id: int | None = None) -> Feed:
    """One van's tour: screenings, drives, nights and rest days."""
    info = ical.FeedInfo(name=f"{team.name} · {season.name}", host=host,
                         description=f"Screenings, drives and nights of team {team.name}, tour {season.name}.")
    links = nomad_links(host, token, with_team=False)
    return _cached(("team", team.id, host, token_id if token else None), season, [team.id], now,
                   lambda plan: _build(info, season, plan, [team], host=host, now=now, prefix=False, links=links))


def coordinators_feed(season: Season, *, host: str, now: dt.datetime, token: str | None = None,
                      token_id: int | None = None) -> Feed:
    """Every team's tour in one calendar, each item named with its team."""
    info = ical.FeedInfo(name=f"All teams · {season.name}", host=host,
                         description=f"Every team of tour {season.name}: screenings, drives and nights.")
    teams = list(season.teams)
    links = nomad_links(host, token, with_team=True)
    return _cached(("coordinators", season.id, host, token_id if token else None), season, None, now,
                   lambda plan: _build(info, season, plan, teams, host=host, now=now, prefix=True, links=links))


def venue_feed(request: Request, *, host: str, now: dt.datetime) -> Feed:
    """The venue's own screening only: in its zone, without contacts, notes or street."""
    season = request.season
    venue = request.venue
    info = ical.FeedInfo(name=f"Screening tour · {venue.name}", host=host,
                         description="Your screening with the tour team.")

    def build(plan: Optional[Plan]) -> Feed:
        visit = None
        if plan is not None:
            found = feed_visits(plan, list(season.teams), request_id=request.id)
            visit = found[0] if found else None
        events = [] if visit is None or _gone(visit, now) else [venue_event(visit, host=host, season=season)]
        return _feed(info, events, [], fallback=plan.published_dt if plan else request.updated_dt)

    return _cached(("venue", request.id, host), season, None, now, build, request_id=request.id)


# --- screenings, drives and day notes -----------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class FeedVisit:
    """A visit as feeds read it (models.Visit's attribute names), from one query without ORM objects."""

    id: int
    team_id: int
    start_dt: dt.datetime
    end_dt: dt.datetime
    order: int
    cancelled: bool
    sequence: int
    changed_dt: dt.datetime
    drive_minutes_before: int
    drive_km_before: float
    ferry_name: str | None
    ferry_minutes: int | None
    ferry_depart_dt: dt.datetime | None
    request_status: str
    request: review.RequestInfo
    team: Team


def feed_visits(plan: Plan, teams: list[Team], request_id: int | None = None) -> list[FeedVisit]:
    """A plan's visits (cancelled ones too) of some teams, with request, venue and status, by team and start."""
    by_id = {t.id: t for t in teams}
    query = (
        select(Visit.id, Visit.team_id, Visit.start_dt, Visit.end_dt, Visit.order, Visit.cancelled, Visit.sequence,
               Visit.changed_dt, Visit.drive_minutes_before, Visit.drive_km_before, Visit.ferry_name,
               Visit.ferry_minutes, Visit.ferry_depart_dt, Request.status, *review.REQUEST_COLUMNS)
        .join(Request, Visit.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(Visit.plan_id == plan.id, Visit.team_id.in_(list(by_id)))
        .order_by(Visit.team_id, Visit.start_dt)
    )
    if request_id is not None:
        query = query.where(Visit.request_id == request_id)
    return [FeedVisit(*row[:14], request=review.request_info(row[14:]), team=by_id[row[1]])
            for row in db.session.execute(query)]


def event_status(visit: FeedVisit) -> str:
    if visit.cancelled or visit.request_status == "cancelled":
        return "cancelled"
    return "confirmed" if visit.request_status == "confirmed" else "tentative"


STATUS_WORDS = {
    "tentative": "Tentative: waiting for the venue to confirm",
    "confirmed": "Confirmed by the venue",
    "cancelled": "Cancelled",
}


def address(venue, *, street: bool = True) -> str:
    region = " ".join(p for p in (venue.region, venue.postal_code if street else "") if p)
    parts = [venue.name, venue.street if street else "", venue.city, region, venue.country]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def ferry_of(visit) -> Optional[dict]:
    """The car ferry on the drive to a visit ({"name", "minutes", "depart" as HH:MM at its terminal}), or None."""
    crossing = ferry_crossing(visit)
    if crossing is None:
        return None
    depart = visit.ferry_depart_dt.astimezone(review.zone(crossing.a.tz))
    return {"name": crossing.name, "minutes": crossing.minutes, "depart": f"{depart:%H:%M}"}


def ferry_words(ferry: Optional[dict]) -> str:
    """'Car ferry: Horseshoe Bay - Nanaimo, 100 min, departs 07:50' (the Nomads' words)."""
    if not ferry:
        return ""
    depart = f", departs {ferry['depart']}" if ferry["depart"] else ""
    return f"Car ferry: {ferry['name']}, {ferry['minutes']} min{depart}"


def _zone_name(visit: FeedVisit) -> str:
    return visit.request.venue.tz or visit.team.base_tz


def screening_event(visit: FeedVisit, *, host: str, rules: dict, day_page: str = "", day_map: str = "",
                    prefix: str = "") -> ical.CalendarEvent:
    """A Visit as the team sees it: address, contact, notes, status and links to the day page and map."""
    request, venue = visit.request, visit.request.venue
    zone = review.zone(_zone_name(visit))
    setup = (visit.start_dt - dt.timedelta(minutes=rules["setup_minutes"])).astimezone(zone)
    teardown = (visit.end_dt + dt.timedelta(minutes=rules["teardown_minutes"])).astimezone(zone)
    status = event_status(visit)
    contact = " · ".join(p for p in (request.contact_name, request.contact_email, request.contact_phone) if p)
    lines = [
        f"Team: {visit.team.name}",
        f"Status: {STATUS_WORDS[status]}",
        f"Setup from {setup:%H:%M}, teardown until {teardown:%H:%M} ({setup.tzname()})",
        f"Audience: about {request.audience}",
    ]
    if contact:
        lines.append(f"Contact: {contact}")
    if request.notes:
        lines.append(f"Notes: {request.notes}")
    if day_page:
        lines.append(f"Day page: {day_page}")
    if day_map:
        lines.append(f"Day map: {day_map}")
    city = f", {venue.city}" if venue.city else ""
    return ical.CalendarEvent(
        uid=ical.visit_uid(request.id, host),
        summary=f"{prefix}Screening: {venue.name}{city}",
        start=visit.start_dt, end=visit.end_dt, tz=_zone_name(visit),
        last_modified=visit.changed_dt, sequence=visit.sequence, status=status,
        location=address(venue), geo=(venue.lat, venue.lon) if venue.lat is not None else None,
        description="\n".join(lines), url=day_page, categories=("Screening",),
    )


def venue_event(visit: FeedVisit, *, host: str, season: Season) -> ical.CalendarEvent:
    """The same screening as the venue sees it: no contact, notes, street or coordinates."""
    venue = visit.request.venue
    status = event_status(visit)
    setup = season.effective_rules["setup_minutes"]
    return ical.CalendarEvent(
        uid=ical.visit_uid(visit.request.id, host),
        summary=f"Screening tour at {venue.name}",
        start=visit.start_dt, end=visit.end_dt, tz=_zone_name(visit),
        last_modified=visit.changed_dt, sequence=visit.sequence, status=status,
        location=address(venue, street=False),
        description=(f"The tour team ({visit.team.name}) arrives about {setup} minutes before the start to set up.\n"
                     f"Status: {STATUS_WORDS[status]}"),
    )


@dataclasses.dataclass(frozen=True)
class DrivePart:
    """One day's share of a drive: a leg longer than a day is driven over several days, sleeping on the way."""

    day: dt.date  # local date it is driven on
    start: dt.datetime  # aware
    end: dt.datetime
    km: float
    minutes: int
    origin: str  # where this part starts ("Los Angeles, CA")
    to: str  # where it ends: the night's town, or the venue's town for the last part
    last: bool  # ends at the screening
    tz: str  # the zone its times are shown in: the venue's for the last part, else where the leg began


def _near(a, b) -> bool:
    return float(review.great_circle_km(a[0], a[1], b[0], b[1])) <= review.NEAR_TOWN_KM


def drive_parts(event: review.Event, previous: Optional[review.Event], days: dict, team: Team, *,
                rules: dict, season_start: dt.date) -> list[DrivePart]:
    """The drive before a screening, split where the team sleeps on the way, each part with its own km and minutes.

    The leg starts at the previous screening (or the base) and passes the team's nights in between; a
    night within a short drive of the last place is staying put. The last part (on the screening's day)
    is the leg's share that the travel model gives to the last night -> venue, as on the day sheet; the
    earlier parts share the rest in proportion to their own model times.
    """
    visit, venue = event.visit, event.venue
    if not event.drive_minutes:
        return []
    zone = review.zone(_zone_name(visit))
    arrive = visit.start_dt - dt.timedelta(minutes=rules["setup_minutes"])
    day = arrive.astimezone(zone).date()
    day_start = dt.time.fromisoformat(rules["day_start"])
    if previous is not None:
        here_town = ", ".join(x for x in (previous.venue.city, previous.venue.region) if x)
    else:
        here_town = team.base_name or "the base"
    on_the_way = (previous.venue.tz if previous is not None else "") or team.base_tz or _zone_name(visit)
    here = ((previous.venue.lat, previous.venue.lon) if previous and previous.venue.lat is not None
            else (team.base_lat, team.base_lon))
    first_night = previous.start.date() if previous else season_start
    stops = []  # (day the part is driven, (lat, lon), town) of each night on the way
    if venue.lat is not None and here[0] is not None:
        last = here
        d = first_night
        while d < day:
            night = days.get(d)
            if night is not None and night.night is not None:
                point = (night.night.lat, night.night.lon)
                if not _near(point, last) and not _near(point, (venue.lat, venue.lon)):
                    stops.append((d, point, night.night_town or f"{point[0]:.3f}, {point[1]:.3f}"))
                    last = point
            d += dt.timedelta(days=1)
    whole_town = f"{venue.city}, {venue.region}" if venue.region else (venue.city or venue.name)
    if not stops:
        leave = arrive - dt.timedelta(minutes=event.drive_minutes)
        crossing = ferry_crossing(visit)
        if crossing is not None and venue.lat is not None:
            # leave in time for the sailing: road to its terminal, check in, cross, road on from the other one
            after = int(road_leg(crossing.b.lat, crossing.b.lon, venue.lat, venue.lon)[0])
            before = max(0, int(event.drive_minutes) - after)
            leave = visit.ferry_depart_dt - dt.timedelta(minutes=review.FERRY_CHECK_IN_MINUTES + before)
        morning = dt.datetime.combine(day, day_start, zone)
        if leave < morning < arrive:
            leave = morning  # clipped to the day's start, as before: the model gave no night on the way
        return [DrivePart(day, leave, arrive, event.drive_km, event.drive_minutes, event.came_from or here_town,
                          whole_town, True, _zone_name(visit))]
    country = venue.country
    points = [here] + [p for _, p, _ in stops] + [(venue.lat, venue.lon)]
    model = [review.leg((*a, country), (*b, country), 0)[0] for a, b in zip(points, points[1:])]
    direct = review.leg((*here, country), (venue.lat, venue.lon, country), 0)[0]
    last_share = min(1.0, model[-1] / direct) if direct else 1.0
    last_minutes, last_km = round(event.drive_minutes * last_share), round(event.drive_km * last_share, 1)
    rest_minutes, rest_km = event.drive_minutes - last_minutes, event.drive_km - last_km
    before = sum(model[:-1]) or 1
    parts, origin, used_minutes, used_km = [], here_town, 0, 0.0
    for i, (d, _point, town) in enumerate(stops):
        if i == len(stops) - 1:
            minutes, km = rest_minutes - used_minutes, round(rest_km - used_km, 1)
        else:
            minutes, km = round(rest_minutes * model[i] / before), round(rest_km * model[i] / before, 1)
        used_minutes, used_km = used_minutes + minutes, used_km + km
        if previous is not None and d == previous.start.date():
            start = previous.visit.end_dt + dt.timedelta(minutes=rules["teardown_minutes"])
        else:
            start = dt.datetime.combine(d, day_start, review.zone(on_the_way))
        if minutes > 0:
            parts.append(DrivePart(d, start, start + dt.timedelta(minutes=minutes), km, minutes, origin, town, False,
                                   on_the_way))
        origin = town
    if last_minutes > 0:
        parts.append(DrivePart(day, arrive - dt.timedelta(minutes=last_minutes), arrive, last_km, last_minutes,
                               origin, whole_town, True, _zone_name(visit)))
    return parts


def team_drives(season: Season, plan: Plan, team: Team) -> dict[dt.date, list[tuple[DrivePart, review.Event]]]:
    """Each day's drives of a team (the parts of legs driven that day), as the calendar shows them."""
    rules = season.effective_rules
    itinerary = review.team_itinerary(season, team, review.plan_visits(plan, team.id),
                                      review.plan_overnights(plan, team.id))
    days = {d.date: d for d in itinerary}
    found: dict[dt.date, list] = {}
    previous = None
    for day in itinerary:
        for event in day.events:
            for part in drive_parts(event, previous, days, team, rules=rules, season_start=season.start_date):
                found.setdefault(part.day, []).append((part, event))
            previous = event
    return found


def _length(km: float, minutes: int) -> str:
    hours, minutes = divmod(int(minutes), 60)
    return f"{km:.0f} km, {hours} h {minutes:02d} min"


def drive_events(event: review.Event, parts: list[DrivePart], *, host: str, prefix: str = "",
                 links=lambda day: "", ferry: Optional[dict] = None) -> list[ical.CalendarEvent]:
    """The drive before a screening as calendar items: one per day it is driven, each with that day's km and time.

    The part that ends at the screening keeps the drive's UID (`drive-<request>@host`); earlier days'
    parts add their date, so a re-plan that keeps them keeps their UIDs.
    """
    visit, venue = event.visit, event.venue
    zone = review.zone(_zone_name(visit))
    items = []
    total = len(parts)
    for n, part in enumerate(parts, start=1):
        length = _length(part.km, part.minutes)
        of = f" (day {n} of {total})" if total > 1 else ""
        lines = [f"From {part.origin} to {address(venue) if part.last else part.to}"]
        if part.last:
            arrive = part.end.astimezone(zone)
            lines.append(f"{length} of driving; arrive by {arrive:%H:%M} ({arrive.tzname()}) to set up.")
        else:
            lines.append(f"{length} of driving, then the night in {part.to}.")
        if part.last and ferry:
            lines.append(ferry_words(ferry) + ".")
        if total > 1:
            lines.append(f"The whole drive to {venue.city or venue.name}: {_length(event.drive_km, event.drive_minutes)}"
                         f" over {total} days.")
        if part.start > part.end - dt.timedelta(minutes=part.minutes):
            lines.append("Part of this drive happens the day before.")
        url = links(part.day)
        if url:
            lines.append(f"Day page: {url}")
        by_ferry = " with ferry" if part.last and ferry else ""
        summary = (f"{prefix}Drive{by_ferry} to {venue.city or venue.name}: {length}{of}" if part.last
                   else f"{prefix}Drive toward {venue.city or venue.name}, night in {part.to}: {length}{of}")
        items.append(ical.CalendarEvent(
            uid=f"drive-{visit.request.id}@{host}" if part.last else f"drive-{visit.request.id}-{part.day:%Y%m%d}@{host}",
            summary=summary, start=part.start, end=part.end, tz=part.tz, last_modified=EPOCH,
            status=event_status(visit),
            location=address(venue) if part.last else part.to,
            geo=(venue.lat, venue.lon) if part.last and venue.lat is not None else None,
            description="\n".join(lines), url=url, categories=("Drive",),
        ))
    return items


def ferry_crossing(visit) -> Optional[Crossing]:
    """The ferry crossing on the drive before a visit, from the ferry table (None when all road)."""
    if not visit.ferry_name or visit.ferry_depart_dt is None:
        return None
    return crossing_at(visit.ferry_name, visit.ferry_depart_dt)


def ferry_event(event: review.Event, *, host: str, prefix: str = "") -> Optional[ical.CalendarEvent]:
    """The crossing itself, at its sailing time in the departure terminal's zone."""
    visit = event.visit
    crossing = ferry_crossing(visit)
    if crossing is None:
        return None
    depart = visit.ferry_depart_dt
    local = depart.astimezone(review.zone(crossing.a.tz))
    return ical.CalendarEvent(
        uid=f"ferry-{visit.request.id}@{host}",
        summary=f"{prefix}Ferry {crossing.name}",
        start=depart, end=depart + dt.timedelta(minutes=crossing.minutes), tz=crossing.a.tz, last_modified=EPOCH,
        status=event_status(visit), location=f"{crossing.a.name} ferry terminal",
        geo=(crossing.a.lat, crossing.a.lon),
        description=f"{event.ferry}. Be at the {crossing.a.name} terminal by "
                    f"{local - dt.timedelta(minutes=review.FERRY_CHECK_IN_MINUTES):%H:%M} ({local.tzname()}); "
                    f"arrive at {crossing.b.name}.",
        categories=("Drive",),
    )


def day_note(day: review.Day, team: Team, *, host: str, prefix: str = "", url: str = "") -> Optional[ical.DayNote]:
    """Where the team sleeps, and whether the day is a rest day or has no screening."""
    if day.kind == "events" and not day.night_town:
        return None
    night = f"night in {day.night_town}" if day.night_town else ""
    if day.kind == "rest day":
        summary = "Rest day" + (f" · {night}" if night else "")
    elif day.kind == "no event":
        summary = "No screening" + (f" · {night}" if night else "")
    else:
        summary = night[0].upper() + night[1:]
    geo = (day.night.lat, day.night.lon) if day.night is not None else None
    return ical.DayNote(
        uid=f"day-{team.id}-{day.date:%Y%m%d}@{host}", summary=prefix + summary, day=day.date,
        last_modified=EPOCH, location=day.night_town, geo=geo, categories=("Overnight",),
        url=url, description=f"Day page: {url}" if url else "",
    )


def _gone(visit: FeedVisit, now: dt.datetime) -> bool:
    """A cancelled screening leaves the feeds once its date has passed."""
    return event_status(visit) == "cancelled" and visit.end_dt < now


def _plan_items(season: Season, plan: Plan, teams: list[Team], *, host: str, now: dt.datetime, prefix: bool,
                links=None, screenings: bool = True):
    """Screenings, drives and day notes of some teams in one plan (drives and notes not yet stamped).

    Without `screenings` (an older plan, read only for the history of drives and nights) none is built.
    `links(team, date)` gives the day page and day map URLs an item links to.
    """
    links = links or nomad_links(host, None, with_team=False)
    visits = feed_visits(plan, teams)
    overnights = review.plan_overnights(plan)
    rules = season.effective_rules
    found, derived_events, notes = [], [], []
    for team in teams:
        mark = f"[{team.name}] " if prefix else ""
        mine = [v for v in visits if v.team_id == team.id]
        if screenings:
            for visit in mine:
                if not _gone(visit, now):
                    page, day_map = links(team, visit.start_dt.astimezone(review.zone(_zone_name(visit))).date())
                    found.append(screening_event(visit, host=host, rules=rules, day_page=page, day_map=day_map,
                                                 prefix=mark))
        live = [v for v in mine if event_status(v) != "cancelled"]
        itinerary = review.team_itinerary(season, team, live, [o for o in overnights if o.team_id == team.id])
        days = {d.date: d for d in itinerary}
        previous = None
        for day in itinerary:
            for event in day.events:
                parts = drive_parts(event, previous, days, team, rules=rules, season_start=season.start_date)
                derived_events += drive_events(event, parts, host=host, prefix=mark,
                                               links=lambda d, team=team: links(team, d)[0],
                                               ferry=ferry_of(event.visit))
                crossing = ferry_event(event, host=host, prefix=mark)
                if crossing is not None:
                    derived_events.append(crossing)
                previous = event
            note = day_note(day, team, host=host, prefix=mark, url=links(team, day.date)[0])
            if note is not None:
                notes.append(note)
    return found, derived_events, notes


def _stamp_derived(season: Season, plan: Plan, teams: list[Team], items: list, *, host: str, now: dt.datetime,
                   prefix: bool, links) -> list:
    """SEQUENCE and DTSTAMP of derived items: the published plan in which each one last changed.

    The SEQUENCE is that plan's position among the season's published plans, so it only ever grows.
    """
    history = list(db.session.scalars(
        select(Plan).where(Plan.season_id == season.id, Plan.status == "published",
                           Plan.published_dt <= plan.published_dt, Plan.id != plan.id)
        .order_by(Plan.published_dt.desc(), Plan.number.desc())))
    ordinal = len(history)  # the current plan's position (0 = first published)
    pending = {item.uid: item for item in items}  # built unstamped (sequence 0, EPOCH), so comparable as they are
    since: dict[str, int] = {uid: ordinal for uid in pending}
    for position, older in zip(range(ordinal - 1, -1, -1), history):
        if not pending:
            break
        _none, old_events, old_notes = _plan_items(season, older, teams, host=host, now=EPOCH, prefix=prefix,
                                                   links=links, screenings=False)
        old = {i.uid: i for i in old_events + old_notes}
        for uid in list(pending):
            if old.get(uid) == pending[uid]:
                since[uid] = position
            else:
                del pending[uid]
    published = [plan] + history  # index i = ordinal - position
    stamped = []
    for item in items:
        origin = published[ordinal - since[item.uid]]
        stamped.append(dataclasses.replace(item, sequence=since[item.uid], last_modified=origin.published_dt))
    return stamped


def _build(info: ical.FeedInfo, season: Season, plan: Optional[Plan], teams: list[Team], *, host: str,
           now: dt.datetime, prefix: bool, links) -> Feed:
    if plan is None:
        return _feed(info, [], [], fallback=season.created_dt)
    screenings, drives, notes = _plan_items(season, plan, teams, host=host, now=now, prefix=prefix, links=links)
    derived = _stamp_derived(season, plan, teams, drives + notes, host=host, now=now, prefix=prefix, links=links)
    events = screenings + [d for d in derived if isinstance(d, ical.CalendarEvent)]
    day_notes = [d for d in derived if isinstance(d, ical.DayNote)]
    return _feed(info, events, day_notes, fallback=plan.published_dt)


def _feed(info, events, notes, *, fallback: dt.datetime) -> Feed:
    stamps = [e.last_modified for e in events] + [n.last_modified for n in notes]
    return Feed(ical.build_feed(info, events, notes), max(stamps, default=fallback).replace(microsecond=0))


def nomad_links(host: str, token: str | None, *, with_team: bool):
    """A function (team, local date) -> (day page URL, day map URL) under a feed token, on the public host.

    The pages open with the token alone (no login), so a Nomad's phone can follow them from the calendar.
    Without a token (an exported file) items carry no links. The coordinators' feed names the team.
    """
    if not token:
        return lambda team, day: ("", "")
    adapter = current_app.url_map.bind(host)

    def links(team: Team, day: dt.date) -> tuple[str, str]:
        values = {"token": token, "day": day.isoformat(), **({"team": team.slug} if with_team else {})}
        return (public_url(host, adapter.build("nomads.day", values)),
                public_url(host, adapter.build("maps.nomad_day_map", values)))

    return links


def public_link(host: str, endpoint: str, **values) -> str:
    """The absolute URL of a page on the public host: what feeds and emails link to."""
    return public_url(host, current_app.url_map.bind(host).build(endpoint, values))


def public_url(host: str, path: str) -> str:
    """https on the public host; plain http only for a development host (localhost, 127.0.0.1)."""
    scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
    return f"{scheme}://{host}{path}"


def team_for_token(row: FeedToken, slug: str | None = None) -> Optional[Team]:
    """The team whose day a feed token may show: its own (team, member), or any named one (coordinators)."""
    if row.kind == "team":
        return row.team
    if row.kind == "member":
        return row.member.team if row.member else None
    if row.kind == "coordinators" and slug:
        return db.session.scalar(select(Team).where(Team.season_id == row.season_id, Team.slug == slug))
    return None


# --- cache ---------------------------------------------------------------------------------------------

_cache: "OrderedDict[tuple, tuple[float, Feed]]" = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple, season: Season, team_ids: Optional[list[int]], now: dt.datetime, build, *,
            request_id: int | None = None) -> Feed:
    """A feed is rebuilt when the published plan, a visit, request or team in it changes, and at the latest
    after FEED_CACHE_SECONDS (venue rows carry no version, so a corrected address shows up by then)."""
    plan = season.published_plan()
    version = plan_version(season.id, season.name, (plan.id, plan.published_dt) if plan else None, team_ids,
                           request_id, now)
    full_key = (current_app.config.get("SQLALCHEMY_DATABASE_URI"), *key, version)
    feed = _cache_get(full_key)
    if feed is None:
        feed = build(plan)
        with _cache_lock:
            _cache[full_key] = (time.monotonic(), feed)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return feed


def _cache_get(full_key: tuple) -> Optional[Feed]:
    max_age = current_app.config.get("FEED_CACHE_SECONDS", 600)
    with _cache_lock:
        hit = _cache.get(full_key)
        if hit is not None and time.monotonic() - hit[0] < max_age:
            _cache.move_to_end(full_key)
            return hit[1]
    return None


def cached_feed(token: str, *, host: str, now: dt.datetime) -> Optional[Feed]:
    """A live link's feed straight from the cache, or None (unknown link, or not cached: build it then).

    Every calendar app polls its feed, so this is the hot path: a few Core queries that read columns, no
    ORM objects, and the cache key that `team_feed`, `coordinators_feed` and `venue_feed` would compute.
    """
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return None
    link = db.session.execute(
        select(FeedToken.id, FeedToken.token_hash, FeedToken.kind, FeedToken.season_id, FeedToken.team_id,
               FeedToken.request_id, FeedToken.revoked_dt, Season.name)
        .join(Season, Season.id == FeedToken.season_id)
        .where(FeedToken.token_hash == hash_token(token))).first()
    if link is None or link.revoked_dt is not None or not tokens_match(token, link.token_hash):
        return None
    team_ids, request_id = None, None
    if link.kind in ("team", "member"):
        key, team_ids = ("team", link.team_id, host, link.id), [link.team_id]
    elif link.kind == "venue":
        key, request_id = ("venue", link.request_id, host), link.request_id
    else:  # every visit of a season's plan is one of its teams': no team filter
        key = ("coordinators", link.season_id, host, link.id)
    plan = db.session.execute(_published(link.season_id)).first()
    version = plan_version(link.season_id, link.name, tuple(plan) if plan else None, team_ids, request_id, now)
    return _cache_get((current_app.config.get("SQLALCHEMY_DATABASE_URI"), *key, version))


def _published(season_id: int):
    """The published plan's id and time, as `Season.published_plan` picks it."""
    return (select(Plan.id, Plan.published_dt)
            .where(Plan.season_id == season_id, Plan.status == "published")
            .order_by(Plan.published_dt.desc(), Plan.number.desc()).limit(1))


def plan_version(season_id: int, season_name: str, plan: Optional[tuple], team_ids, request_id,
                 now: dt.datetime) -> tuple:
    """Everything a feed's bytes depend on, in two cheap Core queries: the cache key.

    `plan` is the published plan's (id, published_dt), or None when nothing is published.
    """
    if plan is None:
        return (season_name, None)
    plan_id, published_dt = plan
    query = (
        select(func.max(Visit.changed_dt), func.max(Request.updated_dt), func.count(Visit.id),
               func.sum(Visit.version), func.sum(Request.version),
               func.count(Visit.id).filter(Visit.end_dt < now, (Visit.cancelled.is_(True)) | (Request.status == "cancelled")))
        .join(Request, Request.id == Visit.request_id)
        .where(Visit.plan_id == plan_id)
    )
    if team_ids is not None:
        query = query.where(Visit.team_id.in_(team_ids))
    if request_id is not None:
        query = query.where(Visit.request_id == request_id)
    row = tuple(db.session.execute(query).one())
    teams = tuple(db.session.execute(
        select(Team.id, Team.version, Team.name, Team.slug).where(Team.season_id == season_id).order_by(Team.id)))
    return (season_name, plan_id, published_dt, row, teams)


def body_etag(body: bytes) -> str:
    """A strong ETag of the bytes served."""
    return hashlib.sha256(body).hexdigest()[:32]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def export(season: Season, *, host: str, now: dt.datetime, team: Team | None = None,
           request: Request | None = None) -> Feed:
    """The bytes a feed URL serves, for the export-feed command."""
    if team is not None:
        return team_feed(season, team, host=host, now=now)
    if request is not None:
        return venue_feed(request, host=host, now=now)
    return coordinators_feed(season, host=host, now=now)
