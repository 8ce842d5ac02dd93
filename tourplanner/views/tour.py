"""The public tour page (/tour) and its calendar (/tour.ics): listed screenings only."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, render_template, request

from .. import maps, tour
from ..models import now_utc

bp = Blueprint("tour", __name__)


@bp.route("/tour")
def page():
    screenings = tour.listed_screenings(now_utc().date())
    points = maps.coverage_points(maps.PublicVenue(lat=s.lat, lon=s.lon, city=s.city, region=s.region,
                                                   country=s.country, name=s.venue, show_point=True)
                                  for s in screenings)
    return render_template("tour.html", groups=tour.by_region(screenings), count=len(screenings),
                           tour_map=maps.coverage_map(points) if points else None)


@bp.route("/tour.ics")
def calendar():
    body = tour.tour_calendar(tour.listed_screenings(now_utc().date()), host=current_app.config["PUBLIC_HOST"])
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.headers["Content-Disposition"] = 'inline; filename="tour.ics"'
    response.headers["Cache-Control"] = "public, max-age=600"
    return response.make_conditional(request)
