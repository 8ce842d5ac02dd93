"""Maps of a plan's routes: all teams for a season, one team's season, a Nomad's day.

Stops are numbered in driving order, nights sit after a day's last stop, and a drive that crosses on a
car ferry is drawn dashed between its terminals, not as a road over the sea.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from .draw import MapAssets, MapParts, Spec, escape_text, render, safe_colour, safe_href, swatch

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
    spec = Spec(cluster=True, legend_title="Teams")
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
        {"name": "Teams", "keys": [swatch(colours[t.key], t.name) for t in teams]},
        {"name": "Weeks", "keys": [escape_text(_week_label(w, season_start)) for w in weeks]},
    ]
    spec.legend = [{"c": colours[t.key], "label": escape_text(t.name), "shape": "stop"} for t in teams]
    return render(spec, assets)


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
    spec = Spec(cluster=len(route) > 300, legend_title=escape_text(team.name))
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
    return render(spec, assets)


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
    spec = Spec(max_zoom=13, legend_title=escape_text(f"{team.name}, {day:%a} {day.day} {day:%b %Y}"),
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
    return render(spec, assets)


def _same_spot(a, b, km: float = 2.0) -> bool:
    """Two points a phone's map would draw on top of each other at a town's zoom."""
    return abs(a[0] - b[0]) * 111 < km and abs(a[1] - b[1]) * 111 * math.cos(math.radians(a[0])) < km
