"""The mails the app wrote to its outbox folder (the default mailer in tests)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from tests.support.wait import wait_for


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def wait_for_emails(folder: Path, count: int, timeout=30.0) -> list[Path]:
    """The .eml files in `folder` once there are at least `count` (a worker thread writes them)."""
    return wait_for(lambda: files if len(files := sorted(folder.glob("*.eml"))) >= count else None, timeout,
                    f"{count} emails in {folder}")
