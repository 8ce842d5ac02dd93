"""Coordinator area: every route needs a login."""

from flask import Blueprint, abort, render_template
from flask_login import login_required
from sqlalchemy import func, select

from ..extensions import db
from ..models import Request, Season, Venue

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
    season = db.session.scalar(select(Season).where(Season.name == name)) or abort(404)
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
    return render_template(
        "admin/season.html", season=season, by_status=by_status, by_type=by_type, by_region=by_region
    )
