"""Plan review: what a coordinator reads off a plan (KPIs, itineraries, grid, unserved), exports and edits.

The package's public names, imported as `review.<name>` by the views, the feeds and the tests:
readmodel (lookups and a plan's rows, shared with feeds and maps), itinerary (days, the week grid,
KPIs, day sheets), unserved (suggestions), exports (CSV, plan JSON) and edits (pins, moves, drops).
"""

from .edits import (
    RULE_WORDS,
    EditRefused,
    copy_plan,
    drop_visit,
    held_out,
    lock_visit,
    move_visit,
    parse_local_start,
    pin_before,
    plain_reason,
    put_back,
    rederive_team,
    require_draft,
    reschedule,
    store_edit,
    try_edit,
    unlock_visit,
)
from .exports import ITINERARY_COLUMNS, itinerary_csv, plan_dict, plan_dict_kpis, preload_requests
from .itinerary import (
    FERRY_CHECK_IN_MINUTES,
    NEAR_TOWN_KM,
    Day,
    Event,
    day_sheet,
    days_off,
    ferry_dict,
    ferry_text,
    kpis,
    leg,
    leg_start,
    local_event,
    night_town,
    rest_of_leg,
    season_days,
    team_itinerary,
    town_of,
    week_grid,
)
from .readmodel import (
    REQUEST_COLUMNS,
    Night,
    NotFound,
    RequestInfo,
    Stop,
    Unserved,
    VenueInfo,
    plan_overnights,
    plan_unserved,
    plan_version,
    plan_visit_rows,
    plan_visits,
    request_info,
    season_named,
    sheet_plan,
    team_by_slug,
    visit_in,
)
from .unserved import REASONS, TeamPositions, available_mask, describe_days, suggestion, unserved_rows

__all__ = [
    "FERRY_CHECK_IN_MINUTES", "ITINERARY_COLUMNS", "NEAR_TOWN_KM", "REASONS", "REQUEST_COLUMNS", "RULE_WORDS",
    "Day", "EditRefused", "Event", "Night", "NotFound", "RequestInfo", "Stop",
    "TeamPositions", "Unserved", "VenueInfo", "available_mask",
    "copy_plan", "day_sheet", "days_off", "describe_days", "drop_visit", "ferry_dict", "ferry_text",
    "held_out", "itinerary_csv", "kpis", "leg", "leg_start", "local_event", "lock_visit",
    "move_visit", "night_town", "parse_local_start", "pin_before", "plain_reason", "plan_dict", "plan_dict_kpis",
    "plan_overnights", "plan_unserved", "plan_version", "plan_visit_rows", "plan_visits", "preload_requests",
    "put_back", "rederive_team", "request_info", "require_draft", "reschedule", "rest_of_leg", "season_days",
    "season_named", "sheet_plan", "store_edit", "suggestion", "team_by_slug",
    "team_itinerary", "town_of", "try_edit", "unlock_visit", "unserved_rows", "visit_in", "week_grid",
]
