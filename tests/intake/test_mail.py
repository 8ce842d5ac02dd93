"""The mailer: outbox files by default, and a real SMTP server on 127.0.0.1 when configured."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tourplanner.extensions import db
from tourplanner.mail import address, send_mail, try_send_mail
from tourplanner.models import Request
from tests.support.intake import form_data, private_link, season_start

EXPECTED_HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    inbox, port = smtp_server
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port, MAIL_FROM="Tour <tour@example.org>")
    return app, inbox


def test_default_writes_one_eml_file_and_logs_only_recipient_and_subject(app, caplog):
    caplog.set_level(logging.INFO, logger="tourplanner.mail")
    send_mail("teacher@example.org", "Your request W2ABCD arrived", "Secret link: http://x/r/SECRET-TOKEN-123\n")
    [path] = (Path(app.instance_path) / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "teacher@example.org" and message["Subject"] == "Your request W2ABCD arrived"
    assert "SECRET-TOKEN-123" in message.get_content()
    assert "teacher@example.org" in caplog.text and "W2ABCD" in caplog.text
    assert "SECRET-TOKEN-123" not in caplog.text


def test_smtp_delivers_to_a_real_server(smtp_app):
    app, inbox = smtp_app
    send_mail(address("Ana Ruiz", "ana@example.org"), "Hello", "Line one\nLine two\n")
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ana@example.org"] and envelope.mail_from == "tour@example.org"
    [message] = inbox.messages()
    assert message["To"].addresses[0].display_name == "Ana Ruiz"
    assert message.get_content().replace("\r\n", "\n") == "Line one\nLine two\n"
    assert not (Path(app.instance_path) / "outbox").exists()


@pytest.mark.parametrize("name,subject", [
    ("Eve\r\nBcc: victim@example.org", "Hi\r\nX-Injected: 1"),
    ("Eve\nTo: victim@example.org\n\nfake body", "Subject\rX-Injected: 1"),
    ("Eve\u2028Bcc: v@example.org", "ok\x00\x0bBcc: v@example.org"),
])
def test_cr_lf_in_a_contact_name_cannot_inject_headers(smtp_app, name, subject):
    app, inbox = smtp_app
    send_mail(address(name, "eve@example.org"), subject, "body\n")
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["eve@example.org"]  # nobody added as a recipient
    [message] = inbox.messages()
    assert sorted(message.keys()) == sorted(EXPECTED_HEADERS)  # exactly the intended headers
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert message.get_content().replace("\r\n", "\n") == "body\n"


def test_form_submission_mails_the_private_link_over_smtp(smtp_app, client, make_season):
    app, inbox = smtp_app
    season = make_season(name="spring", start_date=season_start())
    data = form_data(season, contact_name="Mallory\r\nBcc: all@example.org", contact_email="mallory@example.org")
    response = client.post("/request", data=data)
    assert response.status_code == 200
    link = private_link(response)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["mallory@example.org"]
    [message] = inbox.messages()
    assert sorted(message.keys()) == sorted(EXPECTED_HEADERS)
    assert link in message.get_content()
    req = db.session.scalar(select(Request))
    assert req.ref in message["Subject"]


def test_a_dead_smtp_server_loses_no_request(app, client, make_season, caplog):
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=free_port(), MAIL_SMTP_TIMEOUT=2)
    season = make_season(name="spring", start_date=season_start())
    response = client.post("/request", data=form_data(season))
    assert response.status_code == 200
    link = private_link(response)
    assert db.session.scalar(select(Request)) is not None
    assert "failed" in caplog.text and link.rsplit("/", 1)[-1] not in caplog.text
    assert try_send_mail("x@example.org", "s", "b") is False
