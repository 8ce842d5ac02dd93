"""Venue intake: the open season, reading availability, storing (or merging) a request, and the
venue's and coordinators' actions on it. Views call these; nothing here renders HTML."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select

from .extensions import db
from .models import (AvailabilityWindow, BlackoutDate, RefusedDate, Request, Season, UnservedRequest, User, Venue,
                     Visit, derived_token, hash_token, tokens_match)
from .optimize.lands import land_of
from .storage import commit_keeping_loaded

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: refs get read out on the phone
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what secrets.token_urlsafe(32) gives
EDITABLE_STATUSES = ("submitted", "approved")
DATE_PROPOSED_STATUSES = ("scheduled", "confirmed")
STATUS_WORDS = {
    "submitted": ("Received", "Your request arrived. A coordinator will look at it soon."),
    "approved": ("Under review", "A coordinator accepted your request; we are fitting it into the tour."),
    "declined": ("Declined", "We are sorry: we cannot come to your venue this season."),
    "scheduled": ("Date proposed", "We propose the date below. Please confirm it, ask for another date, or cancel."),
    "confirmed": ("Confirmed", "You confirmed the date below. See you then!"),
    "cancelled": ("Cancelled", "This request is cancelled."),
}
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ANOTHER_DATE_NOTE = "The venue asked for another date"  # how ask_another_date's note begins
NOT_SERVED_WORDS = {  # why this season's tour could not include a venue, in the venue's words ({town})
    "no_road": "the team travels by van, and no road or car ferry reaches {town}.",
    "no_reachable_window": "the team's route does not come close enough to {town} on the days and hours you gave.",
    "outside_tour_dates": "the days and hours you gave fall outside this season's tour days.",
    "holiday_or_day_off": "every day you gave is a public holiday or one of the team's rest days.",
    "dropped_for_value": "the team could not fit the drive to {town} between its other screenings this season.",
    "pinned_conflict": "the date agreed for {town} could not be kept in the team's route.",
    "dropped_by_coordinator": "the tour coordinators had to take it out of this season's plan.",
}


class IntakeError(ValueError):
    """An action that does not fit the request's state; the message is shown to the person as is."""


class EditConflict(Exception):
    """Someone else saved the record since this form was loaded."""


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


def parse_blackouts(text: str) -> tuple[list[dt.date], list[str]]:
    """Dates from 'one per line or comma separated'; returns the dates and the pieces that are not dates."""
    days, bad = [], []
    for piece in re.split(r"[,;\s]+", text or ""):
        if not piece:
            continue
        try:
            day = dt.date.fromisoformat(piece)
        except ValueError:
            bad.append(piece)
            continue
        if day not in days:
            days.append(day)
    return sorted(days), bad


def describe_window(w: AvailabilityWindow) -> str:
    """'Feb 1 - Feb 26, Mon-Fri, 9:00-15:00': how people write availability."""
    days = [d for d in WEEKDAY_CODES if d in (w.weekdays or "").split(",")]
    if days == list(WEEKDAY_CODES[:5]):
        day_text = "Mon-Fri"
    elif days == list(WEEKDAY_CODES):
        day_text = "every day"
    else:
        day_text = ", ".join(d.capitalize() for d in days)
    span = f"{w.first_date:%b} {w.first_date.day}"
    if w.last_date != w.first_date:
        span += f" - {w.last_date:%b} {w.last_date.day}"
    return f"{span}, {day_text}, {w.start_time.hour}:{w.start_time:%M}-{w.end_time.hour}:{w.end_time:%M}"


