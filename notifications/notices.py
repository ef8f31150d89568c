"""Who gets which notice about a change to a tweetup or an RSVP.

Called (through receivers.py) inside the transaction of the change itself, so a notice
is written if and only if the change commits; its tasks are enqueued on commit.
"""

from events.models import Rsvp, Tweetup
from notifications.broadcast_tasks import expand_broadcast
from notifications.models import Broadcast, MessageKind
from notifications.outbox import messages_create


def notices_for_rsvp(*, tweetup: Tweetup, rsvp: Rsvp) -> None:
    """A confirmation with a calendar invitation when someone is now going."""
    if rsvp.status == Rsvp.Status.GOING:
        messages_create(users=[rsvp.user_id], kind=MessageKind.CONFIRMATION, tweetup=tweetup)


def notices_for_promotion(*, tweetup: Tweetup, rsvps: list[Rsvp]) -> None:
    """ "A seat opened up, you're going" for each person moved off the waitlist."""
    if rsvps:
        messages_create(
            users=[r.user_id for r in rsvps], kind=MessageKind.PROMOTION, tweetup=tweetup
        )


def notices_for_new_tweetup(*, tweetup: Tweetup) -> None:
    """Tell the people who follow the tweetup's city."""
    _broadcast_create(kind=MessageKind.NEW_TWEETUP, tweetup=tweetup, revision=0)


# What a change notice is about; a new title or description alone doesn't warrant a mail.
NOTICEABLE_FIELDS = ("city_id", "starts_at", "ends_at", "venue_name", "venue_address", "capacity")


def notices_for_tweetup_change(*, tweetup: Tweetup) -> None:
    """A change notice when time, place or capacity differ from the stored row.

    tweetup_update sends `tweetup_changing` after it set the new values and bumped the
    revision, and before it saves: the row in the database still holds the old ones (and
    is locked).
    """
    before = Tweetup.objects.filter(pk=tweetup.pk).values(*NOTICEABLE_FIELDS).first()
    if before and any(before[f] != getattr(tweetup, f) for f in NOTICEABLE_FIELDS):
        _broadcast_create(kind=MessageKind.CHANGE, tweetup=tweetup, revision=tweetup.revision)


def notices_for_cancellation(*, tweetup: Tweetup) -> None:
    """A cancellation notice (with METHOD:CANCEL) to everyone who said they might come."""
    _broadcast_create(kind=MessageKind.CANCELLATION, tweetup=tweetup, revision=tweetup.revision)


def _broadcast_create(*, kind: str, tweetup: Tweetup, revision: int) -> None:
    broadcast, created = Broadcast.objects.get_or_create(
        kind=kind, tweetup=tweetup, revision=revision
    )
    if created:
        expand_broadcast.delay_on_commit(broadcast.pk)
