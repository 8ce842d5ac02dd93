"""Feed bytes cached until the plan changes: the version key from two cheap queries, and the hot path
that serves a polled feed without loading any row as an object."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import FeedToken, Plan, Request, Season, Team, Visit, hash_token, tokens_match
from ..secret_links import is_token

CACHE_SIZE = 256


@dataclasses.dataclass(frozen=True)
class Feed:
    """A feed's bytes, the time of its latest change (for Last-Modified) and their ETag, hashed once."""

    body: bytes
    last_modified: dt.datetime
    etag: str = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", body_etag(self.body))


_cache: "OrderedDict[tuple, tuple[float, Feed]]" = OrderedDict()
_cache_lock = threading.Lock()


def cached(key: tuple, season: Season, team_ids: Optional[list[int]], now: dt.datetime, build, *,
            request_id: int | None = None) -> Feed:
    """A feed is rebuilt when the published plan, a visit, request or team in it changes, and at the latest
    after FEED_CACHE_SECONDS (venue rows carry no version, so a corrected address shows up by then)."""
    plan = season.published_plan()
    version = plan_version(season.id, season.name, (plan.id, plan.published_dt) if plan else None, team_ids,
                           request_id, now)
    full_key = (current_app.config.get("SQLALCHEMY_DATABASE_URI"), *key, version)
    feed = _cache_get(full_key)
    if feed is None:
        feed = build(plan)
        with _cache_lock:
            _cache[full_key] = (time.monotonic(), feed)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return feed


def _cache_get(full_key: tuple) -> Optional[Feed]:
    max_age = current_app.config.get("FEED_CACHE_SECONDS", 600)
    with _cache_lock:
        hit = _cache.get(full_key)
        if hit is not None and time.monotonic() - hit[0] < max_age:
            _cache.move_to_end(full_key)
            return hit[1]
    return None


def cached_feed(token: str, *, host: str, now: dt.datetime) -> Optional[Feed]:
    """A live link's feed straight from the cache, or None (unknown link, or not cached: build it then).

    Every calendar app polls its feed, so this is the hot path: three Core queries that read columns (the link
    with its published plan, then the version), no ORM objects, and the cache key that `team_feed`, `coordinators_feed` and `venue_feed` would compute.
    """
    if not is_token(token):
        return None
    latest = _published(FeedToken.season_id).correlate(FeedToken)  # in the same statement as the link
    link = db.session.execute(
        select(FeedToken.id, FeedToken.token_hash, FeedToken.kind, FeedToken.season_id, FeedToken.team_id,
               FeedToken.request_id, FeedToken.revoked_dt, Season.name,
               latest.with_only_columns(Plan.id).scalar_subquery().label("plan_id"),
               latest.with_only_columns(Plan.published_dt).scalar_subquery().label("published_dt"))
        .join(Season, Season.id == FeedToken.season_id)
        .where(FeedToken.token_hash == hash_token(token))).first()
    if link is None or link.revoked_dt is not None or not tokens_match(token, link.token_hash):
        return None
    team_ids, request_id = None, None
    if link.kind in ("team", "member"):
        key, team_ids = ("team", link.team_id, host, link.id), [link.team_id]
    elif link.kind == "venue":
        key, request_id = ("venue", link.request_id, host), link.request_id
    else:  # every visit of a season's plan is one of its teams': no team filter
        key = ("coordinators", link.season_id, host, link.id)
    plan = (link.plan_id, link.published_dt) if link.plan_id is not None else None
    version = plan_version(link.season_id, link.name, plan, team_ids, request_id, now)
    return _cache_get((current_app.config.get("SQLALCHEMY_DATABASE_URI"), *key, version))


def _published(season_id):
    """The published plan's id and time, as `Season.published_plan` picks it (a season id or a column)."""
    return (select(Plan.id, Plan.published_dt)
            .where(Plan.season_id == season_id, Plan.status == "published")
            .order_by(Plan.published_dt.desc(), Plan.number.desc()).limit(1))


def plan_version(season_id: int, season_name: str, plan: Optional[tuple], team_ids, request_id,
                 now: dt.datetime) -> tuple:
    """Everything a feed's bytes depend on, in two cheap Core queries: the cache key.

    `plan` is the published plan's (id, published_dt), or None when nothing is published.
    """
    if plan is None:
        return (season_name, None)
    plan_id, published_dt = plan
    query = (
        select(func.max(Visit.changed_dt), func.max(Request.updated_dt), func.count(Visit.id),
               func.sum(Visit.version), func.sum(Request.version),
               func.count(Visit.id).filter(Visit.end_dt < now, (Visit.cancelled.is_(True)) | (Request.status == "cancelled")))
        .join(Request, Request.id == Visit.request_id)
        .where(Visit.plan_id == plan_id)
    )
    if team_ids is not None:
        query = query.where(Visit.team_id.in_(team_ids))
    if request_id is not None:
        query = query.where(Visit.request_id == request_id)
    row = tuple(db.session.execute(query).one())
    teams = tuple(db.session.execute(
        select(Team.id, Team.version, Team.name, Team.slug).where(Team.season_id == season_id).order_by(Team.id)))
    return (season_name, plan_id, published_dt, row, teams)


def body_etag(body: bytes) -> str:
    """A strong ETag of the bytes served."""
    return hashlib.sha256(body).hexdigest()[:32]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
