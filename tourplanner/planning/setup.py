"""Setting up a season and its teams: names, rules, bases and members, saved unless someone else saved first."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..conflicts import bump_version, check_version, commit_or_conflict
from ..extensions import db
from ..models import Plan, Season, Team, TeamMember, Visit
from ..optimize.instance import DEFAULT_WEIGHTS
from ..optimize.search import CROWDED_KM_FACTOR
from .season_input import PlanningError


def objective_defaults() -> dict:
    """The optimizer's documented objective weights (what an empty season setting means), and how many times a km
    counts in a crowded season (what the season form tells the coordinator)."""
    return {**DEFAULT_WEIGHTS, "crowded_km_factor": CROWDED_KM_FACTOR}


def save_season(season: Season | None, *, name: str, start_date: dt.date, weeks: int, rules: dict,
                version=None) -> Season:
    """Create a season, or update one unless someone else saved it since `version` was read (EditConflict)."""
    clash = db.session.scalar(select(Season).where(Season.name == name))
    if clash is not None and clash is not season:
        raise PlanningError(f"a season named {name!r} exists already")
    if season is None:
        season = Season(name=name, start_date=start_date, weeks=weeks, rules=dict(rules))
        db.session.add(season)
    else:
        if version is not None:  # None: a caller with no form (nothing to be stale against)
            check_version(season, version)
        bump_version(season)
        season.name, season.start_date, season.weeks, season.rules = name, start_date, weeks, dict(rules)
    commit_or_conflict()
    return season


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40] or "team"


def parse_members(text: str) -> list[tuple[str, str]]:
    """'Ana Ruiz <ana@example.org>' (or 'Ana Ruiz, ana@...' or a bare address) per line -> [(name, email)]."""
    members, problems = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", line) or re.fullmatch(r"(.*?)\s*[,;]?\s+(\S+@\S+)", line)
        name, email = (match.group(1), match.group(2)) if match else ("", line) if "@" in line else (line, "")
        name = name.strip().strip(",;").strip()
        shown = line if len(line) <= 60 else line[:57] + "..."
        if not name or not email:
            missing = "name" if not name else "email address"
            problems.append(f'line {number} ("{shown}") has no {missing}: '
                            "write each member as a name and an email, like Ana Ruiz <ana@example.org>")
            continue
        try:
            email = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(f'line {number} ("{shown}"): {exc}')
            continue
        if len(name) > 120:
            problems.append(f"line {number}: a name has at most 120 characters")
            continue
        members.append((name, email))
    if len(members) > 20:
        problems.append(f"{len(members)} members; a team has at most 20")
    if problems:
        raise PlanningError("; ".join(problems))
    return members


def save_team(season: Season, team: Team | None, *, name: str, slug: str, colour: str, place, base_name: str,
              region_hint: str, members: list[tuple[str, str]], version=None) -> Team:
    """Create or update a team; members are matched by email so their feed links survive an edit."""
    slug = slugify(slug or name)
    for other in season.teams:
        if other is not team and (other.slug == slug or other.name == name):
            raise PlanningError(f"season {season.name} has a team named {other.name!r} ({other.slug}) already")
    if team is None:
        team = Team(season=season)
        db.session.add(team)
    else:
        if version is not None:
            check_version(team, version)
        bump_version(team)  # also when only its members change
    team.name, team.slug, team.colour, team.region_hint = name, slug, colour, region_hint
    if place is not None:
        team.base_lat, team.base_lon, team.base_tz = place.lat, place.lon, place.tz
        team.base_name = base_name[:120]
    by_email = {m.email.lower(): m for m in team.members if m.email}
    keep = []
    for member_name, email in members:
        member = by_email.pop(email.lower(), None) if email else None
        if member is None:
            member = TeamMember(name=member_name, email=email)
            team.members.append(member)
        member.name = member_name
        keep.append(member)
    for member in list(team.members):
        if member not in keep:
            team.members.remove(member)
    commit_or_conflict()
    return team


def delete_team(team: Team) -> None:
    """Remove a team that no plan uses (a planned team stays: its visits are history)."""
    used = db.session.scalars(
        select(Plan.number).join(Visit, Visit.plan_id == Plan.id).where(Visit.team_id == team.id).distinct()
    ).all()
    if used:
        raise PlanningError(
            f"team {team.name} has visits in plan version(s) {', '.join(map(str, sorted(used)))}; "
            "it cannot be deleted"
        )
    db.session.delete(team)
    db.session.commit()
