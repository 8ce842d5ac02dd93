"""The public tour page: the published screenings whose venues agreed to be listed, and nothing else.

No contact data, no street, no unlisted venue, and no team positions (drives, nights, other days).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from . import ical
from .extensions import db
from .geo.names import REGIONS
from .models import Plan, Request, Season, Venue, Visit
from .zones import zone

LISTED_STATUSES = ("scheduled", "confirmed")
REGION_NAMES = {(country, code): name for country, names in REGIONS.items() for code, name in names.items()}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class ListedScreening:
    """One public date: venue, town and local time."""

    request_id: int
    venue: str
    city: str
    region: str
    country: str
    lat: float
    lon: float
    start: dt.datetime  # aware, in the venue's zone
    end: dt.datetime
    tz: str
    confirmed: bool
    sequence: int
    changed_dt: dt.datetime


def public_plans(today: dt.date) -> list[Plan]:
    """The published plans of seasons not yet over."""
    seasons = db.session.scalars(select(Season).where(Season.start_date <= today + dt.timedelta(days=400))
                                 .order_by(Season.start_date)).all()
    return [p for s in seasons if s.end_date >= today and (p := s.published_plan()) is not None]


def listed_screenings(today: dt.date) -> list[ListedScreening]:
    """Every listed screening of the current and coming published plans, in date order."""
    plans = [p.id for p in public_plans(today)]
    if not plans:
        return []
    rows = db.session.execute(
        select(Visit.request_id, Venue.name, Venue.city, Venue.region, Venue.country, Venue.lat, Venue.lon,
               Visit.start_dt, Visit.end_dt, Venue.tz, Request.status, Visit.sequence, Visit.changed_dt)
        .join(Request, Visit.request_id == Request.id).join(Venue, Request.venue_id == Venue.id)
        .where(Visit.plan_id.in_(plans), Visit.cancelled.is_(False), Request.status.in_(LISTED_STATUSES),
               Request.list_on_tour_page.is_(True), Venue.lat.is_not(None))
        .order_by(Visit.start_dt))
    found = []
    for (request_id, name, city, region, country, lat, lon, start, end, tz, status, sequence, changed) in rows:
        local = zone(tz)
        found.append(ListedScreening(request_id, name, city or "", region or "", country, lat, lon,
                                     start.astimezone(local), end.astimezone(local), tz or "UTC",
                                     status == "confirmed", sequence or 0, changed or EPOCH))
    return found


def by_region(screenings: list[ListedScreening]) -> list[tuple[str, list[ListedScreening]]]:
    """('Arizona', [...]) groups: US states first, then Canadian provinces, each by name; dates in order."""
    groups: dict[tuple, list[ListedScreening]] = {}
    for s in screenings:
        groups.setdefault((s.country != "US", REGION_NAMES.get((s.country, s.region), s.region or s.country)), []).append(s)
    return [(name, items) for (_, name), items in sorted(groups.items())]


def tour_calendar(screenings: list[ListedScreening], *, host: str) -> bytes:
    """The public dates as a calendar anyone may subscribe to: venue, town and time only."""
    info = ical.FeedInfo(name="Screening tour: public dates", host=host,
                         description="Screenings of the tour whose venues agreed to be listed.")
    events = [ical.CalendarEvent(
        uid=f"tour-{s.request_id}@{host}", summary=f"Screening: {s.venue}, {s.city}",
        start=s.start, end=s.end, tz=s.tz, last_modified=s.changed_dt, sequence=s.sequence,
        status="confirmed" if s.confirmed else "tentative",
        location=", ".join(x for x in (s.venue, s.city, s.region) if x), categories=("Screening",),
    ) for s in screenings]
    return ical.build_feed(info, events)
