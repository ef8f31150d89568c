"""Sending one outbox row: claim it, talk SMTP, mark it sent (or failed, or due again).

Sending is at least once. A worker claims a row (status `sending`, `claimed_at`) in a
short transaction, talks SMTP outside any transaction, then marks it `sent`. If it dies
after the SMTP server accepted the message and before that mark commits, the claim runs
out after NOTIFICATIONS_SEND_LEASE_SECONDS and the sweep sends it again; see
DUPLICATES_AFTER_CRASH.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.models import Rsvp
from notifications.mail import compose
from notifications.models import (
    DIGEST_PERIOD,
    EmailPreferences,
    MessageKind,
    OutgoingMessage,
    digest_network_tweetups,
    digest_tweetups,
    reminder_lead,
)
from notifications.preferences import mail_address
from notifications.smtp import deliver

logger = logging.getLogger(__name__)

DUPLICATES_AFTER_CRASH = 1
"""At most one duplicate per crash between SMTP and the database commit, never none.

The duplicate carries the same Message-ID, which most mail clients fold into one. None
would need the SMTP server to take part in our transaction; no SMTP server does, so the
choice is between sending twice and maybe never sending, and mail people rely on (a
cancellation, a seat that opened up) is better twice than lost.
"""


MESSAGE_ERROR_MAX = 1000


@dataclass(frozen=True)
class SendResult:
    status: str
    retry_in: int | None = None  # seconds until the next try, when there is one


def outgoing_message_send(*, message_id: int) -> SendResult:
    """Send one outbox row unless it is sent, being sent, or no longer wanted."""
    claim = _claim(message_id)
    if isinstance(claim, SendResult):
        return claim
    message, address = claim
    try:
        deliver(compose(message, address=address))
    except (smtplib.SMTPException, OSError) as exc:
        return _record_failure(message, exc)
    _mark_sent(message, address)
    return SendResult(OutgoingMessage.Status.SENT)


def _claim(message_id: int):
    """Lock the row and take it for this worker, or say why not (as a SendResult)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS)
    with transaction.atomic():
        message = (
            OutgoingMessage.objects.select_for_update(of=("self",))
            .select_related(
                "recipient__email_preferences",
                "tweetup__city",
                "tweetup__organizer",
                "broadcast__author",
            )
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return SendResult("missing")
        Status = OutgoingMessage.Status
        if message.status in (Status.SENT, Status.FAILED, Status.SKIPPED):
            return SendResult(message.status)
        if message.status == Status.SENDING and message.claimed_at > now - lease:
            return SendResult(Status.SENDING)  # another worker has it
        if message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            _finish(message, Status.FAILED, "a worker stopped while sending; no tries left")
            return SendResult(Status.FAILED)
        skip_reason, address = _why_not(message)
        if skip_reason:
            _finish(message, Status.SKIPPED, skip_reason)
            return SendResult(Status.SKIPPED)
        message.status = Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
    return message, address


def _why_not(message: OutgoingMessage) -> tuple[str, str | None]:
    """(Why not to send it, or "") and the address to send it to, as things stand now."""
    try:
        preferences = message.recipient.email_preferences
    except EmailPreferences.DoesNotExist:
        preferences = EmailPreferences(user=message.recipient)
    if not preferences.allows(message.category):
        return f"{message.category} turned off", None
    if not message.recipient.is_active:
        return "account inactive", None
    if message.kind == MessageKind.DIGEST:
        reason = _why_no_digest(message)
    else:
        reason = _why_not_about_tweetup(message)
    if reason:
        return reason, None
    address = mail_address(message.recipient)
    if address is None:
        return "no verified email address", None
    return "", address


def _why_no_digest(message: OutgoingMessage) -> str:
    # What is left of the digest's week: in cities they follow, or where their network goes.
    week = {
        "user_id": message.recipient_id,
        "start": timezone.now(),
        "end": message.created_at + DIGEST_PERIOD,
    }
    if not (digest_tweetups(**week).exists() or digest_network_tweetups(**week).exists()):
        return "nothing left in the week's digest"
    return ""


def _why_not_about_tweetup(message: OutgoingMessage) -> str:
    tweetup = message.tweetup
    kind = message.kind
    if kind != MessageKind.CANCELLATION and tweetup.is_cancelled:
        return "the tweetup was cancelled"
    if kind not in (MessageKind.CANCELLATION, MessageKind.ORGANIZER_MESSAGE) and tweetup.is_past:
        return "the tweetup is over"
    if kind == MessageKind.REMINDER and tweetup.starts_at > timezone.now() + reminder_lead():
        # Moved to a later day before its reminder went out: reminders_schedule writes
        # a new one when the new date comes near.
        return "the tweetup moved later"
    if kind in (MessageKind.CONFIRMATION, MessageKind.PROMOTION, MessageKind.REMINDER):
        going = Rsvp.objects.filter(
            tweetup=tweetup, user_id=message.recipient_id, status=Rsvp.Status.GOING
        ).exists()
        if not going:
            return "no longer going"
    if (
        kind == MessageKind.INVITATION
        and Rsvp.objects.filter(tweetup=tweetup, user_id=message.recipient_id).exists()
    ):
        return "already answered"
    if (
        kind == MessageKind.CHANGE
        and message.revision < tweetup.revision
        and OutgoingMessage.objects.filter(
            recipient_id=message.recipient_id,
            tweetup=tweetup,
            kind__in=[MessageKind.CHANGE, MessageKind.CANCELLATION],
            revision__gt=message.revision,
        ).exists()
    ):
        return "a later notice supersedes it"
    return ""


def _finish(message: OutgoingMessage, status: str, reason: str) -> None:
    message.status = status
    message.last_error = reason[:MESSAGE_ERROR_MAX]
    message.save(update_fields=["status", "last_error"])


def _mark_sent(message: OutgoingMessage, address: str) -> None:
    # Fenced on the claim: a worker whose lease ran out doesn't overwrite a newer claim.
    OutgoingMessage.objects.filter(
        pk=message.pk, status=OutgoingMessage.Status.SENDING, attempts=message.attempts
    ).update(
        status=OutgoingMessage.Status.SENT,
        sent_at=timezone.now(),
        to_email=address,
        last_error="",
    )


def _is_permanent(exc: Exception) -> bool:
    """5xx answers won't change on a retry; 4xx and lost connections might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _record_failure(message: OutgoingMessage, exc: Exception) -> SendResult:
    error = f"{type(exc).__name__}: {exc}"[:MESSAGE_ERROR_MAX]
    last_try = message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    if _is_permanent(exc) or last_try:
        status, retry_in = OutgoingMessage.Status.FAILED, None
        logger.warning("outgoing message %s failed for good: %s", message.pk, type(exc).__name__)
    else:
        status = OutgoingMessage.Status.QUEUED
        retry_in = min(
            settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 4 ** (message.attempts - 1),
            settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
        )
    OutgoingMessage.objects.filter(
        pk=message.pk, status=OutgoingMessage.Status.SENDING, attempts=message.attempts
    ).update(
        status=status,
        last_error=error,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in or 0),
    )
    return SendResult(status, retry_in)
