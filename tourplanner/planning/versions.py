"""Comparing plan versions: what moved, what came and went, and what a re-plan kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import Plan, Visit


def replan_words(plan: Plan) -> str:
    """'re-planned from version 1: 262 visits kept, 2 moved, 0 dropped, 0 no longer requested' after a re-plan."""
    s = plan.solver or {}
    if "kept" not in s or "previous_plan" not in s:
        return ""
    return (f"re-planned from version {s['previous_plan']}: {s['kept']} visits kept, {s['moved']} moved, "
            f"{s['dropped']} dropped, {s.get('withdrawn', 0)} no longer requested")


@dataclass
class Move:
    ref: str
    name: str
    old_start: dt.datetime
    new_start: dt.datetime
    old_team: str
    new_team: str
    tz: str = "UTC"  # the venue's zone, for showing local times


@dataclass
class Comparison:
    """What changed from plan a to plan b (cancelled visits count as not served)."""

    a: Plan
    b: Plan
    added: list[Visit]
    removed: list[Visit]
    moved: list[Move]
    unchanged: int


def compare(plan_a: Plan, plan_b: Plan) -> Comparison:
    """Requests added, removed, and moved (old and new time and team) between two versions."""
    old = {v.request_id: v for v in plan_a.visits if not v.cancelled}
    new = {v.request_id: v for v in plan_b.visits if not v.cancelled}
    added = sorted((new[k] for k in new.keys() - old.keys()), key=lambda v: v.start_dt)
    removed = sorted((old[k] for k in old.keys() - new.keys()), key=lambda v: v.start_dt)
    moved, unchanged = [], 0
    for key in sorted(old.keys() & new.keys(), key=lambda k: new[k].start_dt):
        a, b = old[key], new[key]
        if a.start_dt == b.start_dt and a.team_id == b.team_id:
            unchanged += 1
            continue
        moved.append(Move(ref=b.request.ref, name=b.request.venue.name, old_start=a.start_dt, new_start=b.start_dt,
                          old_team=a.team.name, new_team=b.team.name, tz=b.request.venue.tz or "UTC"))
    return Comparison(a=plan_a, b=plan_b, added=added, removed=removed, moved=moved, unchanged=unchanged)
