"""Maps of the tour as HTML parts: draw (escaping, assets, rendering, the map CSP), routes (season, team
and day maps of a plan) and places (requests, public coverage, one venue's point).

Builders take plain inputs and return MapParts; views.maps reads the plan and passes them in.
"""

from .draw import (
    APP_ASSETS,
    OSM_ATTRIBUTION,
    OSM_TILES,
    PALETTE,
    MapAssets,
    MapParts,
    app_assets,
    escape_text,
    map_csp,
    safe_colour,
    safe_href,
    script_json,
)
from .places import (
    PRECISION_RADIUS_M,
    PRECISION_WORDS,
    STATUS_COLOURS,
    CoveragePoint,
    PublicVenue,
    RequestPin,
    coverage_map,
    coverage_points,
    point_map,
    request_map,
    request_popup,
)
from .routes import FerryCrossing, Sleep, Stop, TeamInfo, day_map, local_when, season_map, stop_popup, team_map, week_of

__all__ = [
    "APP_ASSETS", "OSM_ATTRIBUTION", "OSM_TILES", "PALETTE", "PRECISION_RADIUS_M", "PRECISION_WORDS",
    "STATUS_COLOURS", "CoveragePoint", "FerryCrossing", "MapAssets", "MapParts", "PublicVenue", "RequestPin",
    "Sleep", "Stop", "TeamInfo", "app_assets", "coverage_map", "coverage_points", "day_map", "escape_text",
    "local_when", "map_csp", "point_map", "request_map", "request_popup", "safe_colour", "safe_href",
    "script_json", "season_map", "stop_popup", "team_map", "week_of",
]
