"""Coordinator area: every route needs a login."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import func, select

from ..extensions import db
from ..forms import RequestsImportForm
from ..requests_csv import MAX_UPLOAD_BYTES, CSVImportError, import_requests
from ..models import REQUEST_STATUSES, Job, Request, Season, Venue

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_login():
    """Every route in this blueprint is for coordinators only."""


@bp.route("/")
def index():
    seasons = db.session.scalars(select(Season).order_by(Season.start_date.desc())).all()
    counts = dict(
        db.session.execute(select(Request.season_id, func.count()).group_by(Request.season_id)).all()
    )
    return render_template("admin/index.html", seasons=seasons, counts=counts)


@bp.route("/seasons/<name>")
def season(name: str):
    season = season_or_404(name)
    by_status = dict(
        db.session.execute(
            select(Request.status, func.count()).where(Request.season_id == season.id).group_by(Request.status)
        ).all()
    )
    by_type = dict(
        db.session.execute(
            select(Venue.type, func.count())
            .join(Request, Request.venue_id == Venue.id)
            .where(Request.season_id == season.id)
            .group_by(Venue.type)
        ).all()
    )
    by_region = db.session.execute(
        select(Venue.country, Venue.region, func.count())
        .join(Request, Request.venue_id == Venue.id)
        .where(Request.season_id == season.id)
        .group_by(Venue.country, Venue.region)
        .order_by(func.count().desc())
    ).all()
    running = db.session.scalar(
        select(Job).where(Job.season_id == season.id, Job.status.in_(("queued", "running"))).order_by(Job.id.desc())
    )
    return render_template(
        "admin/season.html", season=season, by_status=by_status, by_type=by_type, by_region=by_region,
        statuses=REQUEST_STATUSES, latest=season.plans[-1] if season.plans else None,
        published=season.published_plan(), running=running,
    )


def season_or_404(name: str) -> Season:
    return db.session.scalar(select(Season).where(Season.name == name)) or abort(404)


@bp.route("/seasons/<name>/import", methods=["GET", "POST"])
def import_csv(name: str):
    """Upload a requests CSV: every row is imported, or none and the page lists what is wrong."""
    season = season_or_404(name)
    form = RequestsImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.file.data.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            problems = [f"the file is larger than {MAX_UPLOAD_BYTES // 1024} KB: split it into smaller files, "
                        "or import it with `flask import-requests` on the server"]
            return render_template("admin/import.html", season=season, form=form, problems=problems), 413
        try:
            text = data.decode("utf-8-sig")
            created, updated = import_requests(text, season)
        except UnicodeDecodeError:
            problems = ["the file is not UTF-8 text (save it from your spreadsheet as 'CSV UTF-8')"]
        except CSVImportError as exc:
            problems = exc.problems
        else:
            flash(f"Imported {created + updated} requests ({created} new, {updated} updated).", "success")
            return redirect(url_for("admin.season", name=season.name))
    status = 422 if problems or form.errors else 200
    return render_template("admin/import.html", season=season, form=form, problems=problems), status
