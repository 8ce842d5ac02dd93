"""The items of a feed: screenings as the team and as the venue see them, ferry crossings and day notes."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from .. import ical, review
from ..models import Plan, Season, Team
from ..optimize.ferries import Crossing, crossing_at
from ..zones import zone

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def feed_visits(plan: Plan, teams: list[Team], request_id: int | None = None) -> list[review.Stop]:
    """A plan's visits (cancelled ones too) of some teams, with request, venue and team, by team and start."""
    by_id = {t.id: t for t in teams}
    visits = review.plan_visits(plan, team_ids=list(by_id), request_id=request_id, with_cancelled=True)
    for visit in visits:
        visit.team = by_id[visit.team_id]
    return visits


def event_status(visit: review.Stop) -> str:
    if visit.cancelled or visit.request.status == "cancelled":
        return "cancelled"
    return "confirmed" if visit.request.status == "confirmed" else "tentative"


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
    depart = visit.ferry_depart_dt.astimezone(zone(crossing.a.tz))
    return {"name": crossing.name, "minutes": crossing.minutes, "depart": f"{depart:%H:%M}"}


def ferry_words(ferry: Optional[dict]) -> str:
    """'Car ferry: Horseshoe Bay - Nanaimo, 100 min, departs 07:50' (the Nomads' words)."""
    if not ferry:
        return ""
    depart = f", departs {ferry['depart']}" if ferry["depart"] else ""
    return f"Car ferry: {ferry['name']}, {ferry['minutes']} min{depart}"


def zone_name(visit: review.Stop) -> str:
    return visit.request.venue.tz or visit.team.base_tz


def screening_event(visit: review.Stop, *, host: str, rules: dict, day_page: str = "", day_map: str = "",
                    prefix: str = "") -> ical.CalendarEvent:
    """A Visit as the team sees it: address, contact, notes, status and links to the day page and map."""
    request, venue = visit.request, visit.request.venue
    local = zone(zone_name(visit))
    setup = (visit.start_dt - dt.timedelta(minutes=rules["setup_minutes"])).astimezone(local)
    teardown = (visit.end_dt + dt.timedelta(minutes=rules["teardown_minutes"])).astimezone(local)
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
        start=visit.start_dt, end=visit.end_dt, tz=zone_name(visit),
        last_modified=visit.changed_dt, sequence=visit.sequence, status=status,
        location=address(venue), geo=(venue.lat, venue.lon) if venue.lat is not None else None,
        description="\n".join(lines), url=day_page, categories=("Screening",),
    )


def venue_event(visit: review.Stop, *, host: str, season: Season) -> ical.CalendarEvent:
    """The same screening as the venue sees it: no contact, notes, street or coordinates."""
    venue = visit.request.venue
    status = event_status(visit)
    setup = season.effective_rules["setup_minutes"]
    return ical.CalendarEvent(
        uid=ical.visit_uid(visit.request.id, host),
        summary=f"Screening tour at {venue.name}",
        start=visit.start_dt, end=visit.end_dt, tz=zone_name(visit),
        last_modified=visit.changed_dt, sequence=visit.sequence, status=status,
        location=address(venue, street=False),
        description=(f"The tour team ({visit.team.name}) arrives about {setup} minutes before the start to set up.\n"
                     f"Status: {STATUS_WORDS[status]}"),
    )


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
    local = depart.astimezone(zone(crossing.a.tz))
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


def gone(visit: review.Stop, now: dt.datetime) -> bool:
    """A cancelled screening leaves the feeds once its date has passed."""
    return event_status(visit) == "cancelled" and visit.end_dt < now
