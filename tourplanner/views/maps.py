"""Map pages: the coordinators' season, team, day and request maps, the Nomads' day map, the home-page map.

The map libraries (Leaflet, jQuery, Leaflet.markercluster from the xstatic packages; tourmap.js/css and
the state/province outlines from tourplanner/static/maps) are served here, so maps work with no CDN.

Content-Security-Policy of every page that shows a map (set after the response is built, whenever a
map was rendered for it):

    default-src 'self'; script-src 'self' 'nonce-<per response>'; style-src 'self' 'unsafe-inline';
    img-src 'self' data: <tile server origin>; connect-src 'self'; font-src 'self';
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'

folium emits one inline script per map; it carries the response's nonce, so script-src needs no
'unsafe-inline' and an injected <script> or onerror= handler cannot run. Styles need 'unsafe-inline'
because Leaflet and the numbered stop icons use style attributes (a style cannot run script).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from pathlib import Path

import xstatic.pkg.jquery
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, abort, current_app, g, has_request_context, render_template, request, send_from_directory, url_for
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import feeds, maps, review
from ..extensions import db
from ..models import Plan, Request, Season, Team, UnservedRequest, now_utc
from ..optimize.ferries import crossing_at
from ..secret_links import PAGE_HEADERS
from ..web import record_number, season_day
from ..zones import zone

bp = Blueprint("maps", __name__)

ASSET_DIRS = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "jquery": Path(xstatic.pkg.jquery.BASE_DIR),
    "markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
    "tour": Path(__file__).resolve().parent.parent / "static" / "maps",
}
ASSET_VERSION = hashlib.sha256(
    b"".join((ASSET_DIRS["tour"] / name).read_bytes() for name in ("tourmap.js", "tourmap.css", "outlines.geojson"))
).hexdigest()[:10]


@bp.route("/maps/assets/<lib>/<path:filename>")
def asset(lib: str, filename: str):
    """Leaflet, jQuery, MarkerCluster and our map files, from the installed packages."""
    folder = ASSET_DIRS.get(lib) or abort(404)
    return send_from_directory(folder, filename, max_age=86400)


def map_assets() -> maps.MapAssets:
    """Asset URLs, tiles from config, and this response's CSP nonce (made on first use)."""
    if not has_request_context():
        return maps.MapAssets()
    if "map_nonce" not in g:
        g.map_nonce = secrets.token_urlsafe(16)
    config = current_app.config
    return maps.MapAssets(
        base=url_for("maps.asset", lib="tour", filename="x").rsplit("/tour/x", 1)[0],
        tile_url=config.get("MAP_TILE_URL", maps.OSM_TILES) or "",
        tile_attribution=config.get("MAP_TILE_ATTRIBUTION", maps.OSM_ATTRIBUTION),
        nonce=g.map_nonce,
        version=ASSET_VERSION,
    )


@bp.record_once
def register_map_assets(state) -> None:
    """Builders called without assets (maps.point_map on the request page, /tour) ask the app for these."""
    state.app.extensions[maps.APP_ASSETS] = map_assets


@bp.after_app_request
def map_page_csp(response):
    """A page that rendered a map gets the map policy (module docstring)."""
    nonce = g.get("map_nonce")
    if nonce and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = maps.map_csp(nonce, current_app.config.get("MAP_TILE_URL", ""))
    return response


# ---------------------------------------------------------------- reading a plan


def _or_404(lookup, *args):
    """A read-model lookup (review.season_named, team_by_slug, plan_version) whose NotFound is a plain 404."""
    try:
        return lookup(*args)
    except review.NotFound:
        abort(404)


def _plan_for(season: Season) -> Plan | None:
    """?plan=N, else the season's latest plan, draft or published."""
    number = request.args.get("plan", "")
    if not number:
        return review.plan_version(season)
    wanted = record_number(number)
    if wanted is None:
        abort(404)
    return _or_404(review.plan_version, season, wanted)


