"""The venue's private page: the request behind a link, its status in the venue's words, and what the venue
can do there (confirm the date, ask for another one, keep the request for next season, cancel, change
its availability)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..secret_links import is_token
from ..zones import zone
from ..models import AvailabilityWindow, RefusedDate, Request, UnservedRequest, Visit, derived_token, hash_token, tokens_match
from .submission import EDITABLE_STATUSES, IntakeError, new_venue_token, set_availability

DATE_PROPOSED_STATUSES = ("scheduled", "confirmed")
STATUS_WORDS = {
    "submitted": ("Received", "Your request arrived. A coordinator will look at it soon."),
    "approved": ("Under review", "A coordinator accepted your request; we are fitting it into the tour."),
    "declined": ("Declined", "We are sorry: we cannot come to your venue this season."),
    "scheduled": ("Date proposed", "We propose the date below. Please confirm it, ask for another date, or cancel."),
    "confirmed": ("Confirmed", "You confirmed the date below. See you then!"),
    "cancelled": ("Cancelled", "This request is cancelled."),
}
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


def request_for_token(token: str) -> Optional[Request]:
    """The request behind a private link, or None for any wrong, revoked or malformed token."""
    if not is_token(token):
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
    return moment.astimezone(zone(tz)) if tz else moment


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
