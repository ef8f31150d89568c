"""The outbox: writing messages, expanding broadcasts into them, and trying failed ones again.

The notices (notices.py) are written inside the transaction of the change they are about
(events.services and events.rsvps send their signals there; receivers.py passes them on),
so a notice exists (as an OutgoingMessage or a Broadcast row) if and only if the change
commits; the Celery tasks that send it are enqueued on commit. The beat sweep (sweep.py)
re-enqueues whatever is still unsent, so a lost task, a flushed Redis or a worker killed
mid-send loses no mail.
"""

import functools

from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from events.models import Rsvp, Tweetup
from notifications.models import (
    KIND_CATEGORY,
    Broadcast,
    Category,
    CityFollow,
    EmailPreferences,
    MessageKind,
    OutgoingMessage,
)
from notifications.preferences import wanting, with_verified_email
from notifications.tasks import send_outgoing_message

BULK_BATCH = 1000


def messages_create(
    *, users: list[int], kind: str, tweetup: Tweetup, revision: int | None = None
) -> None:
    """Outbox rows for the users who can and want to get this kind; enqueued on commit.

    `revision` defaults to the tweetup's; 0 makes a once-only notice (an invitation).

    One INSERT ... SELECT ... RETURNING: this runs inside every RSVP, where building the
    same rows with the ORM (a SELECT through `with_verified_email` and `wanting`, the
    INSERT, a SELECT of the new ids) cost about 3 ms of query compiling per answer. The
    WHERE clause is those two functions' rule, written once more in SQL; the tests hold
    both to the same people.
    """
    if not users:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = _create_sql(len(users), Category(KIND_CATEGORY[kind]).value)
    revision = tweetup.revision if revision is None else revision
    params = [kind, tweetup.pk, revision, OutgoingMessage.Status.QUEUED, now, now]
    params += [*users, True, False]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    send_outgoing_message.delay_each_on_commit(ids)


@functools.cache
def _create_sql(how_many: int, category: str) -> str:
    q = connection.ops.quote_name

    def column(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    message, address, preferences = OutgoingMessage, EmailAddress, EmailPreferences
    filled = ["recipient", "kind", "tweetup", "revision", "status", "created_at"]
    filled += ["next_attempt_at", "attempts", "last_error", "to_email"]
    columns = ", ".join(column(message, name) for name in filled)
    # Only quoted table and column names from the models go into the text; values are
    # parameters.
    return (
        f"INSERT INTO {q(message._meta.db_table)} ({columns})"  # noqa: S608
        f" SELECT u.{q(User._meta.pk.column)}, %s, %s, %s, %s, %s, %s, 0, '', ''"
        f" FROM {q(User._meta.db_table)} u"
        f" WHERE u.{q(User._meta.pk.column)} IN ({', '.join(['%s'] * how_many)})"
        f" AND EXISTS (SELECT 1 FROM {q(address._meta.db_table)} a"
        f" WHERE a.{column(address, 'user')} = u.{q(User._meta.pk.column)}"
        f" AND a.{column(address, 'verified')} = %s)"
        f" AND NOT EXISTS (SELECT 1 FROM {q(preferences._meta.db_table)} p"
        f" WHERE p.{column(preferences, 'user')} = u.{q(User._meta.pk.column)}"
        f" AND p.{column(preferences, category)} = %s)"
        f" ON CONFLICT DO NOTHING RETURNING {column(message, 'id')}"
    )


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