def _visits(plan: Plan | None, team: Team | None = None) -> list[review.Stop]:
    """A plan's located visits that happen, from the read model (cancelled ones stay in the plan for the feeds)."""
    if plan is None:
        return []
    return [v for v in review.plan_visits(plan, team.id if team is not None else None)
            if v.request.venue.lat is not None and v.request.venue.lon is not None]


def request_links():
    """id -> the coordinator page of a request (the URL built once, not per stop)."""
    sample = url_for("intake_admin.detail", request_id=918273645)
    head, _, tail = sample.partition("918273645")
    return lambda request_id: f"{head}{request_id}{tail}"


def _town(venue) -> str:
    return ", ".join(x for x in (venue.city, venue.region) if x)


def _stops(visits: list[review.Stop], season: Season, with_links: bool = True) -> list[maps.Stop]:
    """Read-model visits as map stops, in the venue's own time zone (else the team's base zone)."""
    link = request_links() if with_links else (lambda request_id: "")
    teams = {t.id: t for t in season.teams}
    stops = []
    for v in visits:
        team, venue = teams[v.team_id], v.request.venue
        stops.append(maps.Stop(
            team=team.slug, lat=venue.lat, lon=venue.lon, start=v.start_dt.astimezone(zone(venue.tz or team.base_tz)),
            venue=venue.name, town=_town(venue), audience=v.request.audience, status=v.request.status,
            ref=v.request.ref, link=link(v.request.id), drive_km=v.drive_km_before,
            drive_minutes=v.drive_minutes_before, ferry=_ferry(v.ferry_name, v.ferry_depart_dt),
        ))
    return stops


def _ferry(name: str | None, depart: dt.datetime | None) -> maps.FerryCrossing | None:
    """The crossing on the way to a stop, with its terminals from the ferry table."""
    crossing = crossing_at(name, depart) if name and depart else None
    if crossing is None:
        return None
    return maps.FerryCrossing(name=name, depart_lat=crossing.a.lat, depart_lon=crossing.a.lon,
                              arrive_lat=crossing.b.lat, arrive_lon=crossing.b.lon,
                              depart=depart.astimezone(zone(crossing.a.tz)), minutes=crossing.minutes)


def _team_info(team: Team) -> maps.TeamInfo:
    return maps.TeamInfo(key=team.slug, name=team.name, colour=team.colour)


def _sleeps(plan: Plan | None, team: Team) -> list[maps.Sleep]:
    if plan is None:
        return []
    return [maps.Sleep(team=team.slug, day=n.day, lat=n.lat, lon=n.lon, town=n.town)
            for n in review.plan_overnights(plan, team.id)]


def _page(title: str, parts: maps.MapParts, season: Season, plan: Plan | None, *, team=None, day=None, note=""):
    plans = db.session.scalars(select(Plan).where(Plan.season_id == season.id).order_by(Plan.number)).all()
    return render_template(
        "maps/map_page.html", title=title, parts=parts, plan=plan, plans=plans, note=note,
        links=_links(season, plan, team, day),
    )


def _links(season: Season, plan: Plan | None, team: Team | None, day: dt.date | None) -> list[tuple[str, str]]:
    """Where a coordinator goes next from a map: the other maps of the same plan."""
    keep = {"plan": plan.number} if plan and request.args.get("plan") else {}
    links = [
        ("season page", url_for("admin.season", name=season.name)),
        ("all teams", url_for("maps.season_map", name=season.name, **keep)),
        ("requests", url_for("maps.request_map", name=season.name, **keep)),
    ]
    links += [(t.name, url_for("maps.team_map", name=season.name, slug=t.slug, **keep)) for t in season.teams]
    if team is not None and day is not None:
        for label, other in (("previous day", day - dt.timedelta(days=1)), ("next day", day + dt.timedelta(days=1))):
            links.append((label, url_for("maps.day_map", name=season.name, slug=team.slug, day=other.isoformat(), **keep)))
    return links


