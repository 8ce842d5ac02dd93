"""Drawing a map: folium + Leaflet served by the app, every user string escaped once: folium + Leaflet served by the app, every user string escaped once.

The builders (maps.routes, maps.places) take plain inputs and a MapAssets saying where the app serves
Leaflet, jQuery, Leaflet.markercluster and tourmap.js/css, fill a Spec, and render() returns MapParts
(head links + the map div and its script). No database; Flask only to ask the serving app for its
assets when a caller passes none (app_assets).

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

import html
import json
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urlsplit

import folium
from branca.element import CssLink, Element, JavascriptLink
from flask import current_app, has_app_context
from markupsafe import Markup

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_REFERRER_POLICY = "strict-origin-when-cross-origin"  # Leaflet 1.9 TileLayer option referrerPolicy
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
OUTLINES_ATTRIBUTION = "outlines: geoBoundaries"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
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
class Spec:
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

    def __init__(self, spec: Spec, assets: MapAssets):
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


APP_ASSETS = "tourplanner.maps"  # the app.extensions key under which views.maps says how to make a MapAssets


def app_assets() -> MapAssets:
    """The serving app's assets for this response (tiles from config, the CSP nonce), else the defaults.

    A builder called without assets (the request review page, /tour) draws with these, read when it draws."""
    if has_app_context():
        provider = current_app.extensions.get(APP_ASSETS)
        if provider is not None:
            return provider()
    return MapAssets()


def render(spec: Spec, assets: Optional[MapAssets], size: str = "") -> MapParts:
    """folium renders the map; the head keeps only our links, the body is the div and one script."""
    assets = assets or app_assets()
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


def swatch(colour: str, name: str) -> str:
    return f'<span class="tour-swatch" style="background:{colour}"></span> {escape_text(name)}'


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
