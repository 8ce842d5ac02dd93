"""Calendar feeds: the secret-link .ics URLs, and the coordinators' page that issues and revokes them.

Feeds send `Cache-Control: private, no-cache, max-age=0` rather than `no-store`: calendar apps keep
the last ETag and ask with If-None-Match, and a 304 only makes sense for a response that may be
kept. `private` keeps shared caches (proxies, CDNs) from storing a response whose URL is a secret,
and `no-cache` makes every copy revalidate, so a revoked link stops at once. The HTML page that
shows a freshly issued token, and a venue's one-off event.ics under /r/, get `no-store`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_required
from sqlalchemy import select

from .. import feeds, intake
from ..extensions import db
from ..mail import address, try_send_mail
from ..models import FeedToken, Season, Team, TeamMember, now_utc
from ..secret_links import FEED_HEADERS, PAGE_HEADERS, install_log_filter
from ..links import subscribe_links
from ..web import record_number

bp = Blueprint("feeds", __name__)
log = logging.getLogger(__name__)
REFRESH_NOTES = {
    "google": "Google Calendar fetches subscribed calendars only every 12 to 24 hours; changes show up late there.",
    "apple": "Apple Calendar: choose the refresh interval when subscribing (every hour or every day).",
    "outlook": "Outlook.com and new Outlook refresh about every 3 to 24 hours.",
}


@bp.record_once
def _install_log_filter(state) -> None:
    """Request lines name the path; a feed or venue link's token must never reach the logs."""
    install_log_filter(logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access"), state.app.logger)


def _host() -> str:
    return current_app.config["PUBLIC_HOST"]


def _calendar_response(feed: feeds.Feed, filename: str, *, attachment: bool = False) -> Response:
    """text/calendar with an ETag of the body and Last-Modified; 304 when the client has it already."""
    response = Response(feed.body, content_type="text/calendar; charset=utf-8")
    response.set_etag(feed.etag)
    response.last_modified = feed.last_modified
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response.make_conditional(request)


@bp.route("/feeds/<token>.ics")
def feed(token: str):
    """Cached bytes first (no ORM work); a miss builds the feed from the plan and caches it."""
    now = now_utc()
    result = feeds.cached_feed(token, host=_host(), now=now)
    if result is None:
        row = feeds.token_row(token)
        if row is None:
            abort(404)
        result = feeds.feed_for_token(row, host=_host(), now=now, token=token)
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
        response.headers.update(PAGE_HEADERS)
    return response


# --- coordinators: issue, re-issue, revoke --------------------------------------------------------------


def _season(name: str) -> Season:
    return db.session.scalar(select(Season).where(Season.name == name)) or abort(404)


@bp.route("/admin/seasons/<name>/feeds")
@login_required
def manage(name: str):
    """The feeds page; right after an issue it shows the new link once (then it is gone from the session)."""
    season = _season(name)
    issued = session.pop(ISSUED_KEY, None)
    if issued and issued.get("season") == season.name:
        issued = {"label": issued["label"], "links": subscribe_links(issued["token"], issued["name"])}
    else:
        issued = None
    return _render_manage(season, issued)


# The one-time display of a new link: issued by POST, then a redirect to the page, which pops it. A
# reload of the page shows nothing new and never issues again. It sits in the signed, HttpOnly session
# cookie for that one redirect; the page itself is no-store.
ISSUED_KEY = "feeds.issued"


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
    session[ISSUED_KEY] = {"season": season.name, "label": label, "token": token, "name": f"Tour {season.name}: {label}"}
    return redirect(url_for("feeds.manage", name=season.name, _anchor="issued"), 303)


@bp.route("/admin/seasons/<name>/feeds/email", methods=["POST"])
@login_required
def email_links(name: str):
    """Email a member (or every member of a team) their own new link with how to subscribe; old links stop."""
    season = _season(name)
    if request.form.get("member"):
        members = [_member(season, request.form["member"])]
    elif request.form.get("team"):
        members = list(_team(season, request.form["team"]).members)
    elif request.form.get("all") == "yes":
        members = [m for team in season.teams for m in team.members]
    else:
        abort(400, description="say which member or team")
    if len(members) > 1 and request.form.get("confirm") != "yes":  # many links end at once: say so first
        with_email = [m for m in members if m.email]
        fields = {k: request.form[k] for k in ("team", "all") if request.form.get(k)}
        return render_template("planner/confirm.html", season=season, title=f"Email {len(with_email)} Nomads a new link?",
                               what=[f"{len(with_email)} team member(s) get an email with their own new calendar link "
                                     "and how to subscribe.",
                                     "Their earlier links stop working: a phone subscribed with an old link gets "
                                     "nothing until the new one is added."],
                               action=url_for("feeds.email_links", name=season.name), fields=fields,
                               button=f"Email {len(with_email)} new links", danger=False,
                               back=url_for("feeds.manage", name=season.name))
    sent, skipped, failed = [], [], []
    for member in members:
        if not member.email:
            skipped.append(member.name)
            continue
        token = feeds.issue_token(season, "member", member=member, now=now_utc())
        label = f"{member.name} ({member.team.name})"
        body = render_template("feeds/mail_member_link.txt", member=member, season=season,
                               links=subscribe_links(token, f"Tour {season.name}: {label}"),
                               refresh_notes=REFRESH_NOTES)
        subject = f"Your tour calendar: team {member.team.name}, {season.name}"
        (sent if try_send_mail(address(member.name, member.email), subject, body) else failed).append(member.name)
    if sent:
        flash(f"Emailed a new calendar link to {', '.join(sent)}; their earlier links stop working.", "ok")
    if skipped:
        flash(f"No email address for {', '.join(skipped)}: add one on the team page, or issue a link here.", "error")
    if failed:
        flash(f"The email to {', '.join(failed)} could not be sent (see the log); their new link is issued: "
              "email it again or issue one here.", "error")
    return redirect(url_for("feeds.manage", name=season.name), 303)


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