def _no_plan_note(plan: Plan | None) -> str:
    return "" if plan else "No plan yet for this season: run the optimizer to see the routes."


# ---------------------------------------------------------------- coordinator pages


@bp.route("/admin/seasons/<name>/map")
@login_required
def season_map(name: str):
    season = _or_404(review.season_named, name)
    plan = _plan_for(season)
    parts = maps.season_map(
        [_team_info(t) for t in season.teams], _stops(_visits(plan), season),
        season_start=season.start_date, assets=map_assets(),
    )
    return _page(f"Season {season.name}: map", parts, season, plan, note=_no_plan_note(plan))


@bp.route("/admin/seasons/<name>/teams/<slug>/map")
@login_required
def team_map(name: str, slug: str):
    season = _or_404(review.season_named, name)
    team = _or_404(review.team_by_slug, season, slug)
    plan = _plan_for(season)
    parts = maps.team_map(
        _team_info(team), _stops(_visits(plan, team), season), _sleeps(plan, team),
        season_start=season.start_date, assets=map_assets(),
    )
    return _page(f"{team.name}: season map", parts, season, plan, team=team, note=_no_plan_note(plan))


def _day_parts(season: Season, plan: Plan | None, team: Team, day: dt.date, *, with_links: bool):
    """The Nomads' day: start where they slept (or at base), today's stops, tonight's bed."""
    stops = _stops(_visits(plan, team), season, with_links)  # the day map picks today's, and a crossing tonight
    nights = {n.day: n for n in _sleeps(plan, team)}
    start = nights.get(day - dt.timedelta(days=1)) or maps.Sleep(
        team=team.slug, day=day - dt.timedelta(days=1), lat=team.base_lat, lon=team.base_lon,
        town=team.base_name or "base",
    )
    return maps.day_map(_team_info(team), day, stops, start=start, tonight=nights.get(day), assets=map_assets())


@bp.route("/admin/seasons/<name>/teams/<slug>/days/<day>/map")
@login_required
def day_map(name: str, slug: str, day: str):
    season = _or_404(review.season_named, name)
    team = _or_404(review.team_by_slug, season, slug)
    date = season_day(day, season)
    plan = _plan_for(season)
    parts = _day_parts(season, plan, team, date, with_links=True)
    title = f"{team.name}: {date:%A} {date.day} {date:%B %Y}"
    return _page(title, parts, season, plan, team=team, day=date, note=_no_plan_note(plan))


@bp.route("/admin/seasons/<name>/requests/map")
@login_required
def request_map(name: str):
    season = _or_404(review.season_named, name)
    plan = _plan_for(season)
    reasons = {}
    if plan is not None:
        reasons = {u.request_id: u for u in db.session.scalars(select(UnservedRequest).where(UnservedRequest.plan_id == plan.id))}
    requests = db.session.scalars(
        select(Request).where(Request.season_id == season.id).options(joinedload(Request.venue))
    ).unique()
    link = request_links()
    pins, missing = [], 0
    for req in requests:
        venue = req.venue
        if venue.lat is None or venue.lon is None:
            missing += 1
            continue
        unserved = reasons.get(req.id)
        pins.append(maps.RequestPin(
            lat=venue.lat, lon=venue.lon, venue=venue.name, town=_town(venue), status=req.status, ref=req.ref,
            audience=req.audience, link=link(req.id), reason=unserved.reason if unserved else "",
            detail=unserved.detail if unserved else "", precision=venue.geocode_precision,
        ))
    routes = {}
    for v in _visits(plan):
        routes.setdefault(v.team_id, []).append((v.request.venue.lat, v.request.venue.lon))
    teams = [(_team_info(t), routes[t.id]) for t in season.teams if t.id in routes]
    parts = maps.request_map(pins, teams, assets=map_assets())
    note = f"{missing} request(s) have no location yet and are not on the map." if missing else ""
    return _page(f"Season {season.name}: requests", parts, season, plan, note=note)


