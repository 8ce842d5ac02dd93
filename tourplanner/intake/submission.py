"""A venue's request arriving (geocoded, its private link made, a repeat marked as a possible duplicate), and
the coordinators' side: the review queue, decisions, merges, edits and location fixes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Callable, Optional

from flask import current_app
from sqlalchemy import case, func, select

from ..conflicts import check_version, commit_or_conflict
from ..extensions import db
from ..models import AvailabilityWindow, BlackoutDate, Request, Season, User, Venue, derived_token, hash_token
from ..optimize.lands import land_of
from ..storage import commit_keeping_loaded

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: refs get read out on the phone
EDITABLE_STATUSES = ("submitted", "approved")


class IntakeError(ValueError):
    """An action that does not fit the request's state; the message is shown to the person as is."""


@dataclass(frozen=True)
class Outcome:
    """What a submission stored: the new request, its private link token, and where the venue was placed."""

    request: Request
    token: str
    place_label: str = ""  # where the geocoder put the venue, for the person to check


def unreachable_place(venue: Venue) -> Optional[str]:
    """The name of the land a venue is on when no road or car ferry reaches it (Hawaii, Juneau...), else None.

    Read from the stored coordinates each time, so the flag coordinators see never goes stale when a
    location is corrected.
    """
    if venue.lat is None or venue.lon is None:
        return None
    land = land_of(venue.lat, venue.lon)
    return land.name if land.kind == "no_road" else None


def open_season(today: dt.date) -> Optional[Season]:
    """The season requests go to: the one running today, else the next to start; the nearest wins."""
    seasons = db.session.scalars(select(Season)).all()
    current = [s for s in seasons if s.end_date >= today]
    if not current:
        return None
    return min(current, key=lambda s: (max((s.start_date - today).days, 0), s.start_date, s.id))


def new_ref(season: Season) -> str:
    """A short id for the request, unique in the season, easy to read aloud ('W7KQ3M').

    One indexed lookup per draw (the refs are 24 million, so nearly always one): reading every ref of the
    season made each post slower as the season filled."""
    while True:
        ref = "W" + "".join(secrets.choice(REF_ALPHABET) for _ in range(5))
        taken = db.session.scalar(select(Request.id).where(Request.season_id == season.id, Request.ref == ref))
        if taken is None:
            return ref


def find_duplicate(season: Season, venue_name: str, email: str) -> Optional[Request]:
    """An earlier, still open request of the same venue and email in this season."""
    return db.session.scalar(
        select(Request)
        .join(Venue, Request.venue_id == Venue.id)
        .where(
            Request.season_id == season.id,
            func.lower(Venue.name) == venue_name.strip().lower(),
            func.lower(Request.contact_email) == email.strip().lower(),
            Request.status.not_in(("cancelled", "declined")),
        )
        .order_by(Request.created_dt)
        .limit(1)
    )


def submit_request(season: Season, data: dict, windows: list[AvailabilityWindow], blackouts: list[dt.date], *,
                   locate: Callable, now: dt.datetime) -> Outcome:
    """Store a venue's request, geocoded, always as a new request with its own private link.

    Anyone can type a venue's name and email, so a post without the private link never changes a stored
    request: a repeat of an open one is marked as its possible duplicate, for a coordinator to merge or keep."""
    earlier = find_duplicate(season, data["venue_name"], data["contact_email"])
    address = {k: data[k] for k in ("country", "region", "city", "postal_code", "street")}
    place = locate(**address)  # GeocodeError goes to the form before anything is written
    venue = Venue(name=data["venue_name"], type=data["venue_type"], lat=place.lat, lon=place.lon, tz=place.tz,
                  geocode_source=place.source, geocode_precision=place.precision, **address)
    token, token_hash, salt = new_venue_token()
    request = Request(season=season, venue=venue, ref=new_ref(season), status="submitted", duplicate_of=earlier,
                      status_token_hash=token_hash, status_token_salt=salt, created_dt=now, updated_dt=now)
    for key in ("contact_name", "contact_email", "contact_phone", "audience", "duration_minutes", "notes"):
        setattr(request, key, data[key])
    request.list_on_tour_page = bool(data.get("list_on_tour_page"))
    request.windows.extend(windows)  # a new request: nothing to replace (set_availability's flush not needed)
    request.blackouts.extend(BlackoutDate(day=d) for d in blackouts)
    db.session.add(request)
    commit_keeping_loaded(db.session())
    return Outcome(request, token, place_label=place.label or venue_label(venue))


def new_venue_token() -> tuple[str, str, str]:
    """(token, its hash, salt): a venue link the app can write again into later emails (models.derived_token)."""
    salt = secrets.token_urlsafe(16)
    token = derived_token(current_app.config["SECRET_KEY"], salt)
    return token, hash_token(token), salt


