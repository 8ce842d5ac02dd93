"""Emails to a venue about its request (receipt, decision, new link): text templates, sent at once."""

from __future__ import annotations

from flask import render_template

from ..mail import address, try_send_mail
from ..models import Request


def mail_venue(req: Request, subject: str, template: str, **context) -> bool:
    """Email the venue's contact a text template; False when the mail could not go (it is logged)."""
    body = render_template(template, req=req, **context)
    return try_send_mail(address(req.contact_name, req.contact_email), subject, body)