# ---------------------------------------------------------------- Nomads: a day map under a feed token


def _feed_team(token: str) -> tuple[Season, Team]:
    """The team of a live feed token (?team= names it under the coordinators' token); else the same 404."""
    row = feeds.token_row(token)  # the feeds' one lookup: shape check, SHA-256, compare_digest, revoked
    team = feeds.team_for_token(row, request.args.get("team")) if row is not None else None
    if team is None:
        abort(404)
    return row.season, team


@bp.route("/feeds/<token>/map")
@bp.route("/feeds/<token>/days/<day>/map")
def nomad_day_map(token: str, day: str | None = None):
    """Today's route (or a given day's) from the published plan, for the Nomads' phones."""
    season, team = _feed_team(token)
    date = season_day(day, season) if day else now_utc().astimezone(zone(team.base_tz)).date()
    plan = season.published_plan()
    parts = _day_parts(season, plan, team, date, with_links=False)
    keep = {"team": request.args["team"]} if request.args.get("team") else {}
    body = render_template(
        "maps/nomad_day.html", parts=parts, team=team, day=date,
        note="" if plan else "The tour plan is not published yet.",
        today_href=url_for("maps.nomad_day_map", token=token, **keep),
        home_href=url_for("nomads.today", token=token, **keep),
        page_href=url_for("nomads.day", token=token, day=date.isoformat(), **keep),
        first_href=url_for("maps.nomad_day_map", token=token, day=season.start_date.isoformat(), **keep),
        prev_href=url_for("maps.nomad_day_map", token=token, day=(date - dt.timedelta(days=1)).isoformat(), **keep),
        next_href=url_for("maps.nomad_day_map", token=token, day=(date + dt.timedelta(days=1)).isoformat(), **keep),
    )
    return body, 200, PAGE_HEADERS


# ---------------------------------------------------------------- the home page


COVERAGE_TTL_S = 60
_coverage_cache: dict[str, tuple[float, list[maps.CoveragePoint]]] = {}


def _public_plans() -> list[Plan]:
    """The published plans of the current and coming seasons, else of the latest season that has one."""
    today = now_utc().date()
    seasons = db.session.scalars(select(Season).order_by(Season.start_date.desc())).all()
    plans = [(s, s.published_plan()) for s in seasons]
    current = [p for s, p in plans if p is not None and s.end_date >= today]
    return current or [p for _, p in plans if p is not None][:1]


def _coverage_points() -> list[maps.CoveragePoint]:
    """Towns reached, read at most once a minute per app (the home page is the busiest public page)."""
    plans = _public_plans()
    key = f"{current_app.config['SQLALCHEMY_DATABASE_URI']}|" + ",".join(f"{p.id}@{p.published_dt}" for p in plans)
    cached = _coverage_cache.get(key)
    if cached and time.monotonic() - cached[0] < COVERAGE_TTL_S:
        return cached[1]
    venues = [
        maps.PublicVenue(lat=v.lat, lon=v.lon, city=v.city, region=v.region, country=v.country,
                         name=v.name if v.show_on_public_map else "", show_point=v.show_on_public_map)
        for plan in plans for v in (visit.request.venue for visit in _visits(plan))
    ]
    points = maps.coverage_points(venues)
    if len(_coverage_cache) > 16:
        _coverage_cache.clear()
    _coverage_cache[key] = (time.monotonic(), points)
    return points


def public_coverage_map():
    """The home page's map: towns reached by the current seasons' published plans, nothing private."""
    points = _coverage_points()
    return maps.coverage_map(points, assets=map_assets()) if points else None


@bp.app_context_processor
def coverage_for_templates():
    """Templates may call public_coverage_map(); it queries only when a template asks for it."""
    return {"public_coverage_map": public_coverage_map}
