"""Outgoing mail: files in instance/outbox/ by default, SMTP when MAIL_SMTP_HOST is configured."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def one_line(text: str) -> str:
    """Header text on one line: CR, LF and other control characters become spaces (no header injection)."""
    return " ".join("".join(c if c.isprintable() else " " for c in (text or "")).split())


MAX_DISPLAY_NAME = 64
NOT_IN_DISPLAY_NAME = str.maketrans("", "", '",:;<>@()[]\\')


def display_name(name: str) -> str:
    """A person's name fit for a To: header: no characters that could start an address or group
    (`Eve, victim@evil.example` would re-parse as a second recipient), no control characters, capped."""
    return one_line((name or "").translate(NOT_IN_DISPLAY_NAME))[:MAX_DISPLAY_NAME].strip()


def address(name: str, email: str) -> str:
    """'Name <email>' safe for a header, whatever the name contains."""
    return formataddr((display_name(name), one_line(email)))


def build_message(to: str, subject: str, body: str, *, sender: str) -> EmailMessage:
    """A plain-text message whose headers are exactly From, To, Subject, Date, Message-ID."""
    msg = EmailMessage()
    msg["From"] = one_line(sender)
    msg["To"] = one_line(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=one_line(current_app.config.get("PUBLIC_HOST") or "localhost"))
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one message; the log names recipient and subject only (bodies carry private links)."""
    config = current_app.config
    msg = build_message(to, subject, body, sender=config.get("MAIL_FROM") or "tour@example.org")
    host = config.get("MAIL_SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(config.get("MAIL_SMTP_PORT") or 25), timeout=int(config.get("MAIL_SMTP_TIMEOUT", 20))) as smtp:
            if config.get("MAIL_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("MAIL_SMTP_USER"):
                smtp.login(config["MAIL_SMTP_USER"], config.get("MAIL_SMTP_PASSWORD", ""))
            smtp.send_message(msg)
        log.info("mail sent by SMTP to %s: %s", msg["To"], msg["Subject"])
        return
    outbox = Path(config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox")
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    path.write_bytes(bytes(msg))
    log.info("mail written to outbox for %s: %s", msg["To"], msg["Subject"])


def try_send_mail(to: str, subject: str, body: str) -> bool:
    """Send, but a mail failure never undoes what was already saved; it is logged (without the body)."""
    try:
        send_mail(to, subject, body)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.error("mail to %s failed: %s (%s)", one_line(to), one_line(subject), type(exc).__name__)
        return False


def send_messages(messages: list[dict]) -> int:
    """Send queued emails one by one; a failed one is logged and does not stop the others."""
    sent = 0
    for m in messages:
        try:
            send_mail(m["to"], m["subject"], m["body"])
            sent += 1
        except Exception:
            log.exception("email about request %s could not be sent", m.get("ref", "?"))
    return sent
