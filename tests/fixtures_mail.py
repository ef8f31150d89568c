"""Fixtures for the mail tests: a real SMTP server on localhost, and Celery run in-process.

- `smtp_server`: an aiosmtpd server on a free port; `.messages` are the parsed mails
  (email.message.EmailMessage), `.refuse_next(code, times)` makes it answer with an error,
  `.wait_for(n)` blocks until n mails arrived (no sleeping).
- `smtp_mailer`: `smtp_server`, with MAILERS["default"] pointing Django at it.
- `mail_links(message)`: every URL in a mail's HTML and text parts, and its headers.
- `invitation(message)`: the attached .ics's iTIP method and the parsed calendar.

Celery in-process is tests/fixtures_celery.py's `celery_eager`.
"""

from __future__ import annotations

import email
import html
import logging
import re
import socket
import threading
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

URL_RE = re.compile(r"https?://[^\s\"'<>]+")


class SmtpSink:
    """What an SMTP server on localhost received, or was told to refuse."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes = []
        self.peers = []  # the client address of each accepted mail's SMTP session
        self._refusals: list[str] = []
        self._arrived = threading.Condition()

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):
        with self._arrived:
            if self._refusals:
                return self._refusals.pop(0)
            self.envelopes.append(envelope)
            self.peers.append(session.peer)
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def refuse_next(self, answer: str = "451 4.3.0 Try again later", times: int = 1) -> None:
        with self._arrived:
            self._refusals.extend([answer] * times)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} mails, got {len(self.messages)}")
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.host, sink.port = controller.hostname, controller.port
    yield sink
    controller.stop()


@pytest.fixture
def smtp_mailer(settings, smtp_server):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 10},
        }
    }
    return smtp_server


def mail_links(message: EmailMessage) -> list[str]:
    """Every URL a person (or a link scanner) could open from this mail."""
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            found += URL_RE.findall(part.get_content())
        elif part.get_content_type() == "text/html":
            found += [html.unescape(url) for url in URL_RE.findall(part.get_content())]
    header = message.get("List-Unsubscribe", "")
    found += URL_RE.findall(header)
    return sorted({url.rstrip(".,)") for url in found})


def mail_part(message: EmailMessage, content_type: str) -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part.get_content()
    raise AssertionError(f"no {content_type} part")


def invitation(message):
    """The attached .ics, parsed back with icalendar."""
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename().endswith(".ics")
    return part.get_param("method"), Calendar.from_ical(part.get_content())