def merge_duplicate(repeat: Request, *, now: dt.datetime) -> Request:
    """A coordinator accepts a repeat as the venue's correction: its details replace the earlier request's
    (which keeps its ref and private link), and the repeat is deleted."""
    earlier = repeat.duplicate_of
    if earlier is None:
        raise IntakeError("This request is not marked as a possible duplicate.")
    if earlier.status not in EDITABLE_STATUSES:
        raise IntakeError(f"{earlier.ref} is {earlier.status}; change it by hand or keep both.")
    venue, source = earlier.venue, repeat.venue
    address = ("country", "region", "city", "postal_code", "street")
    if not (venue.location_corrected and all(getattr(venue, k) == getattr(source, k) for k in address)):
        # A coordinator's corrected point survives the same address sent again; a new address is placed afresh.
        for key in ("lat", "lon", "tz", "geocode_source", "geocode_precision", "location_corrected"):
            setattr(venue, key, getattr(source, key))
    for key in ("name", "type", *address):
        setattr(venue, key, getattr(source, key))
    for key in ("contact_name", "contact_email", "contact_phone", "audience", "duration_minutes", "notes"):
        setattr(earlier, key, getattr(repeat, key))
    windows = [AvailabilityWindow(first_date=w.first_date, last_date=w.last_date, weekdays=w.weekdays,
                                  start_time=w.start_time, end_time=w.end_time) for w in repeat.windows]
    set_availability(earlier, windows, [b.day for b in repeat.blackouts])
    earlier.updated_dt = now
    db.session.delete(repeat)
    db.session.flush()
    if db.session.scalar(select(Request.id).where(Request.venue_id == source.id).limit(1)) is None:
        db.session.delete(source)
    db.session.commit()
    return earlier


def keep_both(repeat: Request, *, now: dt.datetime) -> None:
    """A coordinator decides the repeat is a request of its own (another screening, another contact)."""
    repeat.duplicate_of = None
    repeat.updated_dt = now
    db.session.commit()


def set_availability(request: Request, windows: list[AvailabilityWindow], blackouts: list[dt.date]) -> None:
    """Replace the request's windows and blackout days (caller commits)."""
    request.windows.clear()
    request.blackouts.clear()
    db.session.flush()  # old blackout rows go before new ones with the same day arrive
    request.windows.extend(windows)
    request.blackouts.extend(BlackoutDate(day=d) for d in blackouts)


def venue_label(venue: Venue) -> str:
    """Where the venue is, as shown back to the venue: the geocoder's own words when we have them."""
    return f"{venue.city}, {venue.region}" if venue.city else f"{venue.postal_code} {venue.region}".strip()


def coordinator_emails() -> list[str]:
    return list(db.session.scalars(select(User.email).where(User.active.is_(True)).order_by(User.id)))


QUEUE_ORDER = {"submitted": 0, "approved": 1, "scheduled": 2, "confirmed": 3, "declined": 4, "cancelled": 5}


def review_queue(*, season_id=None, status=None, venue_type=None, region=None, limit=2000) -> list[Request]:
    """Requests for review: new ones first, then by arrival (newest first); filters narrow it."""
    query = select(Request).join(Venue, Request.venue_id == Venue.id)
    if season_id:
        query = query.where(Request.season_id == season_id)
    if status:
        query = query.where(Request.status == status)
    if venue_type:
        query = query.where(Venue.type == venue_type)
    if region:
        query = query.where(Venue.region == region)
    by_status = case(QUEUE_ORDER, value=Request.status, else_=9)
    return list(db.session.scalars(query.order_by(by_status, Request.created_dt.desc(), Request.id.desc()).limit(limit)))


def decide(request: Request, approve: bool, message: str, *, now: dt.datetime) -> None:
    """A coordinator approves or declines a request, with a message for the venue."""
    if request.status not in ("submitted", "approved", "declined"):
        raise IntakeError(f"A request that is {request.status} cannot be approved or declined here.")
    request.status = "approved" if approve else "declined"
    request.status_message = message
    request.updated_dt = now
    db.session.commit()


def edit_request(request: Request, data: dict, version: str, *, now: dt.datetime) -> None:
    """Save a coordinator's edit unless someone else saved in between (then EditConflict)."""
    check_version(request, version)
    venue = request.venue
    venue.name, venue.type = data["venue_name"], data["venue_type"]
    for key in ("contact_name", "contact_email", "contact_phone", "audience", "duration_minutes", "priority", "notes"):
        setattr(request, key, data[key])
    request.updated_dt = now
    commit_or_conflict()


def correct_location(venue: Venue, *, locate: Callable, lat=None, lon=None, address: Optional[dict] = None) -> None:
    """A coordinator puts the venue where it really is; later imports keep this point."""
    if lat is not None and lon is not None:
        place = locate(country=venue.country, lat=float(lat), lon=float(lon))
    else:
        merged = {"street": venue.street, "city": venue.city, "region": venue.region, "postal_code": venue.postal_code}
        merged.update({k: v for k, v in (address or {}).items() if v})
        place = locate(country=venue.country, **merged)
        for key, value in merged.items():
            setattr(venue, key, value)
    venue.lat, venue.lon, venue.tz = place.lat, place.lon, place.tz
    venue.geocode_precision = place.precision
    venue.geocode_source = "coordinator"
    venue.location_corrected = True
    db.session.commit()
