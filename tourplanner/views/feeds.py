"""Calendar feeds: the secret-link .ics URLs, and the coordinators' page that issues and revokes them.

Feeds send `Cache-Control: private, no-cache, max-age=0` rather than `no-store`: calendar apps keep
the last ETag and ask with If-None-Match, and a 304 only makes sense for a response that may be
kept. `private` keeps shared caches (proxies, CDNs) from storing a response whose URL is a secret,
and `no-cache` makes every copy revalidate, so a revoked link stops at once. The HTML page that
shows a freshly issued token, and a venue's one-off event.ics under /r/, get `no-store`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from .. import feeds, intake
from ..extensions import db
from ..models import FeedToken, Season, Team, TeamMember, now_utc
from ..web import TOKEN_PAGE_HEADERS, public_link, record_number
from .intake import RedactTokens

bp = Blueprint("feeds", __name__)
log = logging.getLogger(__name__)
FEED_HEADERS = {
    "Cache-Control": "private, no-cache, max-age=0",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex",
}
REFRESH_NOTES = {
    "google": "Google Calendar fetches subscribed calendars only every 12 to 24 hours; changes show up late there.",
    "apple": "Apple Calendar: choose the refresh interval when subscribing (every hour or every day).",
    "outlook": "Outlook.com and new Outlook refresh about every 3 to 24 hours.",
}


class RedactFeedTokens(RedactTokens):
    """Request lines name the path; a feed or venue link's token must never reach the logs."""

    pattern = re.compile(r"(/(?:feeds|r)/)[^/\s?\"']+")


@bp.record_once
def _install_log_filter(state) -> None:
    for logger in (logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access"), state.app.logger):
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())


def _host() -> str:
    return current_app.config["PUBLIC_HOST"]


def _calendar_response(feed: feeds.Feed, filename: str, *, attachment: bool = False) -> Response:
    """text/calendar with an ETag of the body and Last-Modified; 304 when the client has it already."""
    response = Response(feed.body, content_type="text/calendar; charset=utf-8")
    response.set_etag(feeds.body_etag(feed.body))
    response.last_modified = feed.last_modified
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response.make_conditional(request)


@bp.route("/feeds/<token>.ics")
def feed(token: str):
    row = feeds.token_row(token)
    if row is None:
        abort(404)
    result = feeds.feed_for_token(row, host=_host(), now=now_utc())
    return _calendar_response(result, "tour.ics")


@bp.route("/r/<token>/event.ics")
def venue_event(token: str):
    req = intake.request_for_token(token)
    if req is None:
        abort(404)
    result = feeds.venue_feed(req, host=_host(), now=now_utc())
    return _calendar_response(result, "screening.ics", attachment=True)


@bp.after_request
def _token_headers(response):
    """Every answer under a secret link (404s too) stays out of caches, indexes and Referers.

    The venue's event.ics lives under the venue's private /r/ pages and is a one-off "add to calendar"
    download, so it gets their `no-store`; subscribed feeds revalidate (see the module docstring).
    """
    if request.endpoint == "feeds.feed":
        response.headers.update(FEED_HEADERS)
    elif request.endpoint and request.endpoint.startswith("feeds."):
        response.headers.update(TOKEN_PAGE_HEADERS)
    return response


# --- coordinators: issue, re-issue, revoke --------------------------------------------------------------


def _season(name: str) -> Season:
    return db.session.scalar(select(Season).where(Season.name == name)) or abort(404)


def subscribe_links(token: str, name: str) -> dict:
    """The four ways to subscribe: https URL, webcal://, Google's From URL, Outlook's add-from-web link."""
    https = public_link("feeds.feed", token=token)
    webcal = "webcal://" + https.split("://", 1)[1]
    return {
        "https": https,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        "outlook": ("https://outlook.live.com/calendar/0/addfromweb?url=" + quote(https, safe="")
                    + "&name=" + quote(name, safe="")),
    }


@bp.route("/admin/seasons/<name>/feeds")
@login_required
def manage(name: str):
    season = _season(name)
    return _render_manage(season)


def _render_manage(season: Season, issued: dict | None = None, code: int = 200):
    tokens = feeds.live_tokens(season)
    by_target = {}
    for row in tokens:
        by_target.setdefault((row.kind, row.team_id, row.member_id, row.request_id), row)
    body = render_template("feeds/manage.html", season=season, teams=list(season.teams), tokens=by_target,
                           issued=issued, refresh_notes=REFRESH_NOTES)
    return body, code


@bp.route("/admin/seasons/<name>/feeds/issue", methods=["POST"])
@login_required
def issue(name: str):
    season = _season(name)
    kind = request.form.get("kind", "")
    target = request.form.get("target", "")
    team = member = None
    if kind == "team":
        team = _team(season, target)
        label = f"team {team.name}"
    elif kind == "member":
        member = _member(season, target)
        label = f"{member.name} ({member.team.name})"
    elif kind == "coordinators":
        label = "all teams (coordinators)"
    else:
        abort(400, description=f"unknown feed kind {kind!r}")
    token = feeds.issue_token(season, kind, team=team, member=member, now=now_utc())
    issued = {"label": label, "links": subscribe_links(token, f"Tour {season.name}: {label}")}
    return _render_manage(season, issued)


def _team(season: Season, ident: str) -> Team:
    number = record_number(ident)
    team = db.session.get(Team, number) if number is not None else None
    if team is None or team.season_id != season.id:
        abort(404)
    return team


def _member(season: Season, ident: str) -> TeamMember:
    number = record_number(ident)
    member = db.session.get(TeamMember, number) if number is not None else None
    if member is None or member.team.season_id != season.id:
        abort(404)
    return member


@bp.route("/admin/seasons/<name>/feeds/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(name: str, token_id: int):
    season = _season(name)
    row = db.session.get(FeedToken, token_id)
    if row is None or row.season_id != season.id:
        abort(404)
    feeds.revoke_token(row, now=now_utc())
    flash("The link is revoked: calendars using it get nothing from now on.", "ok")
    return redirect(url_for("feeds.manage", name=season.name))
