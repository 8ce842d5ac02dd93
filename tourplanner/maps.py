"""Maps of the tour as HTML parts: folium + Leaflet served by the app, every user string escaped once.

Pure: builders take plain inputs (dataclasses below) and a MapAssets saying where the app serves
Leaflet, jQuery, Leaflet.markercluster and tourmap.js/css, and return MapParts (head links + the map
div and its script). No Flask, no database.

Why not one folium Marker per stop: folium renders each element through Jinja (2,000 stops with popups
take about 3 s) and folium 0.20 puts popup text inside JS template literals without escaping it. So a
map here is a folium Map with its tile layer plus one TourLayer element holding a JSON spec that
tourmap.js draws; the spec's strings are already HTML-escaped by escape_text, and the JSON is made safe
for a <script> element.

Content-Security-Policy for pages with a map (see map_csp): scripts only from 'self' plus a per-response
nonce for the one inline script folium emits (no 'unsafe-inline' for scripts); styles from 'self' plus
'unsafe-inline', because Leaflet and the numbered stop icons set style attributes; images from 'self',
data: and the tile server's origin; fetch (the outlines GeoJSON) from 'self' only.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence
from urllib.parse import urlsplit

import folium
from branca.element import CssLink, Element, JavascriptLink
from markupsafe import Markup

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_REFERRER_POLICY = "strict-origin-when-cross-origin"  # Leaflet 1.9 TileLayer option referrerPolicy
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
OUTLINES_ATTRIBUTION = "outlines: geoBoundaries"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
STATUS_COLOURS = {
    "submitted": "#718096",
    "approved": "#3182ce",
    "scheduled": "#dd6b20",
    "confirmed": "#38a169",
    "declined": "#2d3748",
    "cancelled": "#a0aec0",
    "unserved": "#c53030",
}
# Circle radius (metres) for how sure the geocoder is of a point; see geo.Place.precision.
PRECISION_RADIUS_M = {"given": 50, "address": 100, "zip": 3000, "fsa": 4000, "city": 8000}
PRECISION_WORDS = {
    "given": "point given by the venue",
    "address": "street address",
    "zip": "ZIP code centre",
    "fsa": "postal area (FSA) centre",
    "city": "town centre",
}
NORTH_AMERICA = (45.0, -98.0)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
_JS_EXTRA = {ord("`"): "&#96;", ord("$"): "&#36;", ord("\\"): "&#92;"}


def escape_text(s) -> str:
    """The one escaping helper for map strings: HTML-escape, and neutralise `, $ and \\ for JS templates."""
    if s is None:
        return ""
    return html.escape(str(s), quote=True).translate(_JS_EXTRA)


def safe_colour(value: str, index: int = 0) -> str:
    """A colour that can go into a style attribute: #rrggbb as given, else one from the palette."""
    return value if isinstance(value, str) and _COLOUR.match(value) else PALETTE[index % len(PALETTE)]


def safe_href(url: str) -> str:
    """A link for a popup: a path on this site or an http(s) URL, escaped; anything else is dropped."""
    if not url:
        return ""
    scheme = urlsplit(url).scheme.lower()
    if (url.startswith("/") and not url.startswith("//")) or scheme in ("http", "https"):
        return escape_text(url)
    return ""


def script_json(value) -> str:
    """JSON that can sit inside a <script> element: no </script>, no HTML comment, no line separators,
    and no Jinja delimiter ({{, {%, {#) should anything ever template it again."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return _JINJA_OPEN.sub(r"\\u007b", text)  # only inside strings: JSON syntax never puts these after {


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class MapAssets:
    """Where the app serves the map libraries, which tiles to use, and the CSP nonce of this response."""

    base: str = "/maps/assets"
    tile_url: str = OSM_TILES
    tile_attribution: str = OSM_ATTRIBUTION
    nonce: str = ""
    version: str = ""  # of our own files, so a browser's cached copy is dropped when they change

    @property
    def _v(self) -> str:
        return f"?v={self.version}" if self.version else ""

    @property
    def js(self) -> list[tuple[str, str]]:
        return [
            ("leaflet", f"{self.base}/leaflet/leaflet.js"),
            ("jquery", f"{self.base}/jquery/jquery.min.js"),
        ]

    @property
    def css(self) -> list[tuple[str, str]]:
        return [("leaflet_css", f"{self.base}/leaflet/leaflet.css")]

    @property
    def tour_js(self) -> list[tuple[str, str]]:
        return [
            ("markercluster", f"{self.base}/markercluster/leaflet.markercluster.js"),
            ("tourmap", f"{self.base}/tour/tourmap.js{self._v}"),
        ]

    @property
    def tour_css(self) -> list[tuple[str, str]]:
        return [
            ("markercluster_css", f"{self.base}/markercluster/MarkerCluster.css"),
            ("markercluster_default_css", f"{self.base}/markercluster/MarkerCluster.Default.css"),
            ("tourmap_css", f"{self.base}/tour/tourmap.css{self._v}"),
        ]

    @property
    def outlines_url(self) -> str:
        return f"{self.base}/tour/outlines.geojson{self._v}"


@dataclass(frozen=True)
class TeamInfo:
    key: str  # Team.slug
    name: str
    colour: str = ""


@dataclass(frozen=True)
class Stop:
    """A visit on a map: where, when (aware, in the venue's zone), for whom, and the request behind it."""

    team: str
    lat: float
    lon: float
    start: dt.datetime
    venue: str
    town: str = ""
    audience: int = 0
    status: str = ""
    ref: str = ""
    link: str = ""
    drive_km: float = 0.0
    drive_minutes: int = 0
    ferry: Optional["FerryCrossing"] = None  # the drive before this stop crosses water on it


@dataclass(frozen=True)
class FerryCrossing:
    """A car ferry on the way to a stop: drawn dashed between its terminals, not as a road over the sea."""

    name: str
    depart_lat: float
    depart_lon: float
    arrive_lat: float
    arrive_lon: float
    depart: Optional[dt.datetime] = None  # aware, in the departure terminal's zone
    minutes: int = 0

    def sails_on(self, day: dt.date) -> bool:
        return self.depart is not None and self.depart.date() == day

    def lands_after(self, day: dt.date) -> bool:
        return self.depart is not None and (self.depart + dt.timedelta(minutes=self.minutes)).date() > day


def _ferry_path(stop: Stop, week, day: Optional[dt.date] = None) -> list[tuple]:
    """Path entries for the terminals before a stop whose drive crosses on a ferry (none otherwise); on a day
    map only when the crossing is that day."""
    f = stop.ferry
    if f is None or (day is not None and not f.sails_on(day)):
        return []
    tip = escape_text(f"Ferry {f.name}")
    return [([round(f.depart_lat, 5), round(f.depart_lon, 5)], week),
            ([round(f.arrive_lat, 5), round(f.arrive_lon, 5)], week, tip)]


@dataclass(frozen=True)
class Sleep:
    """Where a team sleeps on a day (or, for a day map's start, slept the night before)."""

    team: str
    day: dt.date
    lat: float
    lon: float
    town: str = ""


@dataclass(frozen=True)
class RequestPin:
    """A request on the review map; reason is set when the plan leaves it unserved."""

    lat: float
    lon: float
    venue: str
    town: str = ""
    status: str = "submitted"
    ref: str = ""
    audience: int = 0
    link: str = ""
    reason: str = ""
    detail: str = ""
    precision: str = ""


@dataclass(frozen=True)
class PublicVenue:
    """What the public map may know of a visited venue: its town, and its point only if it agreed."""

    lat: float
    lon: float
    city: str
    region: str
    country: str
    name: str = ""
    show_point: bool = False


@dataclass(frozen=True)
class CoveragePoint:
    lat: float
    lon: float
    label: str
    screenings: int
    exact: bool = False


@dataclass(frozen=True)
class MapParts:
    """A map for a template: `head` goes in <head>, `body` where the map should be; str() gives both."""

    head: Markup
    body: Markup
    markers: int = 0
    lines: int = 0

    def __html__(self) -> str:
        return str(self.head) + str(self.body)

    def __str__(self) -> str:
        return self.__html__()


@dataclass
class _Spec:
    """What tourmap.js draws."""

    markers: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    circles: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    legend_title: str = ""
    dims: list = field(default_factory=list)
    cluster: bool = False
    max_zoom: int = 12
    legend_position: str = "bottomleft"  # Leaflet corner; the scale sits bottom left
    labels_inward: bool = False  # permanent labels point toward the middle and wrap (a phone's narrow map)

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


# ---------------------------------------------------------------- rendering


class _RawScript(Element):
    """Script text that reaches the page as it is: never parsed as a Jinja template."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class TourLayer(Element):
    """Hands a spec to tourmap.js. Not a folium MacroElement on purpose: branca re-parses a macro's
    rendered script as a Jinja template (a venue named "{{ 7*7 }}" would become 49, and worse), and
    parsing a 2,000-stop spec that way costs about 0.4 s."""

    def __init__(self, spec: _Spec, assets: MapAssets):
        super().__init__()
        self._name = "TourLayer"
        self.spec_json = script_json(spec.to_dict())
        self.background_json = script_json({"outlines": assets.outlines_url})

    def render(self, **kwargs) -> None:
        name = self._parent.get_name()
        text = f"TourMap.background({name}, {self.background_json});\nTourMap.draw({name}, {self.spec_json});"
        self.get_root().script.add_child(_RawScript(text), name=self.get_name())


def _base_map(assets: MapAssets) -> folium.Map:
    """A folium Map whose Leaflet and jQuery come from the app and whose tiles are configurable."""
    fmap = folium.Map(location=NORTH_AMERICA, zoom_start=4, tiles=None, control_scale=True, max_zoom=18)
    fmap.default_js = list(assets.js)  # per instance: folium.Map.default_js (the CDN list) stays untouched
    fmap.default_css = list(assets.css)
    if assets.tile_url:
        attribution = f"{assets.tile_attribution} | {OUTLINES_ATTRIBUTION}"
        # The pages send `Referrer-Policy: same-origin`, so without this the tile requests carry no Referer,
        # and OpenStreetMap's tile servers refuse those; the origin alone says who asks, never a token path.
        folium.TileLayer(tiles=assets.tile_url, attr=attribution, name="Map", control=False, max_zoom=18,
                         referrer_policy=TILE_REFERRER_POLICY).add_to(fmap)
    return fmap


def set_assets_provider(provider: Callable[[], MapAssets]) -> None:
    """Let the web layer say where assets live (config, this response's nonce) when a caller names none."""
    global _assets_provider
    _assets_provider = provider


_assets_provider: Callable[[], MapAssets] = MapAssets


def _render(spec: _Spec, assets: Optional[MapAssets], size: str = "") -> MapParts:
    """folium renders the map; the head keeps only our links, the body is the div and one script."""
    assets = assets or _assets_provider()
    fmap = _base_map(assets)
    TourLayer(spec, assets).add_to(fmap)
    root = fmap.get_root()
    root.render()
    links = [child for child in root.header._children.values() if isinstance(child, (JavascriptLink, CssLink))]
    head = "\n".join(link.render() for link in links)
    head += "\n" + "\n".join(
        [f'<script src="{escape_text(url)}"></script>' for _, url in assets.tour_js]
        + [f'<link rel="stylesheet" href="{escape_text(url)}">' for _, url in assets.tour_css]
    )
    nonce = f' nonce="{escape_text(assets.nonce)}"' if assets.nonce else ""
    size_class = f" tour-map--{size}" if size else ""
    body = (
        f'<div class="tour-map{size_class}" role="region" aria-label="Map">{root.html.render()}</div>\n'
        f"<script{nonce}>\n{root.script.render()}\n</script>"
    )
    return MapParts(head=Markup(head), body=Markup(body), markers=len(spec.markers), lines=len(spec.lines))


# ---------------------------------------------------------------- text for popups


def local_when(start: dt.datetime) -> str:
    """'Tue 2 Feb 2027, 10:00 CST' in the zone the datetime carries."""
    zone = start.tzname() or ""
    return f"{start:%a} {start.day} {start:%b %Y, %H:%M} {zone}".strip()


def _drive(km: float, minutes: int) -> str:
    if not km and not minutes:
        return ""
    return f"drive before: {km:.0f} km, {minutes // 60}:{minutes % 60:02d} h"


def stop_popup(stop: Stop, team_name: str, number: int, when: str = "") -> str:
    """What a coordinator needs about a visit: venue, local date and time, audience, status, the request."""
    lines = [f"<strong>{escape_text(stop.venue)}</strong>"]
    if stop.town:
        lines.append(escape_text(stop.town))
    lines.append(escape_text(when or local_when(stop.start)))
    meta = f"audience {int(stop.audience)}"
    if stop.status:
        meta += f" · {escape_text(stop.status)}"
    lines.append(f'<span class="tour-popup-meta">{meta}</span>')
    lines.append(f'<span class="tour-popup-meta">{escape_text(team_name)}, stop {number}</span>')
    drive = _drive(stop.drive_km, stop.drive_minutes)
    if drive:
        lines.append(f'<span class="tour-popup-meta">{escape_text(drive)}</span>')
    href = safe_href(stop.link)
    if href:
        lines.append(f'<a href="{href}">request {escape_text(stop.ref)}</a>')
    return "<br>".join(lines)


def _stop_marker(stop: Stop, team_name: str, number: int, colour: str, k: list) -> dict:
    """A numbered stop for tourmap.js, with its popup and tooltip."""
    when = local_when(stop.start)
    return {
        "p": [round(stop.lat, 5), round(stop.lon, 5)], "k": k, "kind": "stop", "n": str(number), "c": colour,
        "popup": stop_popup(stop, team_name, number, when),
        "tip": f"{number}. {escape_text(stop.venue)} · {escape_text(when)}",
    }


def _sleep_text(sleep: Sleep, prefix: str) -> str:
    town = escape_text(sleep.town) or f"{sleep.lat:.3f}, {sleep.lon:.3f}"
    return f"{escape_text(prefix)}: {town} ({sleep.day:%a} {sleep.day.day} {sleep.day:%b})"


# ---------------------------------------------------------------- builders


def week_of(day: dt.date, season_start: dt.date) -> int:
    """1-based season week of a day."""
    return (day - season_start).days // 7 + 1


def _week_label(week: int, season_start: dt.date) -> str:
    monday = season_start + dt.timedelta(days=7 * (week - 1))
    return f"Week {week} · {monday.day} {monday:%b}"


def _colours(teams: Sequence[TeamInfo]) -> dict[str, str]:
    return {team.key: safe_colour(team.colour, i) for i, team in enumerate(teams)}


def _by_team(stops: Iterable[Stop]) -> dict[str, list[Stop]]:
    routes: dict[str, list[Stop]] = {}
    for stop in sorted(stops, key=lambda s: s.start):
        routes.setdefault(stop.team, []).append(stop)
    return routes


def season_map(
    teams: Sequence[TeamInfo], stops: Iterable[Stop], *, season_start: dt.date, assets: Optional[MapAssets] = None
) -> MapParts:
    """All teams: one colour each, numbered stops, drive lines, a layer per team and per week, a legend."""
    colours = _colours(teams)
    names = {team.key: team.name for team in teams}
    routes = _by_team(stops)
    team_index = {team.key: i for i, team in enumerate(teams)}
    weeks = sorted({week_of(s.start.date(), season_start) for route in routes.values() for s in route})
    week_index = {week: i for i, week in enumerate(weeks)}
    spec = _Spec(cluster=True, legend_title="Teams")
    for key, route in routes.items():
        if key not in team_index:
            raise ValueError(f"stop {route[0].ref or route[0].venue!r} names team {key!r}, which is not on the map")
        t, colour = team_index[key], colours[key]
        path = []
        for number, stop in enumerate(route, start=1):
            week = week_index[week_of(stop.start.date(), season_start)]
            path += _ferry_path(stop, week)
            spec.markers.append(_stop_marker(stop, names[key], number, colour, [t, week]))
            path.append((spec.markers[-1]["p"], week))
        tips = {i: f"{escape_text(names[key])} · week {w}" for i, w in enumerate(weeks)}
        spec.lines += _lines_by_week(path, colour, tips, [t])
    spec.dims = [
        {"name": "Teams", "keys": [_swatch(colours[t.key], t.name) for t in teams]},
        {"name": "Weeks", "keys": [escape_text(_week_label(w, season_start)) for w in weeks]},
    ]
    spec.legend = [{"c": colours[t.key], "label": escape_text(t.name), "shape": "stop"} for t in teams]
    return _render(spec, assets)


def _lines_by_week(path: list[tuple], colour: str, tips: dict[int, str], k: list) -> list[dict]:
    """One drive line per week of a route; each week's line starts where the week before ended.

    A path entry (point, week, tip) ends a ferry crossing: that piece is its own dashed line on the water.
    """
    lines, segment, current = [], [], None

    def flush():
        if len(segment) > 1:
            lines.append({"pts": segment, "k": k + [current], "c": colour, "tip": tips.get(current, "")})

    for point, week, *ferry in path:
        if week != current or ferry:
            flush()
            if ferry and segment:
                lines.append({"pts": [segment[-1], point], "k": k + [week], "c": colour, "dash": "6 8",
                              "tip": ferry[0]})
            segment, current = (segment[-1:] if not ferry else []), week
        segment.append(point)
    flush()
    return lines


def _swatch(colour: str, name: str) -> str:
    return f'<span class="tour-swatch" style="background:{colour}"></span> {escape_text(name)}'


def _route_with_nights(route: list[Stop], sleeps: Iterable[Sleep]) -> list:
    """Stops and nights in driving order: a night comes after the day's last stop."""
    items = [((s.start.date(), 0, s.start.timestamp()), s) for s in route]
    items += [((n.day, 1, 0.0), n) for n in sleeps]
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def team_map(
    team: TeamInfo,
    stops: Iterable[Stop],
    sleeps: Iterable[Sleep] = (),
    *,
    season_start: dt.date,
    assets: Optional[MapAssets] = None,
) -> MapParts:
    """One team's season: numbered stops, nights, drive lines, a layer per week."""
    colour = safe_colour(team.colour)
    route = _by_team(s for s in stops if s.team == team.key).get(team.key, [])
    sleeps = [n for n in sleeps if n.team == team.key]
    ordered = _route_with_nights(route, sleeps)
    weeks = sorted({week_of(_day(item), season_start) for item in ordered})
    week_index = {week: i for i, week in enumerate(weeks)}
    spec = _Spec(cluster=len(route) > 300, legend_title=escape_text(team.name))
    number = 0
    path = []
    for item in ordered:
        week = week_index[week_of(_day(item), season_start)]
        if isinstance(item, Stop):
            number += 1
            path += _ferry_path(item, week)
            spec.markers.append(_stop_marker(item, team.name, number, colour, [week]))
        else:
            text = _sleep_text(item, "Night")
            point = [round(item.lat, 5), round(item.lon, 5)]
            spec.markers.append({"p": point, "k": [week], "kind": "sleep", "c": colour, "popup": text, "tip": text})
        path.append((spec.markers[-1]["p"], week))
    tips = {i: f"{escape_text(team.name)} · week {w}" for i, w in enumerate(weeks)}
    spec.lines = _lines_by_week(path, colour, tips, [])
    spec.dims = [{"name": "Weeks", "keys": [escape_text(_week_label(w, season_start)) for w in weeks]}]
    spec.legend = [
        {"c": colour, "label": "stop, numbered in order", "shape": "stop"},
        {"c": colour, "label": "night", "shape": "sleep"},
        {"c": colour, "label": "drive", "shape": "line"},
    ]
    return _render(spec, assets)


def _day(item) -> dt.date:
    return item.start.date() if isinstance(item, Stop) else item.day


def day_map(
    team: TeamInfo,
    day: dt.date,
    stops: Iterable[Stop],
    *,
    start: Optional[Sleep] = None,
    tonight: Optional[Sleep] = None,
    assets: Optional[MapAssets] = None,
) -> MapParts:
    """A Nomad's day: where the van starts, today's stops in order, drive lines, where to sleep."""
    colour = safe_colour(team.colour)
    mine = [s for s in sorted(stops, key=lambda s: s.start) if s.team == team.key]
    route = [s for s in mine if s.start.date() == day]
    following = next((s for s in mine if s.start.date() > day), None)
    # On a phone: labels point inward and wrap (else they run off both edges), the legend sits top right
    # (bottom left is the scale), and a bed or start on top of a stop moves aside and under it.
    spec = _Spec(max_zoom=13, legend_title=escape_text(f"{team.name}, {day:%a} {day.day} {day:%b %Y}"),
                 legend_position="topright", labels_inward=True)
    points = []
    if start is not None:
        text = _sleep_text(start, "Start")
        points.append([round(start.lat, 5), round(start.lon, 5)])
        spec.markers.append({"p": points[-1], "kind": "start", "c": colour, "popup": text, "tip": text, "label": "left"})
    ferries = {}  # index in points of the end of a ferry crossing -> its tip
    for number, stop in enumerate(route, start=1):
        for entry in _ferry_path(stop, 0, day):
            points.append(entry[0])
            if len(entry) > 2:
                ferries[len(points) - 1] = entry[2]
        spec.markers.append(_stop_marker(stop, team.name, number, colour, []))
        # few stops: each carries a permanent label, so the day reads even without tiles
        spec.markers[-1].update(label=True, tip=f"{number}. {escape_text(stop.venue)}, {stop.start:%H:%M}", z=1000)
        points.append(spec.markers[-1]["p"])
    if tonight is not None:
        night = [round(tonight.lat, 5), round(tonight.lon, 5)]
        ahead = _ferry_path(following, 0, day) if following is not None else []
        if ahead:  # the drive on toward the next stop crosses today
            points.append(ahead[0][0])
            # aboard an overnight ship the night is on the water, short of the arrival terminal
            points.append(night if following.ferry.lands_after(day) else ahead[1][0])
            ferries[len(points) - 1] = ahead[1][2]
        if not points or points[-1] != night:
            points.append(night)
        text = _sleep_text(tonight, "Sleep")
        spec.markers.append({"p": night, "kind": "sleep", "c": colour, "popup": text, "tip": text, "label": "left"})
    stops_by_spot = [m for m in spec.markers if m["kind"] == "stop"]
    for marker in spec.markers:
        if marker["kind"] not in ("start", "sleep"):
            continue
        under = next((m for m in stops_by_spot if _same_spot(marker["p"], m["p"])), None)
        if under is not None:  # the bed (or start) is at a stop: the stop's label says so, the icon moves aside
            under["tip"] += " · sleep here" if marker["kind"] == "sleep" else " · start here"
            marker.update(shift=[16, -16] if marker["kind"] == "sleep" else [-16, -16], z=-100, label=False)
    for i, (a, b) in enumerate(zip(points, points[1:]), start=1):
        if i in ferries:
            spec.lines.append({"pts": [a, b], "c": colour, "dash": "6 8", "tip": ferries[i]})
        else:
            spec.lines.append({"pts": [a, b], "c": colour, "tip": escape_text(team.name)})
    spec.legend = [{"c": colour, "label": f"{len(route)} stop(s), in order", "shape": "stop"}]
    if start is not None:
        spec.legend.append({"c": colour, "label": "start: " + escape_text(start.town or "last night"), "shape": "start"})
    if tonight is not None:
        spec.legend.append({"c": colour, "label": "sleep: " + escape_text(tonight.town or "tonight"), "shape": "sleep"})
    return _render(spec, assets)


def _same_spot(a, b, km: float = 2.0) -> bool:
    """Two points a phone's map would draw on top of each other at a town's zoom."""
    return abs(a[0] - b[0]) * 111 < km and abs(a[1] - b[1]) * 111 * math.cos(math.radians(a[0])) < km


def request_popup(pin: RequestPin) -> str:
    """A request for review: venue, town, status, audience, why unserved, the link."""
    lines = [f"<strong>{escape_text(pin.venue)}</strong>"]
    if pin.town:
        lines.append(escape_text(pin.town))
    lines.append(f'<span class="tour-popup-meta">{escape_text(pin.status)} · audience {int(pin.audience)}</span>')
    if pin.reason:
        reason = f"not served: {pin.reason}" + (f" ({pin.detail})" if pin.detail else "")
        lines.append(f"<em>{escape_text(reason)}</em>")
    if pin.precision:
        lines.append(f'<span class="tour-popup-meta">located by {escape_text(PRECISION_WORDS.get(pin.precision, pin.precision))}</span>')
    href = safe_href(pin.link)
    if href:
        lines.append(f'<a href="{href}">request {escape_text(pin.ref)}</a>')
    return "<br>".join(lines)


def request_map(
    pins: Iterable[RequestPin],
    routes: Sequence[tuple[TeamInfo, Sequence[tuple[float, float]]]] = (),
    *,
    assets: Optional[MapAssets] = None,
) -> MapParts:
    """Requests for review, coloured by status; unserved ones marked with their reason; a layer per status;
    the plan's routes as thin dashed lines, to see how far an unserved request is from one."""
    pins = list(pins)
    groups = sorted({_pin_group(p) for p in pins}, key=lambda g: list(STATUS_COLOURS).index(g) if g in STATUS_COLOURS else 99)
    index = {g: i for i, g in enumerate(groups)}
    spec = _Spec(cluster=len(pins) > 300, legend_title="Requests")
    for pin in pins:
        group = _pin_group(pin)
        colour = STATUS_COLOURS.get(group, PALETTE[-2])
        tip = escape_text(pin.venue) + (f" · not served: {escape_text(pin.reason)}" if pin.reason else f" · {escape_text(pin.status)}")
        spec.markers.append({
            "p": [round(pin.lat, 5), round(pin.lon, 5)], "k": [index[group]],
            "kind": "unserved" if pin.reason else "dot", "c": colour, "popup": request_popup(pin), "tip": tip,
        })
    counts = {g: sum(1 for p in pins if _pin_group(p) == g) for g in groups}
    spec.dims = [{"name": "Status", "keys": [_swatch(STATUS_COLOURS.get(g, PALETTE[-2]), f"{g} ({counts[g]})") for g in groups]}]
    spec.legend = [
        {"c": STATUS_COLOURS.get(g, PALETTE[-2]), "label": escape_text(f"{g} ({counts[g]})"),
         "shape": "unserved" if g == "unserved" else "dot"}
        for g in groups
    ]
    for i, (team, points) in enumerate(routes):
        colour = safe_colour(team.colour, i)
        if len(points) > 1:
            pts = [[round(lat, 4), round(lon, 4)] for lat, lon in points]
            spec.lines.append({"pts": pts, "c": colour, "w": 2, "dash": "4 6", "tip": escape_text(team.name)})
            spec.legend.append({"c": colour, "label": f"route of {escape_text(team.name)}", "shape": "line"})
    return _render(spec, assets)


def _pin_group(pin: RequestPin) -> str:
    return "unserved" if pin.reason else pin.status


def coverage_points(venues: Iterable[PublicVenue]) -> list[CoveragePoint]:
    """Towns reached, for everyone: a venue's own point only if it agreed, else its town at about 10 km."""
    exact: list[CoveragePoint] = []
    towns: dict[tuple, list[PublicVenue]] = {}
    for venue in venues:
        if venue.show_point and venue.name:
            label = f"{venue.name}, {venue.city}, {venue.region}".strip(", ")
            exact.append(CoveragePoint(round(venue.lat, 4), round(venue.lon, 4), label, 1, exact=True))
        else:
            towns.setdefault((venue.country, venue.region, venue.city.strip().lower()), []).append(venue)
    points = []
    for (_, region, _), group in sorted(towns.items()):
        lat = round(sum(v.lat for v in group) / len(group), 1)
        lon = round(sum(v.lon for v in group) / len(group), 1)
        label = ", ".join(x for x in (group[0].city.strip(), region) if x)
        points.append(CoveragePoint(lat, lon, label or "a town", len(group)))
    return points + exact


def coverage_map(points: Iterable[CoveragePoint], *, assets: Optional[MapAssets] = None) -> MapParts:
    """The public map on the home page: towns reached and how many screenings, nothing private."""
    spec = _Spec(max_zoom=7, legend_title="Where the tour goes")
    for point in points:
        word = "screening" if point.screenings == 1 else "screenings"
        text = f"{escape_text(point.label)}: {point.screenings} {word}"
        spec.markers.append({
            "p": [point.lat, point.lon], "kind": "town", "n": str(point.screenings) if point.screenings > 1 else "",
            "c": "#2b6cb0", "popup": text, "tip": text,
        })
    spec.cluster = len(spec.markers) > 300
    spec.legend = [{"c": "#2b6cb0", "label": "town with screenings", "shape": "dot"}]
    return _render(spec, assets, size="public")


def point_map(
    lat: float, lon: float, label: str, precision: str = "", *, assets: Optional[MapAssets] = None
) -> MapParts:
    """A small map for reviewing one request's location: a pin, and a circle as wide as the geocoder is unsure."""
    if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        raise ValueError(f"point_map: latitude {lat} / longitude {lon} is not a place on Earth")
    radius = PRECISION_RADIUS_M.get(precision, 15000)
    words = PRECISION_WORDS.get(precision, f"precision {precision}" if precision else "unknown precision")
    text = f"<strong>{escape_text(label)}</strong><br>{escape_text(words)}, within about {_metres(radius)}"
    point = [round(float(lat), 6), round(float(lon), 6)]
    spec = _Spec(max_zoom=16)
    spec.markers.append({"p": point, "kind": "dot", "c": "#c53030", "popup": text, "tip": escape_text(label)})
    spec.circles.append({"p": point, "r": radius, "c": "#c53030", "popup": text})
    return _render(spec, assets, size="small")


def _metres(radius: int) -> str:
    return f"{radius} m" if radius < 1000 else f"{radius / 1000:g} km"


def map_csp(nonce: str, tile_url: str = OSM_TILES) -> str:
    """The Content-Security-Policy of a page with a map (see the module docstring for why)."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.netloc:
            host = urlsplit(tile_url).netloc
            tiles = f" {parts.scheme}://{host.replace('{s}', '*')}"
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:{tiles}; "
        "connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
