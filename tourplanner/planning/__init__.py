"""The one place that turns season rows into an optimizer instance and a solved plan back into rows.

season_input: rows -> instance; storage: plan -> rows; publishing: what venues and Nomads see, and the
venues' emails; versions: comparing plans; setup: seasons and teams. Callers use `planning.X`.
"""

from __future__ import annotations

from .publishing import (PublishError, PublishPreview, PublishResult, publish, publish_preview, send_now,
                         venue_email, venue_link, venue_messages)
from .season_input import (PLANNABLE_STATUSES, RESULT_PARAMS, PlanningError, build_instance, confirmed_dates,
                           expand_windows, input_hash, instance_dict, plan_for_input, region_codes, request_dict,
                           season_instance, team_dict)
from .setup import delete_team, objective_defaults, parse_members, save_season, save_team, slugify
from .storage import DROPPED_DETAIL, PlanRejected, dropped_by_hand, ferry_columns, save_plan
from .versions import Comparison, Move, compare, replan_words

__all__ = [
    "DROPPED_DETAIL", "PLANNABLE_STATUSES", "RESULT_PARAMS", "Comparison", "Move", "PlanRejected",
    "PlanningError", "PublishError", "PublishPreview", "PublishResult", "build_instance", "compare",
    "confirmed_dates", "delete_team", "dropped_by_hand", "expand_windows", "ferry_columns", "input_hash",
    "instance_dict", "objective_defaults", "parse_members", "plan_for_input", "publish",
    "publish_preview", "region_codes", "replan_words", "request_dict", "save_plan", "save_season", "save_team",
    "season_instance", "send_now", "slugify", "team_dict", "venue_email", "venue_link", "venue_messages",
]
