"""Calendar feeds from the database: which items a feed holds (built as bytes by ical.py), cached until the
plan changes, behind secret links.

tokens (issue, look up, revoke), items (screenings, ferries, day notes), drives (a leg split over the
days it is driven), build (whole feeds and their links) and cache (the version key and the hot path).
"""

from .build import (
    coordinators_feed,
    export,
    feed_for_token,
    nomad_links,
    plan_items,
    team_feed,
    venue_feed,
)
from .cache import CACHE_SIZE, Feed, body_etag, cached_feed, clear_cache, plan_version
from .drives import DrivePart, drive_events, drive_parts, team_drives
from .items import (
    EPOCH,
    STATUS_WORDS,
    address,
    day_note,
    event_status,
    feed_visits,
    ferry_crossing,
    ferry_event,
    ferry_of,
    ferry_words,
    screening_event,
    venue_event,
)
from .tokens import FeedError, issue_token, live_tokens, revoke_token, team_for_token, token_row

__all__ = [
    "CACHE_SIZE", "EPOCH", "STATUS_WORDS", "DrivePart", "Feed", "FeedError", "address", "body_etag", "cached_feed",
    "clear_cache", "coordinators_feed", "day_note", "drive_events", "drive_parts", "event_status", "export",
    "feed_for_token", "feed_visits", "ferry_crossing", "ferry_event", "ferry_of", "ferry_words", "issue_token",
    "live_tokens", "nomad_links", "plan_items", "plan_version", "revoke_token",
    "screening_event", "team_drives", "team_feed", "team_for_token", "token_row", "venue_event", "venue_feed",
]
