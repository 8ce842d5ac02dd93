"""Map builders: user text only escaped, the right markers and lines, no CDN, privacy of the public map."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from zoneinfo import ZoneInfo

import folium
import pytest

from tourplanner import maps

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "back`tick`",
    "${alert(3)}",
    "\\`);alert(4);//",
    "St Mary\\`)[0];alert(7);//",
    "{{ 7*7 }}{% if 1 %}jinja{% endif %}{# c #}",  # folium/branca re-template rendered scripts
]
PAYLOAD_VENUE = "St Mary\\`)[0];alert(7);//<img src=x onerror=alert(1)>${alert(3)}</script>"
CHICAGO = ZoneInfo("America/Chicago")
START = dt.date(2027, 2, 1)  # a Monday
ASSETS = maps.MapAssets(nonce="n0nce")


def spec_of(parts: maps.MapParts) -> dict:
    """The JSON spec a map hands to tourmap.js."""
    match = re.search(r"TourMap\.draw\(\w+, (\{.*\})\);", str(parts.body))
    assert match, "no TourMap.draw call in the map"
    return json.loads(match.group(1))


def stop(team="north", day=0, hour=10, venue="Lincoln High School", lat=39.78, lon=-89.65, **kw):
    start = dt.datetime.combine(START + dt.timedelta(days=day), dt.time(hour), CHICAGO)
    return maps.Stop(team=team, lat=lat, lon=lon, start=start, venue=venue, town="Springfield, IL",
                     audience=kw.pop("audience", 120), status=kw.pop("status", "scheduled"),
                     ref=kw.pop("ref", "r1"), link=kw.pop("link", "/admin/requests/1"), **kw)


TEAMS = [maps.TeamInfo("north", "North van", "#1f77b4"), maps.TeamInfo("south", "South van", "#d62728")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_nothing_that_breaks_out(payload):
    text = maps.escape_text(payload)
    for char in "<>`$\\\"'":
        assert char not in text
    assert html.unescape(text) == payload  # shown as exactly what the venue typed


def test_escape_text_of_none_and_numbers():
    assert maps.escape_text(None) == ""
    assert maps.escape_text(12) == "12"


def all_builders(venue: str) -> dict[str, maps.MapParts]:
    stops = [stop(venue=venue, day=0), stop(venue="Second", day=1, lat=40.1, lon=-88.2, ref="r2")]
    night = maps.Sleep("north", START, 40.0, -89.0, town=venue)
    pin = maps.RequestPin(39.7, -89.6, venue, town=venue, status="approved", ref="r9",
                          link="/admin/requests/9", reason="no_window", detail=venue)
    return {
        "season": maps.season_map(TEAMS, stops, season_start=START, assets=ASSETS),
        "team": maps.team_map(TEAMS[0], stops, [night], season_start=START, assets=ASSETS),
        "day": maps.day_map(TEAMS[0], START, stops, start=night, tonight=night, assets=ASSETS),
        "requests": maps.request_map([pin], assets=ASSETS),
        "coverage": maps.coverage_map(maps.coverage_points(
            [maps.PublicVenue(39.7, -89.6, venue, "IL", "US", name=venue, show_point=True)]), assets=ASSETS),
        "point": maps.point_map(39.7, -89.6, venue, "zip", assets=ASSETS),
    }


@pytest.mark.parametrize("payload", PAYLOADS + [PAYLOAD_VENUE])
def test_payload_venue_appears_only_escaped(payload):
    escaped = maps.escape_text(payload)
    for name, parts in all_builders(payload).items():
        page = str(parts)
        assert payload not in page, name
        assert escaped in json.dumps(spec_of(parts)), name  # the escaped text is what the popups carry
        assert "`" not in page, name  # nothing can open or close a JS template literal
        assert page.count("</script>") == page.count("<script"), name  # no early end of a script
        decoded = json.dumps(spec_of(parts), ensure_ascii=False)
        assert "<img" not in decoded and "<script" not in decoded and "${" not in decoded, name


def test_jinja_in_a_venue_name_is_not_evaluated():
    for name, parts in all_builders("{{ 7*7 }} {% for x in range(3) %}X{% endfor %}").items():
        spec = json.dumps(spec_of(parts), ensure_ascii=False)
        assert "{{ 7*7 }} {% for x in range(3) %}X{% endfor %}" in spec, name
        assert "49" not in spec and "XXX" not in spec, name
        assert "{{" not in str(parts) and "{%" not in str(parts), name


def test_team_name_and_colour_are_made_safe_in_legend_and_layer_control():
    bad = maps.TeamInfo("x", "<b onmouseover=alert(1)>Van</b>", "red;background:url(javascript:alert(1))")
    spec = spec_of(maps.season_map([bad], [stop(team="x")], season_start=START, assets=ASSETS))
    text = json.dumps(spec)
    assert "<b onmouseover" not in text and "javascript:" not in text
    assert spec["markers"][0]["c"] == maps.PALETTE[0]
    assert maps.escape_text(bad.name) in spec["legend"][0]["label"]


def test_popup_links_only_to_this_site_or_http():
    assert maps.safe_href("javascript:alert(1)") == ""
    assert maps.safe_href("//evil.example/x") == ""
    assert maps.safe_href("/admin/requests/3?a=1&b=2") == "/admin/requests/3?a=1&amp;b=2"
    spec = spec_of(maps.day_map(TEAMS[0], START, [stop(link="javascript:alert(1)")], assets=ASSETS))
    assert "javascript" not in spec["markers"][0]["popup"]


def test_popup_has_venue_local_time_audience_status_and_link():
    popup = spec_of(maps.day_map(TEAMS[0], START, [stop(hour=10)], assets=ASSETS))["markers"][0]["popup"]
    assert "Lincoln High School" in popup
    assert "Mon 1 Feb 2027, 10:00 CST" in popup
    assert "audience 120" in popup and "scheduled" in popup
    assert '<a href="/admin/requests/1">request r1</a>' in popup


def test_season_map_numbers_stops_per_team_and_splits_lines_by_week():
    stops = [stop(day=d, ref=f"n{d}", lat=39 + d / 10) for d in (0, 1, 2, 7, 8)]  # 3 in week 1, 2 in week 2
    stops += [stop(team="south", day=d, ref=f"s{d}", lat=35 + d / 10) for d in (1, 3)]
    parts = maps.season_map(TEAMS, stops, season_start=START, assets=ASSETS)
    spec = spec_of(parts)
    assert parts.markers == len(spec["markers"]) == 7
    north = [m for m in spec["markers"] if m["k"][0] == 0]
    assert [m["n"] for m in north] == ["1", "2", "3", "4", "5"]
    assert [m["k"][1] for m in north] == [0, 0, 0, 1, 1]
    # north: week 1 line through 3 stops, week 2 line from the last week-1 stop through 2 more; south: one line
    assert sorted(len(line["pts"]) for line in spec["lines"]) == [2, 3, 3]
    assert parts.lines == 3
    assert [d["name"] for d in spec["dims"]] == ["Teams", "Weeks"]
    assert spec["dims"][1]["keys"] == ["Week 1 · 1 Feb", "Week 2 · 8 Feb"]
    assert spec["cluster"] is True
    assert [item["label"] for item in spec["legend"]] == ["North van", "South van"]


def test_season_map_refuses_a_stop_of_an_unknown_team():
    with pytest.raises(ValueError, match="team 'west'"):
        maps.season_map(TEAMS, [stop(team="west")], season_start=START, assets=ASSETS)


def test_team_map_routes_through_nights():
    stops = [stop(day=0, hour=10), stop(day=0, hour=15, lat=39.9), stop(day=1, hour=11, lat=40.5)]
    nights = [maps.Sleep("north", START, 40.2, -89.0, "Bloomington, IL"), maps.Sleep("south", START, 1, 1, "x")]
    spec = spec_of(maps.team_map(TEAMS[0], stops, nights, season_start=START, assets=ASSETS))
    kinds = [m["kind"] for m in spec["markers"]]
    assert kinds == ["stop", "stop", "sleep", "stop"]
    assert len(spec["lines"]) == 1  # one drive line for the week, through the night
    assert spec["lines"][0]["pts"][2] == [40.2, -89.0]


def test_day_map_has_start_stops_and_bed_joined_by_lines():
    stops = [stop(day=2, hour=9), stop(day=2, hour=14, lat=40.0), stop(day=3, hour=9)]
    start = maps.Sleep("north", START + dt.timedelta(days=1), 39.5, -89.9, "Jacksonville, IL")
    tonight = maps.Sleep("north", START + dt.timedelta(days=2), 40.4, -88.9, "Normal, IL")
    spec = spec_of(maps.day_map(TEAMS[0], START + dt.timedelta(days=2), stops, start=start, tonight=tonight, assets=ASSETS))
    assert [m["kind"] for m in spec["markers"]] == ["start", "stop", "stop", "sleep"]
    assert [m.get("n") for m in spec["markers"] if m["kind"] == "stop"] == ["1", "2"]
    assert len(spec["lines"]) == 3
    assert "Normal, IL" in spec["markers"][-1]["popup"]


def test_request_map_colours_by_status_and_marks_unserved_with_reason():
    pins = [
        maps.RequestPin(39, -89, "A", status="confirmed"),
        maps.RequestPin(40, -89, "B", status="approved", reason="too_far", detail="312 km from any route"),
        maps.RequestPin(41, -89, "C", status="submitted"),
    ]
    spec = spec_of(maps.request_map(pins, assets=ASSETS))
    by_venue = {m["tip"].split(" · ")[0]: m for m in spec["markers"]}
    assert by_venue["A"]["c"] == maps.STATUS_COLOURS["confirmed"]
    assert by_venue["B"]["kind"] == "unserved" and by_venue["B"]["c"] == maps.STATUS_COLOURS["unserved"]
    assert "not served: too_far (312 km from any route)" in by_venue["B"]["popup"]
    assert [item["label"] for item in spec["legend"]] == ["submitted (1)", "confirmed (1)", "unserved (1)"]
    assert spec["lines"] == []
    routed = spec_of(maps.request_map(pins, [(TEAMS[0], [(39, -89), (40.5, -88)]), (TEAMS[1], [(1, 1)])], assets=ASSETS))
    assert len(routed["lines"]) == 1 and routed["lines"][0]["dash"] == "4 6"  # a one-point route draws nothing
    assert routed["legend"][-1]["label"] == "route of North van"


def test_coverage_points_hide_exact_places_unless_agreed():
    venues = [
        maps.PublicVenue(39.78171, -89.65012, "Springfield", "IL", "US", name="Secret School", show_point=False),
        maps.PublicVenue(39.80123, -89.61011, "Springfield", "IL", "US", name="Other", show_point=False),
        maps.PublicVenue(43.65, -79.38, "Toronto", "ON", "CA", name="Open Church", show_point=True),
    ]
    points = maps.coverage_points(venues)
    town = next(p for p in points if not p.exact)
    assert (town.label, town.screenings) == ("Springfield, IL", 2)
    assert (town.lat, town.lon) == (39.8, -89.6)  # a town, not a venue's door
    exact = next(p for p in points if p.exact)
    assert exact.label == "Open Church, Toronto, ON"
    page = str(maps.coverage_map(points, assets=ASSETS))
    assert "Secret School" not in page and "39.78171" not in page
    assert "Open Church" in page


def test_point_map_circle_follows_precision():
    for precision, radius in (("given", 50), ("zip", 3000), ("city", 8000), ("", 15000)):
        spec = spec_of(maps.point_map(45.5, -73.6, "Montréal", precision, assets=ASSETS))
        assert spec["circles"][0]["r"] == radius
        assert len(spec["markers"]) == 1
    with pytest.raises(ValueError, match="latitude 95"):
        maps.point_map(95, 0, "x", "zip")


def test_no_cdn_only_app_assets_and_the_tile_url():
    before = list(folium.Map.default_js)
    for name, parts in all_builders("Lincoln").items():
        page = str(parts)
        assert "cdn" not in page.lower(), name
        sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page)
        assert sources and all(src.startswith("/maps/assets/") for src in sources), (name, sources)
        others = set(re.findall(r"https://[^\"'\s\\]+", page))
        assert others <= {maps.OSM_TILES, "https://www.openstreetmap.org/copyright"}, (name, others)
        assert page.count('nonce="n0nce"') == 1, name
    assert folium.Map.default_js == before  # folium's shared class list is left alone


def test_tile_url_is_configurable_and_optional():
    custom = maps.MapAssets(tile_url="https://tiles.example.org/{z}/{x}/{y}.png", tile_attribution="Example tiles")
    page = str(maps.point_map(45, -75, "x", "zip", assets=custom))
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in page and "Example tiles" in page
    assert "openstreetmap" not in page
    bare = str(maps.point_map(45, -75, "x", "zip", assets=maps.MapAssets(tile_url="")))
    assert "L.tileLayer" not in bare
    assert "/maps/assets/tour/outlines.geojson" in bare  # outlines and graticule still drawn


def test_map_csp_allows_the_nonce_and_the_tile_host_only():
    policy = maps.map_csp("abc", "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert "script-src 'self' 'nonce-abc';" in policy
    assert "img-src 'self' data: https://*.tile.example.org;" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy


def test_two_thousand_stops_build_fast():
    stops = [stop(team=TEAMS[i % 2].key, day=(i // 40) % 77, hour=8 + i % 10, lat=30 + (i % 97) / 5,
                  lon=-120 + (i % 89) / 2, ref=f"r{i}", venue=f"Venue {i}") for i in range(2000)]
    started = time.perf_counter()
    parts = maps.season_map(TEAMS, stops, season_start=START, assets=ASSETS)
    elapsed = time.perf_counter() - started
    assert parts.markers == 2000
    assert elapsed < 5.0  # bench/maps.py measures the real figure (well under 1 s); this catches regressions
