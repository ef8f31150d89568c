"""Handing mail to the notifications mailer, on one SMTP connection per worker thread."""

import contextlib
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers

# One open SMTP connection per worker thread, reused from one message to the next: a
# fan-out to thousands of people otherwise spends most of its time saying EHLO and QUIT.
_this_thread = threading.local()
REUSE_IDLE_SECONDS = 30


def deliver(mail: EmailMultiAlternatives) -> None:
    """Send one mail on this thread's open connection to the notifications mailer.

    A connection idle too long, configured differently, or not answering NOOP is replaced
    before the mail goes out; a failed send closes it and raises, so no mail is retried
    blindly here (the outbox decides about retries).
    """
    alias = settings.NOTIFICATIONS_MAILER
    config = repr(settings.MAILERS.get(alias))
    backend = getattr(_this_thread, "backend", None)
    fresh = (
        backend is not None
        and _this_thread.config == config
        and time.monotonic() - _this_thread.used_at < REUSE_IDLE_SECONDS
        and _answers(backend)
    )
    if not fresh:
        _close_connection()
        backend = _this_thread.backend = mailers[alias]
        _this_thread.config = config
    try:
        # Opened here, send_messages leaves it open (it closes only what it opened itself).
        backend.open()
        backend.send_messages([mail])
    except BaseException:
        _close_connection()
        raise
    _this_thread.used_at = time.monotonic()


def _answers(backend) -> bool:
    connection = getattr(backend, "connection", None)
    if connection is None:  # not an SMTP backend (locmem, console): nothing to check
        return True
    try:
        return connection.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close_connection() -> None:
    backend = getattr(_this_thread, "backend", None)
    _this_thread.backend = None
    if backend is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # it is thrown away
            backend.close()
