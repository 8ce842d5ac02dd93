"""Emails through the queue: a publish (hundreds of emails over SMTP) never holds a web request."""

from __future__ import annotations

import logging

from flask import current_app

from .. import planning
from ..mail import send_mail
from .queue import get_huey, start_embedded_worker

log = logging.getLogger(__name__)


def queue_mail(messages: list[dict]) -> None:
    """Hand emails ({to, subject, body, ref}) to a worker: a publish never waits for the mail server."""
    app = current_app._get_current_object()
    get_huey(app).send_mail_batch(messages)
    start_embedded_worker(app)


def queue_publish_mail(result: planning.PublishResult) -> None:
    """Queue the venues' emails of a publish for a worker; if the queue is unreachable, send them here instead."""
    if not result.messages:
        return
    try:
        queue_mail(result.messages)
        result.queued = [m["ref"] for m in result.messages]
        return
    except Exception:
        log.exception("could not queue %d venue email(s); sending them now", len(result.messages))
    planning.send_now(result, send_mail)
