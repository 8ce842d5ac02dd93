"""Venues' side of intake: the public request form and the venue's private page at /r/<token>."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import NotFound

from .. import intake
from ..extensions import limiter
from ..forms import CA_PROVINCES, MAX_WINDOWS, US_STATES, AvailabilityForm, MessageForm, RequestForm
from ..geo import GeocodeError, locate
from ..mail import try_send_mail
from ..models import now_utc
from ..secret_links import PAGE_HEADERS
from ..links import public_link

bp = Blueprint("intake", __name__)
log = logging.getLogger(__name__)
REQUEST_FIELDS = ("venue_name", "venue_type", "contact_name", "contact_email", "contact_phone", "country", "region",
                  "city", "street", "postal_code", "audience", "duration_minutes", "notes", "list_on_tour_page")


@bp.after_request
def _token_page_headers(response):
    """Private pages: not cached, not indexed, the token never leaves in a Referer."""
    if request.path.startswith("/r/"):
        response.headers.update(PAGE_HEADERS)
    return response


def _accepted(response) -> bool:
    """Only a post that was taken (stored, or the honeypot's silent thanks) counts against the limits:
    a venue correcting its form or adding rows is never locked out, and no extra field escapes them."""
    return bool(g.get("intake_accepted"))


def _address_limit() -> str:
    return current_app.config["INTAKE_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["INTAKE_EMAIL_RATE_LIMIT"]


def _contact_email() -> str:
    """The per-email limit's key: the address a receipt would go to, however it is capitalised."""
    return "intake-email:" + request.form.get("contact_email", "").strip().lower()


@bp.route("/request", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_accepted)
@limiter.limit(_email_limit, methods=["POST"], key_func=_contact_email, deduct_when=_accepted)
def request_form():
    season = intake.open_season(now_utc().date())
    if season is None:
        return render_template("intake/closed.html")
    if request.method == "GET":
        return blank_form_page(season)
    form = RequestForm()
    if form.add_row.data:
        return _render_form(form, season, focus=_add_row(form))
    if form.website.data:  # the honeypot: a bot gets the usual thanks, nothing is stored
        log.info("honeypot filled on the request form; nothing stored")
        g.intake_accepted = True
        return render_template("intake/thanks.html", outcome=None, season=season, link=None)
    fields_ok = form.validate()
    duration = form.duration_minutes.data if isinstance(form.duration_minutes.data, int) else 90
    availability = intake.read_availability(form, season, duration)
    if not fields_ok or availability is None:
        return _render_form(form, season), 422
    data = {name: getattr(form, name).data for name in REQUEST_FIELDS}
    try:
        outcome = intake.submit_request(season, data, *availability, locate=locate, now=now_utc())
    except GeocodeError as exc:
        form.postal_code.errors.append(f"We could not place this address on the map: {exc}")
        return _render_form(form, season), 422
    g.intake_accepted = True
    link = public_link("intake.status", token=outcome.token)
    _mail_receipt(outcome, link)
    warnings = intake.row_warnings(list(outcome.request.windows), season, outcome.request.venue.country,
                                   outcome.request.venue.region)
    return render_template("intake/thanks.html", outcome=outcome, season=season, link=link, warnings=warnings,
                           no_road=intake.unreachable_place(outcome.request.venue))


CSRF_MARK = "\x00csrf-token\x00"
BLANK_PAGES_KEPT = 8


def blank_form_page(season) -> str:
    """The empty form, rendered once per season state: its widgets are most of a GET's CPU, and every
    venue gets the same page but for the CSRF token, which goes in on the way out. A coordinator's page
    (the menu) and a page with a message to flash are rendered as usual."""
    if current_user.is_authenticated or session.get("_flashes"):
        return _render_form(RequestForm(), season)
    pages = current_app.extensions.setdefault("tourplanner.blank_form_pages", {})
    key = (season.id, season.name, season.start_date, season.weeks,
           json.dumps(season.effective_rules, sort_keys=True, default=str))
    token = generate_csrf()
    page = pages.get(key)
    if page is None:
        page = _render_form(RequestForm(), season)
        if page.count(token) != 1:  # the token must be exactly where the form puts it, or nothing is kept
            return page
        while len(pages) >= BLANK_PAGES_KEPT:
            pages.pop(next(iter(pages)))
        page = pages[key] = page.replace(token, CSRF_MARK)
    return page.replace(CSRF_MARK, token)


def _add_row(form) -> int | None:
    """One more empty availability row, up to the limit; returns its index to focus."""
    if len(form.windows.entries) >= MAX_WINDOWS:
        form.rows_note = f"You can give at most {MAX_WINDOWS} rows; use the notes for anything more."
        return None
    form.windows.append_entry()
    return len(form.windows.entries) - 1


def _render_form(form, season, focus=None, expired=False):
    region = form.region.data or ""
    country = form.country.data or ""
    return render_template("intake/request_form.html", form=form, season=season, focus=focus, max_rows=MAX_WINDOWS,
                           expired=expired,
                           summary=error_summary(form), rest_days=intake.rest_days(season),
                           off_days=season.effective_rules.get("days_off") or [],
                           holidays=intake.tour_holidays(season, country, region) if region else [],
                           holidays_json=intake.holidays_by_region(season))


ROW_FIELDS = {"first_date": "first day", "last_date": "last day", "weekdays": "days of the week",
              "start_time": "from", "end_time": "until"}


PAGE_ORDER = ("venue_name", "venue_type", "audience", "duration_minutes", "country", "region", "city",
              "postal_code", "street", "contact_name", "contact_email", "contact_phone", "windows", "blackouts", "notes")


def error_summary(form) -> list[dict]:
    """Every answer to look at again, in the page's order, each with the id of its field (rows included)."""
    found = []
    fields = sorted(form, key=lambda f: PAGE_ORDER.index(f.name) if f.name in PAGE_ORDER else len(PAGE_ORDER))
    for f in fields:
        if f.type in ("CSRFTokenField", "HiddenField") or f.name == "website":
            continue
        if f.type == "FieldList":
            for number, row in enumerate(f.entries, 1):
                for sub in row.form:
                    for message in sub.errors if isinstance(sub.errors, list) else []:
                        label = ROW_FIELDS.get(sub.short_name, sub.label.text.lower())
                        found.append({"id": sub.id, "label": f"Row {number}, {label}", "message": message})
            continue
        for message in f.errors if isinstance(f.errors, list) else []:
            found.append({"id": f.id, "label": f.label.text, "message": message})
    return found


def _mail_receipt(outcome: intake.Outcome, link: str) -> None:
    """The same receipt whether or not the venue wrote before: the page and mail never tell an outsider."""
    req = outcome.request
    intake.mail_venue(req, f"Your screening request {req.ref} arrived", "intake/mail_receipt.txt", outcome=outcome,
                      link=link, windows=[intake.describe_window(w) for w in req.windows])


@bp.errorhandler(CSRFError)
def _csrf_failed(error):
    """An expired or missing form token: show the form again with what was typed, store nothing."""
    if request.endpoint == "intake.request_form":
        season = intake.open_season(now_utc().date())
        if season is not None:
            g.pop("csrf_token", None)  # mint a token for the session as it is now, not one cached earlier
            form = RequestForm()
            form.csrf_token.errors = []
            return _render_form(form, season, expired=True), 400
    if request.endpoint == "intake.change_availability":
        req = intake.request_for_token(request.view_args.get("token", ""))
        if req is None:  # the same 404 as every bad link (abort() cannot be used inside an error handler)
            return current_app.handle_http_exception(NotFound())
        g.pop("csrf_token", None)
        return _render_status(req, request.view_args["token"], AvailabilityForm(), 400, expired=True)
    return render_template("intake/error.html", code=400, title="This page was open too long",
                           text="For your safety the page expired. Go back, reload it, and try again."), 400


@bp.errorhandler(429)
def _too_many(error):
    return render_template("intake/error.html", code=429, title="Too many requests from here",
                           text="We received several requests from your network in the last hour. "
                                "Please wait an hour and try again, or write to us by email."), 429


@bp.errorhandler(413)
def _too_large(error):
    return render_template("intake/error.html", code=413, title="That was too much text",
                           text="The form you sent is larger than we accept. Shorten the notes and try again."), 413


# --- the venue's private page ------------------------------------------------------------------------

def _request_or_404(token: str):
    """The request of this link, or the same 404 for every wrong, revoked or malformed link."""
    req = intake.request_for_token(token)
    if req is None:
        abort(404)
    return req


@bp.route("/r/<token>", methods=["GET"])
def status(token: str):
    req = _request_or_404(token)
    form = None
    if req.status in intake.EDITABLE_STATUSES:
        form = AvailabilityForm(data=_availability_data(req))
    return _render_status(req, token, form)


def _availability_data(req) -> dict:
    rows = [{"first_date": w.first_date, "last_date": w.last_date, "weekdays": w.weekdays.split(","),
             "start_time": w.start_time, "end_time": w.end_time} for w in req.windows]
    return {"windows": rows, "blackouts": "\n".join(b.day.isoformat() for b in req.blackouts)}


def _render_status(req, token, form, code=200, expired=False):
    visit = intake.proposed_visit(req) if req.status in intake.DATE_PROPOSED_STATUSES else None
    calendar_link = url_for("feeds.venue_event", token=token) if visit else None
    state = intake.venue_status(req)
    refused = intake.refused_visit(req)
    return render_template(
        "intake/status.html", req=req, token=token, form=form, visit=visit, calendar_link=calendar_link,
        status_word=state.word, status_text=state.text, state=state, message_form=MessageForm(), refused=refused,
        refused_start=refused and intake.local_time(refused.start_dt, req.venue.tz),
        start=visit and intake.local_time(visit.start_dt, req.venue.tz),
        end=visit and intake.local_time(visit.end_dt, req.venue.tz),
        windows=[intake.describe_window(w) for w in req.windows], max_rows=MAX_WINDOWS, expired=expired,
    ), code


@bp.route("/r/<token>/availability", methods=["POST"])
def change_availability(token: str):
    req = _request_or_404(token)
    form = AvailabilityForm()
    if req.status not in intake.EDITABLE_STATUSES:
        flash("Your availability can no longer be changed here: a date has been proposed or the request is closed.", "error")
        return redirect(url_for("intake.status", token=token), 303)
    if form.add_row.data:
        _add_row(form)
        return _render_status(req, token, form)
    form.validate()
    duration = req.duration_minutes or req.season.effective_rules["default_duration_minutes"]
    availability = intake.read_availability(form, req.season, duration)
    if availability is None or form.errors:
        return _render_status(req, token, form, 422)
    intake.update_availability(req, *availability, now=now_utc())
    flash("Your availability is saved.", "ok")
    return redirect(url_for("intake.status", token=token), 303)


@bp.route("/r/<token>/confirm", methods=["POST"])
def confirm(token: str):
    req = _request_or_404(token)
    return _venue_action(token, lambda: intake.confirm_date(req, now=now_utc()), "Thank you: the date is confirmed.")


@bp.route("/r/<token>/another-date", methods=["POST"])
def another_date(token: str):
    req = _request_or_404(token)
    form = MessageForm()
    if not form.validate():
        flash(" ".join(form.message.errors), "error")
        return redirect(url_for("intake.status", token=token), 303)

    def act():
        intake.ask_another_date(req, form.message.data or "", now=now_utc())
        body = render_template("intake/mail_another_date.txt", req=req, note=form.message.data or "")
        for coordinator in intake.coordinator_emails():
            try_send_mail(coordinator, f"{req.ref} asks for another date", body)

    return _venue_action(token, act, "We will look for another date and write to you.")


@bp.route("/r/<token>/keep", methods=["POST"])
def keep(token: str):
    req = _request_or_404(token)
    return _venue_action(token, lambda: intake.keep_for_next_season(req, now=now_utc()),
                         "Thank you: we keep your request for the next season's tour.")


@bp.route("/r/<token>/cancel", methods=["POST"])
def cancel(token: str):
    req = _request_or_404(token)
    return _venue_action(token, lambda: intake.cancel_request(req, now=now_utc()), "Your request is cancelled.")


def _venue_action(token: str, act, done: str):
    try:
        act()
        flash(done, "ok")
    except intake.IntakeError as exc:
        flash(str(exc), "error")
    return redirect(url_for("intake.status", token=token), 303)


@bp.app_context_processor
def _region_choices() -> dict:
    return {"US_STATES": US_STATES, "CA_PROVINCES": CA_PROVINCES}
