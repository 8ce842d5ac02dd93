"""Publishing a version: what it would change (the confirmation step), the change itself, and the venues' emails.

publish() returns the emails it means (PublishResult.messages) and sends none: the Publish button queues
them for a worker (jobs.queue_publish_mail), the CLI sends them itself (send_now). So planning never
needs the job queue, and a publish in a web request never waits for a mail server.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import intake
from ..extensions import db
from ..links import public_link
from ..models import Plan, Request, Season, Visit, now_utc
from ..zones import zone
from .season_input import PLANNABLE_STATUSES, PlanningError

log = logging.getLogger(__name__)


@dataclass
class PublishResult:
    """What a publish changed, the emails it means, and whom they reached."""

    plan: Plan
    previous: Plan | None
    new: list[str] = field(default_factory=list)  # request refs with a first date
    changed: list[str] = field(default_factory=list)  # refs whose time, team or place changed
    cancelled: list[str] = field(default_factory=list)  # refs that lost their date
    messages: list[dict] = field(default_factory=list)  # {ref, to, subject, body}: for the caller to send
    emailed: list[str] = field(default_factory=list)  # sent at once (send_now)
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


def publish(plan_row: Plan, *, now: dt.datetime | None = None) -> PublishResult:
    """Make a plan the season's published version: SEQUENCE bumps, cancelled visits, request statuses, emails.

    Every request ever published keeps a Visit in the newest published plan: served ones carry their
    previous SEQUENCE (+1 when time, team, place or status changed), dropped ones stay as a cancelled
    Visit so calendars show STATUS:CANCELLED. The venues' emails are made after the commit, so a failed
    publish tells nobody anything; they are in result.messages, for the caller to queue (the Publish
    button: jobs.queue_publish_mail) or send (the CLI: send_now).
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
    result.messages = venue_messages(notify)
    return result


def _on_refused_day(visit: Visit) -> bool:
    """The visit falls on a day its venue refused ("ask for another date")."""
    refused = visit.request.refused_dates
    return bool(refused) and visit.start_dt.astimezone(zone(visit.request.venue.tz)).date() in {
        r.day for r in refused}


def _places(plan: Plan | None) -> dict[str, tuple[float, float]]:
    """Where each request of a plan's instance was (a corrected venue location changes the event)."""
    if plan is None or not plan.instance_json:
        return {}
    data = json.loads(plan.instance_json)
    return {r["id"]: (r["lat"], r["lon"]) for r in data.get("requests", [])}


def venue_messages(notify: list[tuple[Visit, str]]) -> list[dict]:
    """The emails telling venues about new, changed and withdrawn dates (those with a contact address)."""
    messages = []
    for visit, kind in notify:
        request = visit.request
        if request.contact_email:
            subject, body = venue_email(visit, kind, link=venue_link(request))
            messages.append({"ref": request.ref, "to": request.contact_email, "subject": subject, "body": body})
    return messages


def send_now(result: PublishResult, mailer) -> None:
    """Send a publish's emails through `mailer(to, subject, body)` one by one; a failure stops no other."""
    for m in result.messages:
        try:
            mailer(m["to"], m["subject"], m["body"])
            result.emailed.append(m["ref"])
        except Exception as exc:  # the publish stands; the coordinator sees who was not told
            log.exception("email to the venue of request %s failed", m["ref"])
            result.email_failures.append((m["ref"], str(exc)))


def venue_link(request: Request) -> str | None:
    """The venue's private page on the public host, rebuilt from its salt (intake.venue_token); else None."""
    token = intake.venue_token(request)
    return public_link("intake.status", token=token) if token else None


def venue_email(visit: Visit, kind: str, link: str | None = None) -> tuple[str, str]:
    """The message a venue gets when its date is new, changed or withdrawn, with its private link.

    The link is the one the venue already has, rebuilt (a new one would kill that link and its calendar
    subscription). A request made before links could be rebuilt gets the old words: use the link you have.
    """
    request = visit.request
    venue = request.venue
    venue_zone = zone(venue.tz)
    start, end = visit.start_dt.astimezone(venue_zone), visit.end_dt.astimezone(venue_zone)
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
