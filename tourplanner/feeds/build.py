"""Whole feeds: which items a team's, the coordinators' or a venue's calendar holds, stamped and cached.

Screenings take UID/SEQUENCE/DTSTAMP from their Visit (planning and intake bump them). Drives and day
notes are derived, so their SEQUENCE and DTSTAMP come from the published plan in which their content
last changed: a re-plan that leaves them alone leaves their bytes alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from flask import current_app
from sqlalchemy import select

from .. import ical, review
from ..extensions import db
from ..links import public_url
from ..models import FeedToken, Plan, Request, Season, Team
from ..zones import zone
from .cache import Feed, cached
from .drives import drive_events, drive_parts
from .items import (EPOCH, day_note, event_status, feed_visits, ferry_event, ferry_of, gone, screening_event, venue_event,
                    zone_name)


def feed_for_token(row: FeedToken, *, host: str, now: dt.datetime, token: str | None = None) -> Feed:
    """The calendar a live token opens (a Nomad's token opens the team calendar).

    With `token` (the secret the calendar app fetched with), every item links to the Nomads' day page
    under that same token, which opens without a login.
    """
    season = row.season
    if row.kind in ("team", "member"):
        return team_feed(season, row.team, host=host, now=now, token=token, token_id=row.id)
    if row.kind == "venue":
        return venue_feed(row.request, host=host, now=now)
    return coordinators_feed(season, host=host, now=now, token=token, token_id=row.id)


def team_feed(season: Season, team: Team, *, host: str, now: dt.datetime, token: str | None = None,
              token_id: int | None = None) -> Feed:
    """One van's tour: screenings, drives, nights and rest days."""
    info = ical.FeedInfo(name=f"{team.name} · {season.name}", host=host,
                         description=f"Screenings, drives and nights of team {team.name}, tour {season.name}.")
    links = nomad_links(host, token, with_team=False)
    return cached(("team", team.id, host, token_id if token else None), season, [team.id], now,
                   lambda plan: _build(info, season, plan, [team], host=host, now=now, prefix=False, links=links))


def coordinators_feed(season: Season, *, host: str, now: dt.datetime, token: str | None = None,
                      token_id: int | None = None) -> Feed:
    """Every team's tour in one calendar, each item named with its team."""
    info = ical.FeedInfo(name=f"All teams · {season.name}", host=host,
                         description=f"Every team of tour {season.name}: screenings, drives and nights.")
    teams = list(season.teams)
    links = nomad_links(host, token, with_team=True)
    return cached(("coordinators", season.id, host, token_id if token else None), season, None, now,
                   lambda plan: _build(info, season, plan, teams, host=host, now=now, prefix=True, links=links))


def venue_feed(request: Request, *, host: str, now: dt.datetime) -> Feed:
    """The venue's own screening only: in its zone, without contacts, notes or street."""
    season = request.season
    venue = request.venue
    info = ical.FeedInfo(name=f"Screening tour · {venue.name}", host=host,
                         description="Your screening with the tour team.")

    def build(plan: Optional[Plan]) -> Feed:
        visit = None
        if plan is not None:
            found = feed_visits(plan, list(season.teams), request_id=request.id)
            visit = found[0] if found else None
        events = [] if visit is None or gone(visit, now) else [venue_event(visit, host=host, season=season)]
        return _feed(info, events, [], fallback=plan.published_dt if plan else request.updated_dt)

    return cached(("venue", request.id, host), season, None, now, build, request_id=request.id)


def plan_items(season: Season, plan: Plan, teams: list[Team], *, host: str, now: dt.datetime, prefix: bool,
                links=None, screenings: bool = True):
    """Screenings, drives and day notes of some teams in one plan (drives and notes not yet stamped).

    Without `screenings` (an older plan, read only for the history of drives and nights) none is built.
    `links(team, date)` gives the day page and day map URLs an item links to.
    """
    links = links or nomad_links(host, None, with_team=False)
    visits = feed_visits(plan, teams)
    overnights = review.plan_overnights(plan)
    rules = season.effective_rules
    found, derived_events, notes = [], [], []
    for team in teams:
        mark = f"[{team.name}] " if prefix else ""
        mine = [v for v in visits if v.team_id == team.id]
        if screenings:
            for visit in mine:
                if not gone(visit, now):
                    page, day_map = links(team, visit.start_dt.astimezone(zone(zone_name(visit))).date())
                    found.append(screening_event(visit, host=host, rules=rules, day_page=page, day_map=day_map,
                                                 prefix=mark))
        live = [v for v in mine if event_status(v) != "cancelled"]
        itinerary = review.team_itinerary(season, team, live, [o for o in overnights if o.team_id == team.id])
        days = {d.date: d for d in itinerary}
        previous = None
        for day in itinerary:
            for event in day.events:
                parts = drive_parts(event, previous, days, team, rules=rules, season_start=season.start_date)
                derived_events += drive_events(event, parts, host=host, prefix=mark,
                                               links=lambda d, team=team: links(team, d)[0],
                                               ferry=ferry_of(event.visit))
                crossing = ferry_event(event, host=host, prefix=mark)
                if crossing is not None:
                    derived_events.append(crossing)
                previous = event
            note = day_note(day, team, host=host, prefix=mark, url=links(team, day.date)[0])
            if note is not None:
                notes.append(note)
    return found, derived_events, notes


def _stamp_derived(season: Season, plan: Plan, teams: list[Team], items: list, *, host: str, now: dt.datetime,
                   prefix: bool, links) -> list:
    """SEQUENCE and DTSTAMP of derived items: the published plan in which each one last changed.

    The SEQUENCE is that plan's position among the season's published plans, so it only ever grows.
    """
    history = list(db.session.scalars(
        select(Plan).where(Plan.season_id == season.id, Plan.status == "published",
                           Plan.published_dt <= plan.published_dt, Plan.id != plan.id)
        .order_by(Plan.published_dt.desc(), Plan.number.desc())))
    ordinal = len(history)  # the current plan's position (0 = first published)
    pending = {item.uid: item for item in items}  # built unstamped (sequence 0, EPOCH), so comparable as they are
    since: dict[str, int] = {uid: ordinal for uid in pending}
    for position, older in zip(range(ordinal - 1, -1, -1), history):
        if not pending:
            break
        _none, old_events, old_notes = plan_items(season, older, teams, host=host, now=EPOCH, prefix=prefix,
                                                   links=links, screenings=False)
        old = {i.uid: i for i in old_events + old_notes}
        for uid in list(pending):
            if old.get(uid) == pending[uid]:
                since[uid] = position
            else:
                del pending[uid]
    published = [plan] + history  # index i = ordinal - position
    stamped = []
    for item in items:
        origin = published[ordinal - since[item.uid]]
        stamped.append(dataclasses.replace(item, sequence=since[item.uid], last_modified=origin.published_dt))
    return stamped


def _build(info: ical.FeedInfo, season: Season, plan: Optional[Plan], teams: list[Team], *, host: str,
           now: dt.datetime, prefix: bool, links) -> Feed:
    if plan is None:
        return _feed(info, [], [], fallback=season.created_dt)
    screenings, drives, notes = plan_items(season, plan, teams, host=host, now=now, prefix=prefix, links=links)
    derived = _stamp_derived(season, plan, teams, drives + notes, host=host, now=now, prefix=prefix, links=links)
    events = screenings + [d for d in derived if isinstance(d, ical.CalendarEvent)]
    day_notes = [d for d in derived if isinstance(d, ical.DayNote)]
    return _feed(info, events, day_notes, fallback=plan.published_dt)


def _feed(info, events, notes, *, fallback: dt.datetime) -> Feed:
    stamps = [e.last_modified for e in events] + [n.last_modified for n in notes]
    return Feed(ical.build_feed(info, events, notes), max(stamps, default=fallback).replace(microsecond=0))


def nomad_links(host: str, token: str | None, *, with_team: bool):
    """A function (team, local date) -> (day page URL, day map URL) under a feed token, on the public host.

    The pages open with the token alone (no login), so a Nomad's phone can follow them from the calendar.
    Without a token (an exported file) items carry no links. The coordinators' feed names the team.
    """
    if not token:
        return lambda team, day: ("", "")
    adapter = current_app.url_map.bind(host)

    def links(team: Team, day: dt.date) -> tuple[str, str]:
        values = {"token": token, "day": day.isoformat(), **({"team": team.slug} if with_team else {})}
        return (public_url(host, adapter.build("nomads.day", values)),
                public_url(host, adapter.build("maps.nomad_day_map", values)))

    return links


def export(season: Season, *, host: str, now: dt.datetime, team: Team | None = None,
           request: Request | None = None) -> Feed:
    """The bytes a feed URL serves, for the export-feed command."""
    if team is not None:
        return team_feed(season, team, host=host, now=now)
    if request is not None:
        return venue_feed(request, host=host, now=now)
    return coordinators_feed(season, host=host, now=now)
