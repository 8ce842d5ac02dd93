"""The Nomads' own pages under their feed link: today, a day page and (in maps.py) the day map; no login.

A calendar app cannot log in, and neither should a Nomad on a phone in a van: the feed token is the key.
These pages show what the team needs on the road (times, drives, ferries, where to sleep, that day's
venue contact) and nothing a coordinator keeps to themselves (plan versions, refs, other teams' days).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request, url_for

from .. import feeds, review
from ..models import now_utc
from ..secret_links import PAGE_HEADERS
from ..web import season_day
from ..zones import zone
from ..links import subscribe_links

bp = Blueprint("nomads", __name__)
UPCOMING_DAYS = 7


def _team(token: str):
    """(token row, team) of a live feed link; every wrong link is the same 404."""
    row = feeds.token_row(token)
    team = feeds.team_for_token(row, request.args.get("team")) if row is not None else None
    if team is None:
        abort(404)
    return row, team


def _links(token: str, day: dt.date) -> dict:
    keep = {"team": request.args["team"]} if request.args.get("team") else {}
    return {
        "page": url_for("nomads.day", token=token, day=day.isoformat(), **keep),
        "map": url_for("maps.nomad_day_map", token=token, day=day.isoformat(), **keep),
        "home": url_for("nomads.today", token=token, **keep),
        "prev": url_for("nomads.day", token=token, day=(day - dt.timedelta(days=1)).isoformat(), **keep),
        "next": url_for("nomads.day", token=token, day=(day + dt.timedelta(days=1)).isoformat(), **keep),
    }


@bp.route("/feeds/<token>")
def today(token: str):
    """The page the feed link opens in a browser: today and the coming days, each a tap from its page and map."""
    row, team = _team(token)
    season = row.season
    today = now_utc().astimezone(zone(team.base_tz)).date()
    plan = season.published_plan()
    first = min(max(today, season.start_date), season.end_date)
    days = []
    if plan is not None:
        itinerary = review.team_itinerary(season, team, review.plan_visits(plan, team.id),
                                          review.plan_overnights(plan, team.id))
        days = [d for d in itinerary if first <= d.date < first + dt.timedelta(days=UPCOMING_DAYS)]
    links = {d.date: _links(token, d.date) for d in days}
    body = render_template("nomads/today.html", season=season, team=team, today=today, plan=plan, days=days,
                           links=links, today_links=_links(token, today),
                           subscribe=subscribe_links(token, f"{team.name} · {season.name}"))
    return body, 200, PAGE_HEADERS


@bp.route("/feeds/<token>/days/<day>")
def day(token: str, day: str):
    """One day of the team from the published plan: the day sheet without what only coordinators need."""
    row, team = _team(token)
    season = row.season
    date = season_day(day, season)
    plan = season.published_plan()
    sheet, drives = None, []
    if plan is not None and season.start_date <= date <= season.end_date:
        sheet = review.day_sheet(season, plan, team, date)
        for part, event in feeds.team_drives(season, plan, team).get(date, []):
            tz = zone(part.tz)
            drives.append({"part": part, "event": event, "start": part.start.astimezone(tz),
                           "end": part.end.astimezone(tz),
                           "ferry": feeds.ferry_of(event.visit) if part.last else None})
    body = render_template("nomads/day.html", season=season, team=team, date=date, plan=plan, sheet=sheet,
                           drives=drives, links=_links(token, date))
    return body, 200, PAGE_HEADERS
