"""Secret links (a venue's /r/<token>, a calendar's /feeds/<token>): what every answer under one sends,
and how a token is kept out of the logs. One place, so that a new page under a secret link cannot forget.
"""

from __future__ import annotations

import logging
import re

# What secrets.token_urlsafe(32) gives (models.new_token): anything else is no link of ours.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Pages reached by a secret link: never cached, never indexed, the link never sent on as a Referer.
PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

# Subscribed calendar feeds may be kept, but only privately and revalidated every time (views/feeds.py says why).
FEED_HEADERS = {"Cache-Control": "private, no-cache, max-age=0", "Referrer-Policy": "same-origin",
                "X-Robots-Tag": "noindex"}

SECRET_PATH = re.compile(r"^/(r|feeds)/[^/]+")
SECRET_IN_TEXT = re.compile(r"(/(?:feeds|r)/)[^/\s?\"']+")


def is_token(value) -> bool:
    """Whether a value has the shape of a secret link's token (checked before any database lookup)."""
    return isinstance(value, str) and TOKEN_SHAPE.match(value) is not None


def is_secret_path(path: str) -> bool:
    return SECRET_PATH.match(path) is not None


def redact_path(path: str) -> str:
    """Token URLs are secrets: logs keep only which kind of link it was."""
    return SECRET_PATH.sub(lambda m: f"/{m.group(1)}/[token]", path)


def redact_text(text: str) -> str:
    """A log line with every secret link's token in it (request lines, referers) replaced."""
    return SECRET_IN_TEXT.sub(r"\1[token]", text)


class RedactTokens(logging.Filter):
    """Access logs (werkzeug, gunicorn) name the path; a secret link's token must not end up there."""

    def _clean(self, value):
        return redact_text(value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        return True


def install_log_filter(*loggers: logging.Logger) -> None:
    """Add the filter once to each logger (idempotent: create_app may run many times in one process)."""
    for logger in loggers:
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
