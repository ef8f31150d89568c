"""Writes for email notifications: preferences, follows, notices and the outbox.

events/services.py calls the `notices_for_*` functions inside its own transactions, so a
notice is written (as an OutgoingMessage or a Broadcast row) if and only if the change it
is about commits; the Celery tasks that send it are enqueued on commit. The beat sweep
re-enqueues whatever is still unsent, so a lost task, a flushed Redis or a worker killed
mid-send loses no mail.

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
from itertools import batched

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from events.models import City, Rsvp, Tweetup
from notifications.models import (
    DIGEST_PERIOD,
    KIND_CATEGORY,
    Broadcast,
    Category,
    CityFollow,
    EmailPreferences,
    Kind,
    OutgoingMessage,
    digest_tweetups,
    digest_week,
    followed_cities_cache_key,
)
from tweetups.celery import publish_on_commit

logger = logging.getLogger(__name__)

DUPLICATES_AFTER_CRASH = 1
"""At most one duplicate per crash between SMTP and the database commit, never none.

The duplicate carries the same Message-ID, which most mail clients fold into one. None
would need the SMTP server to take part in our transaction; no SMTP server does, so the
choice is between sending twice and maybe never sending, and mail people rely on (a
cancellation, a seat that opened up) is better twice than lost.
"""

BULK_BATCH = 1000
MESSAGE_ERROR_MAX = 1000


# --- Preferences and follows -------------------------------------------------------------
@transaction.atomic
def email_preferences_update(*, user: User, values: dict[str, bool]) -> EmailPreferences:
    """Turn categories on or off; categories not in `values` stay as they are."""
    preferences, _ = EmailPreferences.objects.select_for_update().get_or_create(user=user)
    for category in Category:
        if category.value in values:
            setattr(preferences, category.value, bool(values[category.value]))
    preferences.save()
    return preferences


@transaction.atomic
def email_category_unsubscribe(*, user_id: int, category: str) -> EmailPreferences:
    """Turn one category off (the List-Unsubscribe one-click); running it twice is harmless."""
    preferences, _ = EmailPreferences.objects.update_or_create(
        user_id=user_id, defaults={Category(category).value: False}
    )
    return preferences


@transaction.atomic
def city_follow(*, user: User, city: City) -> CityFollow:
    """Hear about new tweetups in `city`."""
    follow, _ = CityFollow.objects.get_or_create(user=user, city=city)
    _forget_followed_cities(user.pk)
    return follow


@transaction.atomic
def city_unfollow(*, user: User, city: City) -> None:
    """Stop hearing about new tweetups in `city`."""
    CityFollow.objects.filter(user=user, city=city).delete()
    _forget_followed_cities(user.pk)


def _forget_followed_cities(user_id: int) -> None:
    key = followed_cities_cache_key(user_id)
    cache.delete(key)  # now, and again once committed, so no reader caches the old set
    transaction.on_commit(lambda: cache.delete(key), robust=True)


# --- Who can be mailed -------------------------------------------------------------------
def _with_verified_email(users):
    return users.filter(
        Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)),
    )


def _wanting(users, category: str):
    """Users who have not turned `category` off (no preferences row means all on)."""
    return users.exclude(
        Exists(
            EmailPreferences.objects.filter(
                user=OuterRef("pk"), **{Category(category).value: False}
            )
        )
    )


def mail_address(user: User) -> str | None:
    """The verified address mail goes to: the primary one if it is verified."""
    return (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
        .first()
    )


# --- Notices: called by events.services inside their transactions ------------------------
def notices_for_rsvp(*, tweetup: Tweetup, rsvp: Rsvp) -> None:
    """A confirmation with a calendar invitation when someone is now going."""
    if rsvp.status == Rsvp.Status.GOING:
        _messages_create(users=[rsvp.user_id], kind=Kind.CONFIRMATION, tweetup=tweetup)


def notices_for_promotion(*, tweetup: Tweetup, rsvps: list[Rsvp]) -> None:
    """ "A seat opened up, you're going" for each person moved off the waitlist."""
    if rsvps:
        _messages_create(users=[r.user_id for r in rsvps], kind=Kind.PROMOTION, tweetup=tweetup)


def notices_for_new_tweetup(*, tweetup: Tweetup) -> None:
    """Tell the people who follow the tweetup's city."""
    _broadcast_create(kind=Kind.NEW_TWEETUP, tweetup=tweetup, revision=0)


# What a change notice is about; a new title or description alone doesn't warrant a mail.
NOTICEABLE_FIELDS = ("city_id", "starts_at", "ends_at", "venue_name", "venue_address", "capacity")