def read_availability(form, season: Season, duration_minutes: int) -> Optional[tuple[list[AvailabilityWindow], list[dt.date]]]:
    """Check the availability rows and blackout dates of `form` against the season; errors go on the fields."""
    rules = season.effective_rules
    needed = duration_minutes + int(rules.get("setup_minutes", 0)) + int(rules.get("teardown_minutes", 0))
    first, last = season.start_date, season.end_date
    windows: list[AvailabilityWindow] = []
    ok = True
    for row in form.windows:
        sub = row.form
        if sub.is_blank():
            continue
        if sub.errors:  # unreadable dates or times: the field already says so
            ok = False
            continue
        problems = []
        for field, what in ((sub.first_date, "the first day"), (sub.last_date, "the last day"),
                            (sub.start_time, "the start time"), (sub.end_time, "the end time")):
            if field.data is None:
                field.errors.append(f"Enter {what}.")
                problems.append(field)
        if not sub.weekdays.data:
            sub.weekdays.errors.append("Tick at least one day of the week.")
            problems.append(sub.weekdays)
        if problems:
            ok = False
            continue
        if sub.last_date.data < sub.first_date.data:
            sub.last_date.errors.append("The last day comes before the first day.")
            ok = False
            continue
        for field in (sub.first_date, sub.last_date):
            if not first <= field.data <= last:
                field.errors.append(f"The tour runs from {first:%B} {first.day} to {last:%B} {last.day}, {last.year}; "
                                    f"pick a day in that time.")
                ok = False
        if sub.end_time.data <= sub.start_time.data:
            sub.end_time.errors.append("The end time must be later than the start time.")
            ok = False
        else:
            minutes = _minutes(sub.end_time.data) - _minutes(sub.start_time.data)
            if minutes < needed:
                sub.end_time.errors.append(
                    f"These hours are too short: the screening takes {duration_minutes} minutes plus "
                    f"{needed - duration_minutes} minutes to set up and pack up, {_hours(needed)} in all.")
                ok = False
        chosen = [d for d in WEEKDAY_CODES if d in sub.weekdays.data]
        # A row of rest days (or holidays) only is kept, with a warning (row_warnings): the form says so
        # up front, and the venue may know better (a note, a change of plan); the planner skips those days.
        if ok and not sub.errors and not _has_weekday(sub.first_date.data, sub.last_date.data, chosen):
            sub.weekdays.errors.append("None of these days of the week falls between the two dates.")
            ok = False
        if not ok:
            continue
        windows.append(AvailabilityWindow(
            first_date=sub.first_date.data, last_date=sub.last_date.data, weekdays=",".join(chosen),
            start_time=sub.start_time.data, end_time=sub.end_time.data))
    if ok and not windows:
        form.windows.entries[0].form.first_date.errors.append(
            "Tell us at least one stretch of days and hours when you could host.")
        ok = False
    days, bad = parse_blackouts(form.blackouts.data)
    if bad:
        form.blackouts.errors = list(form.blackouts.errors) + [
            f"These are not dates we can read: {', '.join(bad[:5])}. Write dates like 2027-02-14."]
        ok = False
    outside = [d for d in days if not first <= d <= last]
    if outside:
        form.blackouts.errors = list(form.blackouts.errors) + [
            f"{outside[0].isoformat()} is outside the tour ({first.isoformat()} to {last.isoformat()})."]
        ok = False
    if len(days) > 100:
        form.blackouts.errors = list(form.blackouts.errors) + ["List at most 100 dates."]
        ok = False
    return (windows, days) if ok else None


def rest_days(season: Season) -> str:
    """'Sundays' or 'Saturdays and Sundays': the weekdays the team never screens."""
    return _day_names(set(season.effective_rules.get("days_off") or ()))


@lru_cache(maxsize=64)
def _holidays(country: str, region: str, first: dt.date, last: dt.date) -> tuple[tuple[dt.date, str], ...]:
    import holidays

    try:
        table = holidays.country_holidays(country, subdiv=region or None, years=range(first.year, last.year + 1))
    except NotImplementedError:
        return ()
    return tuple(sorted((day, name) for day, name in table.items() if first <= day <= last))


def tour_holidays(season: Season, country: str, region: str) -> list[tuple[dt.date, str]]:
    """Public holidays inside the tour at a venue in this state or province (the planner skips them)."""
    if not season.effective_rules.get("holidays", True) or country not in ("US", "CA"):
        return []
    return list(_holidays(country, region, season.start_date, season.end_date))


def holidays_by_region(season: Season) -> dict[str, list[list[str]]]:
    """Every US state's and Canadian province's holidays in the tour, for the form's script: code -> [[date, words]]."""
    from .forms import CA_PROVINCES, US_STATES

    found = {}
    for country, regions in (("US", US_STATES), ("CA", CA_PROVINCES)):
        for code, _name in regions:
            found[code] = [[day.isoformat(), f"{day:%a %b} {day.day}: {name}"]
                           for day, name in tour_holidays(season, country, code)]
    return found


def row_warnings(windows: list[AvailabilityWindow], season: Season, country: str, region: str) -> list[str]:
    """A warning for each row whose every day is a rest day or a public holiday there (the tour cannot come)."""
    off = set(season.effective_rules.get("days_off") or ())
    holidays = {day for day, _ in tour_holidays(season, country, region)}
    warnings = []
    for number, w in enumerate(windows, 1):
        days = set(w.weekdays.split(","))
        span = [w.first_date + dt.timedelta(days=i) for i in range((w.last_date - w.first_date).days + 1)]
        open_days = [d for d in span if WEEKDAY_CODES[d.weekday()] in days and WEEKDAY_CODES[d.weekday()] not in off
                     and d not in holidays]
        if span and not open_days:
            warnings.append(f"Row {number} only covers days when the team does not screen (it rests on "
                            f"{rest_days(season)}, and on public holidays): add other days, or we cannot come.")
    return warnings


