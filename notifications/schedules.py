"""Mail the beat schedules: reminders before a tweetup, and the weekly digest."""

from itertools import batched

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from events.models import Tweetup
from events.network import network_followers
from notifications.broadcast_tasks import expand_broadcast
from notifications.models import (
    DIGEST_PERIOD,
    Broadcast,
    Category,
    MessageKind,
    OutgoingMessage,
    digest_coming,
    digest_week,
    reminder_lead,
)
from notifications.outbox import BULK_BATCH
from notifications.preferences import wanting, with_verified_email
from notifications.tasks import send_outgoing_message


@transaction.atomic
def reminders_schedule(*, now=None) -> list[int]:
    """Reminder broadcasts for tweetups starting within the lead time; safe to run twice.

    A reminder is about the tweetup's current start: one already sent within the lead
    time of that start is enough, but a tweetup moved to a later day after its reminder
    went out gets another one before the new date. Keyed to the tweetup's revision, so a
    second run (or a second beat) finds the same row and sends nothing twice.
    """
    now = now or timezone.now()
    lead = reminder_lead()
    reminded = Broadcast.objects.filter(
        tweetup=OuterRef("pk"),
        kind=MessageKind.REMINDER,
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
            Broadcast(kind=MessageKind.REMINDER, tweetup_id=pk, revision=revision, created_at=now)
            for pk, revision in due
        ],
        ignore_conflicts=True,
    )
    pending = list(
        Broadcast.objects.filter(
            kind=MessageKind.REMINDER,
            expanded_at__isnull=True,
            tweetup_id__in=[pk for pk, _ in due],
        ).values_list("pk", flat=True)
    )
    expand_broadcast.delay_each_on_commit(pending)
    return pending


def digest_recipients(*, now):
    """Who gets this week's digest: people with tweetups coming up in cities they follow, or
    where people they follow on X are going (notifications.models: digest_tweetups,
    digest_network_tweetups), who can be mailed, want it, and have none this week yet.

    One set-based query whatever the number of people or the size of their X graphs.
    """
    week = digest_week(now)
    coming = digest_coming(start=now, end=now + DIGEST_PERIOD)
    in_followed_city = coming.filter(city__follows__user=OuterRef("pk")).exclude(
        organizer=OuterRef("pk")
    )
    people = User.objects.filter(
        Q(Exists(in_followed_city)) | Q(pk__in=network_followers(coming)),
        is_active=True,
    ).exclude(
        Exists(
            OutgoingMessage.objects.filter(
                recipient=OuterRef("pk"), kind=MessageKind.DIGEST, week=week
            )
        )
    )
    return wanting(with_verified_email(people), Category.DIGEST)


@transaction.atomic
def digests_schedule(*, now=None) -> list[int]:
    """One weekly digest per person with tweetups coming up in cities they follow or in
    their X network (digest_recipients).

    The beat runs it on Monday mornings. A row per (person, week), so running it twice,
    or again later in the week, writes and sends nothing twice.
    """
    now = now or timezone.now()
    week = digest_week(now)
    recipients = digest_recipients(now=now)
    ids = []
    pks = recipients.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=BULK_BATCH)
    for chunk in batched(pks, BULK_BATCH, strict=False):
        OutgoingMessage.objects.bulk_create(
            [
                # created_at starts the digest's week: it lists what starts in the 7 days after.
                OutgoingMessage(
                    recipient_id=pk, kind=MessageKind.DIGEST, revision=0, week=week, created_at=now
                )
                for pk in chunk
            ],
            ignore_conflicts=True,
        )
        ids += OutgoingMessage.objects.filter(
            kind=MessageKind.DIGEST,
            week=week,
            recipient_id__in=chunk,
            status=OutgoingMessage.Status.QUEUED,
        ).values_list("pk", flat=True)
    send_outgoing_message.delay_each_on_commit(ids)
    return ids