def notices_for_tweetup_change(*, tweetup: Tweetup) -> None:
    """A change notice when time, place or capacity differ from the stored row.

    Called by tweetup_update after it set the new values and bumped the revision, and
    before it saves: the row in the database still holds the old ones (and is locked).
    """
    before = Tweetup.objects.filter(pk=tweetup.pk).values(*NOTICEABLE_FIELDS).first()
    if before and any(before[f] != getattr(tweetup, f) for f in NOTICEABLE_FIELDS):
        _broadcast_create(kind=Kind.CHANGE, tweetup=tweetup, revision=tweetup.revision)


def notices_for_cancellation(*, tweetup: Tweetup) -> None:
    """A cancellation notice (with METHOD:CANCEL) to everyone who said they might come."""
    _broadcast_create(kind=Kind.CANCELLATION, tweetup=tweetup, revision=tweetup.revision)


class OrganizerMessageLimit(ValidationError):
    """The organizer already sent as many messages as a day allows."""


@transaction.atomic
def organizer_message_send(
    *,
    tweetup: Tweetup,
    author: User,
    subject: str,
    body: str,
    include_maybe: bool = False,
    include_waitlisted: bool = False,
) -> Broadcast:
    """A message from the organizer to everyone going (and maybe / waitlisted if asked)."""
    tweetup = Tweetup.objects.select_for_update(of=("self",)).get(pk=tweetup.pk)
    if tweetup.organizer_id != author.pk:
        raise PermissionDenied("Only the organizer can message the people coming.")
    if not tweetup.accepts_rsvps:
        raise ValidationError("This tweetup is cancelled or over, so it takes no messages.")
    limit = settings.NOTIFICATIONS_ORGANIZER_MESSAGES_PER_DAY
    now = timezone.now()
    recent = list(
        Broadcast.objects.filter(
            tweetup=tweetup,
            kind=Kind.ORGANIZER_MESSAGE,
            created_at__gt=now - timedelta(days=1),
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= limit:
        next_at = (recent[-limit] + timedelta(days=1)).astimezone(tweetup.city.tzinfo)
        raise OrganizerMessageLimit(
            f"You can send {limit} messages a day about a tweetup. The next one can go out "
            f"at {next_at:%H:%M} {next_at.tzname()} on {next_at:%a %-d %b}."
        )
    broadcast = Broadcast.objects.create(
        kind=Kind.ORGANIZER_MESSAGE,
        tweetup=tweetup,
        revision=tweetup.revision,
        author=author,
        subject=subject.strip(),
        body=body.strip(),
        include_maybe=include_maybe,
        include_waitlisted=include_waitlisted,
        created_at=now,
    )
    _enqueue_on_commit("expand_broadcast", [broadcast.pk])
    return broadcast


@transaction.atomic
def reminders_schedule(*, now=None) -> list[int]:
    """Reminder broadcasts for tweetups starting within the lead time; safe to run twice.

    A reminder is about the tweetup's current start: one already sent within the lead
    time of that start is enough, but a tweetup moved to a later day after its reminder
    went out gets another one before the new date. Keyed to the tweetup's revision, so a
    second run (or a second beat) finds the same row and sends nothing twice.
    """
    now = now or timezone.now()
    lead = _reminder_lead()
    reminded = Broadcast.objects.filter(
        tweetup=OuterRef("pk"),
        kind=Kind.REMINDER,
        created_at__gte=OuterRef("starts_at") - lead,
    )
    due = list(
        Tweetup.objects.scheduled()
        .filter(starts_at__gt=now, starts_at__lte=now + lead)
        .exclude(Exists(reminded))
        .values_list("pk", "revision")
    )
    Broadcast.objects.bulk_create(
        [
            Broadcast(kind=Kind.REMINDER, tweetup_id=pk, revision=revision, created_at=now)
            for pk, revision in due
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Broadcast.objects.filter(
            kind=Kind.REMINDER,
            expanded_at__isnull=True,
            tweetup_id__in=[pk for pk, _ in due],
        ).values_list("pk", flat=True)
    )
    _enqueue_on_commit("expand_broadcast", pending)
    return pending


def _reminder_lead() -> timedelta:
    return timedelta(hours=settings.NOTIFICATIONS_REMINDER_LEAD_HOURS)


@transaction.atomic
def digests_schedule(*, now=None) -> list[int]:
    """One weekly digest per person with tweetups coming up in cities they follow.

    The beat runs it on Monday mornings. A row per (person, week), so running it twice,
    or again later in the week, writes and sends nothing twice.
    """
    now = now or timezone.now()
    week = digest_week(now)
    coming = Tweetup.objects.scheduled().filter(
        starts_at__gt=now, starts_at__lt=now + DIGEST_PERIOD
    )
    people = User.objects.filter(
        Exists(coming.filter(city__follows__user=OuterRef("pk")).exclude(organizer=OuterRef("pk"))),
        is_active=True,
    ).exclude(
        Exists(
            OutgoingMessage.objects.filter(recipient=OuterRef("pk"), kind=Kind.DIGEST, week=week)
        )
    )
    recipients = _wanting(_with_verified_email(people), Category.DIGEST)
    ids = []
    pks = recipients.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BULK_BATCH)
    for chunk in batched(pks, BULK_BATCH, strict=False):
        OutgoingMessage.objects.bulk_create(
            [
                # created_at starts the digest's week: it lists what starts in the 7 days after.
                OutgoingMessage(
                    recipient_id=pk, kind=Kind.DIGEST, revision=0, week=week, created_at=now
                )
                for pk in chunk
            ],
            ignore_conflicts=True,
        )
        ids += OutgoingMessage.objects.filter(
            kind=Kind.DIGEST,
            week=week,
            recipient_id__in=chunk,
            status=OutgoingMessage.Status.QUEUED,
        ).values_list("pk", flat=True)
    _enqueue_on_commit("send_outgoing_message", ids)
    return ids


def _messages_create(*, users: list[int], kind: str, tweetup: Tweetup) -> None:
    """Outbox rows for the users who can and want to get this kind; enqueued on commit."""
    eligible = _wanting(
        _with_verified_email(User.objects.filter(pk__in=users)), KIND_CATEGORY[kind]
    )
    revision = tweetup.revision
    created = OutgoingMessage.objects.bulk_create(
        [
            OutgoingMessage(recipient_id=pk, kind=kind, tweetup=tweetup, revision=revision)
            for pk in eligible.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    if created:
        ids = list(
            OutgoingMessage.objects.filter(
                recipient_id__in=[m.recipient_id for m in created],
                kind=kind,
                tweetup=tweetup,
                revision=revision,
                status=OutgoingMessage.Status.QUEUED,
            ).values_list("pk", flat=True)
        )
        _enqueue_on_commit("send_outgoing_message", ids)


def _broadcast_create(*, kind: str, tweetup: Tweetup, revision: int) -> None:
    broadcast, created = Broadcast.objects.get_or_create(
        kind=kind, tweetup=tweetup, revision=revision
    )
    if created:
        _enqueue_on_commit("expand_broadcast", [broadcast.pk])


def _enqueue_on_commit(task_name: str, ids: list[int]) -> None:
    """Enqueue one task per id once the transaction commits.

    If the broker is down the change still stands and the page still loads; the rows wait
    in the database for the beat sweep (tweetups.celery.publish_on_commit).
    """
    if ids:
        publish_on_commit(lambda: _enqueue(task_name, ids))


def _enqueue(task_name: str, ids) -> None:
    from notifications import tasks  # tasks import this module

    task = getattr(tasks, task_name)
    for pk in ids:
        task.delay(pk)


# --- Expanding a broadcast ---------------------------------------------------------------
def _audience(broadcast: Broadcast):
    """The users a broadcast is for, before preferences and addresses are applied."""
    tweetup = broadcast.tweetup
    if broadcast.kind == Kind.NEW_TWEETUP:
        people = CityFollow.objects.filter(city_id=tweetup.city_id).values("user_id")
    else:
        statuses = {
            Kind.REMINDER: [Rsvp.Status.GOING],
            Kind.CHANGE: [Rsvp.Status.GOING, Rsvp.Status.WAITLISTED, Rsvp.Status.MAYBE],
            Kind.CANCELLATION: [Rsvp.Status.GOING, Rsvp.Status.WAITLISTED, Rsvp.Status.MAYBE],
            Kind.ORGANIZER_MESSAGE: [Rsvp.Status.GOING]
            + ([Rsvp.Status.MAYBE] if broadcast.include_maybe else [])
            + ([Rsvp.Status.WAITLISTED] if broadcast.include_waitlisted else []),
        }[broadcast.kind]
        people = Rsvp.objects.filter(tweetup_id=tweetup.pk, status__in=statuses).values("user_id")
    # The organizer made the change, wrote the message, or knows their own tweetup.
    return User.objects.filter(pk__in=people).exclude(pk=tweetup.organizer_id)


def broadcast_expand(*, broadcast_id: int) -> int:
    """Write one outbox row per recipient and enqueue each; safe to run twice."""
    with transaction.atomic():
        broadcast = (
            Broadcast.objects.select_for_update(of=("self",))
            .select_related("tweetup")
            .filter(pk=broadcast_id)
            .first()
        )
        if broadcast is None or broadcast.expanded_at is not None:
            return 0
        recipients = _wanting(
            _with_verified_email(_audience(broadcast)), KIND_CATEGORY[broadcast.kind]
        )
        batch = []
        for pk in recipients.values_list("pk", flat=True).iterator(chunk_size=BULK_BATCH):
            batch.append(
                OutgoingMessage(
                    recipient_id=pk,
                    kind=broadcast.kind,
                    tweetup_id=broadcast.tweetup_id,
                    revision=broadcast.revision,
                    broadcast=broadcast,
                )
            )
            if len(batch) == BULK_BATCH:
                OutgoingMessage.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        OutgoingMessage.objects.bulk_create(batch, ignore_conflicts=True)
        broadcast.expanded_at = timezone.now()
        broadcast.save(update_fields=["expanded_at"])
        ids = list(
            broadcast.messages.filter(status=OutgoingMessage.Status.QUEUED).values_list(
                "pk", flat=True
            )
        )
        _enqueue_on_commit("send_outgoing_message", ids)
    return len(ids)


# --- Sending one message -----------------------------------------------------------------
@dataclass(frozen=True)
class SendResult:
    status: str
    retry_in: int | None = None  # seconds until the next try, when there is one


def outgoing_message_send(*, message_id: int) -> SendResult:
    """Send one outbox row unless it is sent, being sent, or no longer wanted."""
    from notifications.mail import compose, deliver

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
    if message.kind == Kind.DIGEST:
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
    week_end = message.created_at + DIGEST_PERIOD
    still_on = digest_tweetups(user_id=message.recipient_id, start=timezone.now(), end=week_end)
    if not still_on.exists():
        return "nothing left in the week's digest"
    return ""


def _why_not_about_tweetup(message: OutgoingMessage) -> str:
    tweetup = message.tweetup
    kind = message.kind
    if kind != Kind.CANCELLATION and tweetup.is_cancelled:
        return "the tweetup was cancelled"
    if kind not in (Kind.CANCELLATION, Kind.ORGANIZER_MESSAGE) and tweetup.is_past:
        return "the tweetup is over"
    if kind == Kind.REMINDER and tweetup.starts_at > timezone.now() + _reminder_lead():
        # Moved to a later day before its reminder went out: reminders_schedule writes
        # a new one when the new date comes near.
        return "the tweetup moved later"
    if kind in (Kind.CONFIRMATION, Kind.PROMOTION, Kind.REMINDER):
        going = Rsvp.objects.filter(
            tweetup=tweetup, user_id=message.recipient_id, status=Rsvp.Status.GOING
        ).exists()
        if not going:
            return "no longer going"
    if (
        kind == Kind.CHANGE
        and message.revision < tweetup.revision
        and OutgoingMessage.objects.filter(
            recipient_id=message.recipient_id,
            tweetup=tweetup,
            kind__in=[Kind.CHANGE, Kind.CANCELLATION],
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


@transaction.atomic
def outgoing_messages_retry(*, ids: list[int]) -> int:
    """Give failed messages a fresh set of tries (an admin action); returns how many."""
    retried = list(
        OutgoingMessage.objects.select_for_update()
        .filter(pk__in=ids, status=OutgoingMessage.Status.FAILED)
        .values_list("pk", flat=True)
    )
    OutgoingMessage.objects.filter(pk__in=retried).update(
        status=OutgoingMessage.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    _enqueue_on_commit("send_outgoing_message", retried)
    return len(retried)


# --- The sweep ---------------------------------------------------------------------------
def outbox_sweep(*, now=None) -> dict[str, int]:
    """Re-enqueue unsent messages and unexpanded broadcasts whose tasks were lost.

    The sweep can't tell a lost task from one still waiting in the queue (a fan-out to
    10,000 people takes minutes), so each row it enqueues becomes queued as of now: the
    next sweeps leave it alone for another full grace period instead of piling a copy of
    its task onto the queue every two minutes. A copy that does run finds it sent.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS)
    lease = timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE_SECONDS)
    broadcasts = list(
        Broadcast.objects.filter(expanded_at__isnull=True, created_at__lte=now - grace)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    due = OutgoingMessage.objects.unsent_due(now=now, grace=grace, lease=lease)
    messages = list(
        due.order_by("next_attempt_at").values_list("pk", flat=True)[
            : settings.NOTIFICATIONS_SWEEP_BATCH
        ]
    )
    _enqueue("expand_broadcast", broadcasts)
    _enqueue("send_outgoing_message", messages)
    # After enqueueing: if the broker is down, the next sweep tries them all again. And
    # filtered on `due` again, so a row a worker has meanwhile claimed, sent or scheduled
    # a retry for keeps what the worker wrote. A send abandoned mid-way goes back to
    # queued: its lease equals Celery's hard time limit, so that worker is gone.
    due.filter(pk__in=messages).update(status=OutgoingMessage.Status.QUEUED, next_attempt_at=now)
    return {"broadcasts": len(broadcasts), "messages": len(messages)}
