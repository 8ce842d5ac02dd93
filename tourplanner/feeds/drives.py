"""Drives as the Nomads' calendar shows them: a leg longer than a day split where the team sleeps on the way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from .. import ical, review
from ..models import Plan, Season, Team
from ..optimize.travel import great_circle_km, road_leg
from ..zones import zone
from .items import EPOCH, address, event_status, ferry_crossing, ferry_words, zone_name


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
    return float(great_circle_km(a[0], a[1], b[0], b[1])) <= review.NEAR_TOWN_KM


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
    local = zone(zone_name(visit))
    arrive = visit.start_dt - dt.timedelta(minutes=rules["setup_minutes"])
    day = arrive.astimezone(local).date()
    day_start = dt.time.fromisoformat(rules["day_start"])
    if previous is not None:
        here_town = ", ".join(x for x in (previous.venue.city, previous.venue.region) if x)
    else:
        here_town = team.base_name or "the base"
    on_the_way = (previous.venue.tz if previous is not None else "") or team.base_tz or zone_name(visit)
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
        morning = dt.datetime.combine(day, day_start, local)
        if leave < morning < arrive:
            leave = morning  # clipped to the day's start, as before: the model gave no night on the way
        return [DrivePart(day, leave, arrive, event.drive_km, event.drive_minutes, event.came_from or here_town,
                          whole_town, True, zone_name(visit))]
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
            start = dt.datetime.combine(d, day_start, zone(on_the_way))
        if minutes > 0:
            parts.append(DrivePart(d, start, start + dt.timedelta(minutes=minutes), km, minutes, origin, town, False,
                                   on_the_way))
        origin = town
    if last_minutes > 0:
        parts.append(DrivePart(day, arrive - dt.timedelta(minutes=last_minutes), arrive, last_km, last_minutes,
                               origin, whole_town, True, zone_name(visit)))
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
    local = zone(zone_name(visit))
    items = []
    total = len(parts)
    for n, part in enumerate(parts, start=1):
        length = _length(part.km, part.minutes)
        of = f" (day {n} of {total})" if total > 1 else ""
        lines = [f"From {part.origin} to {address(venue) if part.last else part.to}"]
        if part.last:
            arrive = part.end.astimezone(local)
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
