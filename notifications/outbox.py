"""The outbox: writing messages, expanding broadcasts into them, and trying failed ones again.

The notices (notices.py) are written inside the transaction of the change they are about
(events.services sends its signals there; receivers.py passes them on), so a notice exists
(as an OutgoingMessage or a Broadcast row) if and only if the change commits; the Celery
tasks that send it are enqueued on commit. The beat sweep (sweep.py) re-enqueues whatever
is still unsent, so a lost task, a flushed Redis or a worker killed mid-send loses no mail.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Rsvp, Tweetup
from notifications.models import KIND_CATEGORY, Broadcast, CityFollow, MessageKind, OutgoingMessage
from notifications.preferences import wanting, with_verified_email
from notifications.tasks import send_outgoing_message

BULK_BATCH = 1000


def messages_create(
    *, users: list[int], kind: str, tweetup: Tweetup, revision: int | None = None
) -> None:
    """Outbox rows for the users who can and want to get this kind; enqueued on commit.

    `revision` defaults to the tweetup's; 0 makes a once-only notice (an invitation).
    """
    eligible = wanting(with_verified_email(User.objects.filter(pk__in=users)), KIND_CATEGORY[kind])
    revision = tweetup.revision if revision is None else revision
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
        send_outgoing_message.delay_each_on_commit(ids)


def _audience(broadcast: Broadcast):
    """The users a broadcast is for, before preferences and addresses are applied."""
    tweetup = broadcast.tweetup
    if broadcast.kind == MessageKind.NEW_TWEETUP:
        people = CityFollow.objects.filter(city_id=tweetup.city_id).values("user_id")
    else:
        might_come = [Rsvp.Status.GOING, Rsvp.Status.WAITLISTED, Rsvp.Status.MAYBE]
        statuses = {
            MessageKind.REMINDER: [Rsvp.Status.GOING],
            MessageKind.CHANGE: might_come,
            MessageKind.CANCELLATION: might_come,
            MessageKind.ORGANIZER_MESSAGE: [Rsvp.Status.GOING]
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
        recipients = wanting(
            with_verified_email(_audience(broadcast)), KIND_CATEGORY[broadcast.kind]
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
        send_outgoing_message.delay_each_on_commit(ids)
    return len(ids)


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
    send_outgoing_message.delay_each_on_commit(retried)
    return len(retried)