def _day_names(days) -> str:
    names = {"mon": "Mondays", "tue": "Tuesdays", "wed": "Wednesdays", "thu": "Thursdays", "fri": "Fridays",
             "sat": "Saturdays", "sun": "Sundays"}
    return " and ".join(names[d] for d in WEEKDAY_CODES if d in days)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _hours(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if m else f"{h} h"


def _has_weekday(first: dt.date, last: dt.date, days: list[str]) -> bool:
    span = min((last - first).days + 1, 7)
    return any(WEEKDAY_CODES[(first + dt.timedelta(days=i)).weekday()] in days for i in range(span))


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


# --- the venue's private page ---------------------------------------------------------------------

def request_for_token(token: str) -> Optional[Request]:
    """The request behind a private link, or None for any wrong, revoked or malformed token."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return None
    wanted = hash_token(token)
    request = db.session.scalar(select(Request).where(Request.status_token_hash == wanted))
    if request is None or not tokens_match(token, request.status_token_hash):
        return None
    return request


def rotate_token(request: Request) -> str:
    """A new private link for the request; the old one stops working at once."""
    token, request.status_token_hash, request.status_token_salt = new_venue_token()
    db.session.commit()
    return token


def new_venue_token() -> tuple[str, str, str]:
    """(token, its hash, salt): a venue link the app can write again into later emails (models.derived_token)."""
    salt = secrets.token_urlsafe(16)
    token = derived_token(current_app.config["SECRET_KEY"], salt)
    return token, hash_token(token), salt


def venue_token(request: Request) -> Optional[str]:
    """The venue's live private link token, rebuilt; None if it cannot be (older link, changed secret key)."""
    if not request.status_token_salt or not request.status_token_hash:
        return None
    token = derived_token(current_app.config["SECRET_KEY"], request.status_token_salt)
    return token if tokens_match(token, request.status_token_hash) else None


def proposed_visit(request: Request) -> Optional[Visit]:
    """The visit the published plan proposes for this request, unless cancelled."""
    plan = request.season.published_plan()
    if plan is None:
        return None
    return db.session.scalar(
        select(Visit).where(Visit.plan_id == plan.id, Visit.request_id == request.id, Visit.cancelled.is_(False)))


def local_time(moment: dt.datetime, tz: Optional[str]) -> dt.datetime:
    """A stored UTC time on the venue's own clock."""
    return moment.astimezone(ZoneInfo(tz)) if tz else moment


def confirm_date(request: Request, *, now: dt.datetime) -> Visit:
    """The venue accepts the proposed date; calendars see the visit as confirmed."""
    visit = proposed_visit(request)
    if visit is None or request.status != "scheduled":
        raise IntakeError("There is no proposed date to confirm.")
    request.status = "confirmed"
    request.updated_dt = now
    _touch(visit, now)
    db.session.commit()
    return visit


@dataclass(frozen=True)
class VenueStatus:
    """What a venue's page says about its request now: one status, one explanation, at most one note."""

    word: str
    text: str
    note: str = ""
    not_served: bool = False  # a published plan left it out: the venue may keep it for the next season


def venue_status(request: Request) -> VenueStatus:
    """The request's state in the venue's words. A note belongs to one state: a coordinator's approval note
    is gone once a date is proposed, and after "ask for another date" the page says a new date is sought."""
    word, text = STATUS_WORDS.get(request.status, (request.status, ""))
    message = request.status_message or ""
    if request.status in DATE_PROPOSED_STATUSES or request.status == "cancelled":
        return VenueStatus(word, text)
    if request.status == "approved" and message.startswith(ANOTHER_DATE_NOTE):
        asked, _, note = message[len(ANOTHER_DATE_NOTE):].partition(":")
        try:
            day = dt.date.fromisoformat(asked.strip(" ()"))
            when = f" on {day:%B} {day.day}"
        except ValueError:
            when = ""
        return VenueStatus("Looking for another date",
                           f"You asked for another date{when}. We are looking for a new one and will write to you "
                           "when we have it.", note=f"Your note: {note.strip()}" if note.strip() else "")
    if request.status == "approved":
        reason = not_served_reason(request)
        if reason is not None:
            town = ", ".join(x for x in (request.venue.city, request.venue.region) if x) or request.venue.name
            why = NOT_SERVED_WORDS.get(reason, "the team's route could not include it.").format(town=town)
            return VenueStatus("Not in this season's tour",
                               f"We are sorry: this season's tour could not include your venue, because {why}",
                               not_served=True)
    return VenueStatus(word, text, note=message)


def not_served_reason(request: Request) -> Optional[str]:
    """Why the season's published plan left this request out (its unserved reason), or None if it did not."""
    plan = request.season.published_plan()
    if plan is None:
        return None
    return db.session.scalar(select(UnservedRequest.reason).where(
        UnservedRequest.plan_id == plan.id, UnservedRequest.request_id == request.id))


def keep_for_next_season(request: Request, *, now: dt.datetime) -> None:
    """A venue left out of this season's tour asks to be considered for the next one (coordinators see it)."""
    if not venue_status(request).not_served:
        raise IntakeError("Only a request this season's tour could not include can be kept for the next season.")
    if request.keep_for_next_dt is None:
        request.keep_for_next_dt = now
        request.updated_dt = now
        db.session.commit()


def ask_another_date(request: Request, note: str, *, now: dt.datetime) -> None:
    """The venue cannot make the proposed date; coordinators plan again with the venue's note.

    The refused day is blacked out for this request (a RefusedDate: the next plan proposes another one),
    any pin or lock on the visit is lifted (a lock made before the venue answered must not keep it there),
    and the published visit is cancelled, so that the venue's page, its .ics and the team feeds show the
    refused date as cancelled until a new date is published.
    """
    visit = proposed_visit(request)
    if visit is None or request.status not in DATE_PROPOSED_STATUSES:
        raise IntakeError("There is no proposed date to change.")
    day = local_time(visit.start_dt, request.venue.tz).date()
    if not any(r.day == day for r in request.refused_dates):
        request.refused_dates.append(RefusedDate(day=day, start_dt=visit.start_dt, created_dt=now))
    request.pinned_team_id = None
    request.fixed_start_dt = None
    for held in db.session.scalars(select(Visit).where(Visit.request_id == request.id, Visit.locked.is_(True))):
        held.locked = False
    visit.cancelled = True
    _touch(visit, now)
    request.status = "approved"
    request.status_message = f"{ANOTHER_DATE_NOTE} ({now:%Y-%m-%d}): {note}".strip()[:2000]
    request.updated_dt = now
    db.session.commit()


def refused_visit(request: Request) -> Optional[Visit]:
    """The published date this venue turned down and is still waiting to replace, if any."""
    plan = request.season.published_plan()
    if plan is None or request.status != "approved" or not request.refused_dates:
        return None
    return db.session.scalar(select(Visit).where(Visit.plan_id == plan.id, Visit.request_id == request.id,
                                                 Visit.cancelled.is_(True)))


def cancel_request(request: Request, *, now: dt.datetime) -> None:
    """The venue withdraws; a published visit stays, marked cancelled, so calendars show it cancelled."""
    if request.status in ("cancelled", "declined"):
        raise IntakeError("This request is already closed.")
    visit = proposed_visit(request)
    request.status = "cancelled"
    request.updated_dt = now
    if visit is not None:
        visit.cancelled = True
        _touch(visit, now)
    db.session.commit()


def update_availability(request: Request, windows: list[AvailabilityWindow], blackouts: list[dt.date], *, now: dt.datetime) -> None:
    """The venue changes its days and hours, allowed until a date is proposed."""
    if request.status not in EDITABLE_STATUSES:
        raise IntakeError("Your availability can no longer be changed here: a date has been proposed or the request is closed.")
    set_availability(request, windows, blackouts)
    request.updated_dt = now
    db.session.commit()


def _touch(visit: Visit, now: dt.datetime) -> None:
    visit.sequence = (visit.sequence or 0) + 1
    visit.changed_dt = now


def coordinator_emails() -> list[str]:
    return list(db.session.scalars(select(User.email).where(User.active.is_(True)).order_by(User.id)))


# --- coordinators ---------------------------------------------------------------------------------

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
    if str(request.version) != str(version):
        raise EditConflict()
    venue = request.venue
    venue.name, venue.type = data["venue_name"], data["venue_type"]
    for key in ("contact_name", "contact_email", "contact_phone", "audience", "duration_minutes", "priority", "notes"):
        setattr(request, key, data[key])
    request.updated_dt = now
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict() from None


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
