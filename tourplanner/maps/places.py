"""Maps of places rather than routes: requests by status, the public coverage map, one venue's point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from .draw import PALETTE, MapAssets, MapParts, Spec, escape_text, render, safe_colour, safe_href, swatch
from .routes import TeamInfo

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
    spec = Spec(cluster=len(pins) > 300, legend_title="Requests")
    for pin in pins:
        group = _pin_group(pin)
        colour = STATUS_COLOURS.get(group, PALETTE[-2])
        tip = escape_text(pin.venue) + (f" · not served: {escape_text(pin.reason)}" if pin.reason else f" · {escape_text(pin.status)}")
        spec.markers.append({
            "p": [round(pin.lat, 5), round(pin.lon, 5)], "k": [index[group]],
            "kind": "unserved" if pin.reason else "dot", "c": colour, "popup": request_popup(pin), "tip": tip,
        })
    counts = {g: sum(1 for p in pins if _pin_group(p) == g) for g in groups}
    spec.dims = [{"name": "Status", "keys": [swatch(STATUS_COLOURS.get(g, PALETTE[-2]), f"{g} ({counts[g]})") for g in groups]}]
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
    return render(spec, assets)


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
    spec = Spec(max_zoom=7, legend_title="Where the tour goes")
    for point in points:
        word = "screening" if point.screenings == 1 else "screenings"
        text = f"{escape_text(point.label)}: {point.screenings} {word}"
        spec.markers.append({
            "p": [point.lat, point.lon], "kind": "town", "n": str(point.screenings) if point.screenings > 1 else "",
            "c": "#2b6cb0", "popup": text, "tip": text,
        })
    spec.cluster = len(spec.markers) > 300
    spec.legend = [{"c": "#2b6cb0", "label": "town with screenings", "shape": "dot"}]
    return render(spec, assets, size="public")


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
    spec = Spec(max_zoom=16)
    spec.markers.append({"p": point, "kind": "dot", "c": "#c53030", "popup": text, "tip": escape_text(label)})
    spec.circles.append({"p": point, "r": radius, "c": "#c53030", "popup": text})
    return render(spec, assets, size="small")


def _metres(radius: int) -> str:
    return f"{radius} m" if radius < 1000 else f"{radius / 1000:g} km"
