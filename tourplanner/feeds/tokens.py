"""Feed tokens: the secret links to calendars, issued, looked up and revoked (only their hash is stored)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from ..extensions import db
from ..models import FeedToken, Request, Season, Team, TeamMember, hash_token, new_token, tokens_match
from ..secret_links import is_token


class FeedError(ValueError):
    """A feed that cannot be made as asked (the message names what is wrong)."""


def token_row(token: str) -> Optional[FeedToken]:
    """The live FeedToken of a link, or None for any unknown, revoked or malformed token."""
    if not is_token(token):
        return None
    row = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_token(token)))
    if row is None or row.revoked_dt is not None or not tokens_match(token, row.token_hash):
        return None
    return row


def live_tokens(season: Season, **target) -> list[FeedToken]:
    query = select(FeedToken).where(FeedToken.season_id == season.id, FeedToken.revoked_dt.is_(None))
    for column, value in target.items():
        query = query.where(getattr(FeedToken, column) == value)
    return list(db.session.scalars(query.order_by(FeedToken.id)))


def issue_token(season: Season, kind: str, *, team: Team | None = None, member: TeamMember | None = None,
                request: Request | None = None, now: dt.datetime) -> str:
    """A new secret link for one feed; earlier links to the same feed stop working. Returns the token once."""
    target = _target(season, kind, team=team, member=member, request=request)
    for old in live_tokens(season, kind=kind, **target):
        old.revoked_dt = now
    token, token_hash = new_token()
    db.session.add(FeedToken(token_hash=token_hash, kind=kind, season_id=season.id, created_dt=now, **target))
    db.session.commit()
    return token


def revoke_token(row: FeedToken, *, now: dt.datetime) -> None:
    if row.revoked_dt is None:
        row.revoked_dt = now
        db.session.commit()


def _target(season: Season, kind: str, *, team, member, request) -> dict:
    """The columns naming a feed's subject, checked against the season."""
    if kind == "team":
        if team is None or team.season_id != season.id:
            raise FeedError(f"a team feed needs a team of season {season.name}")
        return {"team_id": team.id, "member_id": None, "request_id": None}
    if kind == "member":
        if member is None or member.team.season_id != season.id:
            raise FeedError(f"a member feed needs a team member of season {season.name}")
        return {"team_id": member.team_id, "member_id": member.id, "request_id": None}
    if kind == "venue":
        if request is None or request.season_id != season.id:
            raise FeedError(f"a venue feed needs a request of season {season.name}")
        return {"team_id": None, "member_id": None, "request_id": request.id}
    if kind == "coordinators":
        return {"team_id": None, "member_id": None, "request_id": None}
    raise FeedError(f"unknown feed kind {kind!r}; use team, member, venue or coordinators")


def team_for_token(row: FeedToken, slug: str | None = None) -> Optional[Team]:
    """The team whose day a feed token may show: its own (team, member), or any named one (coordinators)."""
    if row.kind == "team":
        return row.team
    if row.kind == "member":
        return row.member.team if row.member else None
    if row.kind == "coordinators" and slug:
        return db.session.scalar(select(Team).where(Team.season_id == row.season_id, Team.slug == slug))
    return None
