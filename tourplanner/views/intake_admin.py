"""Coordinators' side of intake: the review queue, decisions, edits and location fixes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from .. import intake, planning
from ..conflicts import check_version
from ..extensions import db
from ..forms import VENUE_TYPE_CHOICES, LocationForm, MessageForm, RequestEditForm
from ..geo import GeocodeError, locate
from ..intake import mail_venue
from ..maps import point_map
from ..models import REQUEST_STATUSES, Request, Season, Venue, now_utc
from ..links import public_link
from ..web import record_number

bp = Blueprint("intake_admin", __name__, url_prefix="/admin/requests")
EDIT_FIELDS = ("venue_name", "venue_type", "contact_name", "contact_email", "contact_phone", "audience",
               "duration_minutes", "priority", "notes")


@bp.before_request
@login_required
def require_login():
    """Every route here is for coordinators only."""


def _request_or_404(request_id: int) -> Request:
    return db.session.get(Request, request_id) or abort(404)


@bp.route("")
def queue():
    filters = {
        "season_id": record_number(request.args.get("season")),
        "status": request.args.get("status") if request.args.get("status") in REQUEST_STATUSES else None,
        "venue_type": request.args.get("type") if request.args.get("type") in dict(VENUE_TYPE_CHOICES) else None,
        "region": (request.args.get("region") or "").upper()[:3] or None,
    }
    rows = intake.review_queue(**filters)
    seasons = db.session.scalars(select(Season).order_by(Season.start_date.desc())).all()
    regions = sorted({r for r in db.session.scalars(select(Venue.region).distinct()) if r})
    return render_template("intake/admin_queue.html", rows=rows, seasons=seasons, regions=regions, filters=filters,
                           statuses=REQUEST_STATUSES, types=VENUE_TYPE_CHOICES, words=intake.STATUS_WORDS,
                           no_road={r.id: intake.unreachable_place(r.venue) for r in rows})


@bp.route("/<int:request_id>")
def detail(request_id: int):
    req = _request_or_404(request_id)
    return _render_detail(req)


def _refuse_stale(req: Request) -> None:
    """The page a decision or location came from showed an older version: someone else saved in between
    (EditConflict, the 409 page). A post without a version is not checked."""
    seen = request.form.get("version")
    if seen is not None:
        check_version(req, seen)


def _render_detail(req: Request, *, edit_form=None, location_form=None, code=200):
    if edit_form is None:
        edit_form = RequestEditForm(data={
            "version": req.version, "venue_name": req.venue.name, "venue_type": req.venue.type,
            **{k: getattr(req, k) for k in EDIT_FIELDS if k not in ("venue_name", "venue_type")}})
    return render_template(
        "intake/admin_request.html", req=req, edit_form=edit_form, location_form=location_form or LocationForm(),
        decision_form=MessageForm(), map_html=_point_map(req.venue),
        windows=[intake.describe_window(w) for w in req.windows], words=intake.STATUS_WORDS,
        no_road=intake.unreachable_place(req.venue),
    ), code


def _point_map(venue: Venue):
    """A small map of the venue (maps.point_map escapes the label)."""
    if venue.lat is None or venue.lon is None:
        return None
    return point_map(venue.lat, venue.lon, f"{venue.name} ({venue.city}, {venue.region})", venue.geocode_precision)


@bp.route("/<int:request_id>/decide", methods=["POST"])
def decide(request_id: int):
    req = _request_or_404(request_id)
    _refuse_stale(req)
    form = MessageForm()
    action = request.form.get("action")
    if action not in ("approve", "decline") or not form.validate():
        flash("Choose approve or decline; keep the message under 2000 characters.", "error")
        return redirect(url_for(".detail", request_id=req.id), 303)
    try:
        intake.decide(req, action == "approve", form.message.data or "", now=now_utc())
    except intake.IntakeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", request_id=req.id), 303)
    subject = f"Your screening request {req.ref}: " + ("accepted" if action == "approve" else "declined")
    sent = mail_venue(req, subject, "intake/mail_decision.txt", approved=action == "approve", message=form.message.data,
                      link=planning.venue_link(req))
    flash(f"{req.ref} {'approved' if action == 'approve' else 'declined'}"
          + ("; the venue was emailed." if sent else "; the email could not be sent (see the log)."), "ok")
    return redirect(url_for(".detail", request_id=req.id), 303)


@bp.route("/<int:request_id>/edit", methods=["POST"])
def edit(request_id: int):
    req = _request_or_404(request_id)
    form = RequestEditForm()
    if not form.validate():
        return _render_detail(req, edit_form=form, code=422)
    intake.edit_request(req, {k: getattr(form, k).data for k in EDIT_FIELDS}, form.version.data, now=now_utc())
    flash(f"{req.ref} saved.", "ok")
    return redirect(url_for(".detail", request_id=req.id), 303)


@bp.route("/<int:request_id>/location", methods=["POST"])
def location(request_id: int):
    req = _request_or_404(request_id)
    _refuse_stale(req)
    form = LocationForm()
    if not form.validate():
        return _render_detail(req, location_form=form, code=422)
    address_fields = {k: getattr(form, k).data for k in ("street", "city", "region", "postal_code")}
    if form.latitude.data is None and not any(address_fields.values()):
        form.latitude.errors.append("Enter coordinates, or a different address.")
        return _render_detail(req, location_form=form, code=422)
    req.updated_dt = now_utc()  # a new request version, so a colleague's older page gets a 409
    try:
        intake.correct_location(req.venue, locate=locate, lat=form.latitude.data, lon=form.longitude.data,
                                address=address_fields)
    except GeocodeError as exc:
        db.session.rollback()
        form.latitude.errors.append(f"That place could not be found: {exc}")
        return _render_detail(req, location_form=form, code=422)
    flash(f"Location of {req.venue.name} corrected; later imports keep this point.", "ok")
    return redirect(url_for(".detail", request_id=req.id), 303)


@bp.route("/<int:request_id>/new-link", methods=["POST"])
def new_link(request_id: int):
    req = _request_or_404(request_id)
    token = intake.rotate_token(req)
    link = public_link("intake.status", token=token)
    sent = mail_venue(req, f"A new link for your screening request {req.ref}", "intake/mail_new_link.txt", link=link)
    flash("A new private link was made; the old one no longer works."
          + (" It was emailed to the venue." if sent else " The email could not be sent (see the log)."), "ok")
    return redirect(url_for(".detail", request_id=req.id), 303)


@bp.route("/<int:request_id>/merge", methods=["POST"])
def merge(request_id: int):
    """The repeat is the venue correcting itself: its details replace the earlier request's."""
    req = _request_or_404(request_id)
    try:
        earlier = intake.merge_duplicate(req, now=now_utc())
    except intake.IntakeError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".queue"), 303)
    flash(f"Merged into {earlier.ref}; its private link keeps working.", "ok")
    return redirect(url_for(".detail", request_id=earlier.id), 303)


@bp.route("/<int:request_id>/keep-both", methods=["POST"])
def keep_both(request_id: int):
    req = _request_or_404(request_id)
    intake.keep_both(req, now=now_utc())
    flash(f"{req.ref} is kept as a request of its own.", "ok")
    return redirect(url_for(".queue"), 303)
