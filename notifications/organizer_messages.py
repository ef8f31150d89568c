"""Messages organizers write to the people coming to their tweetups."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Tweetup
from notifications.broadcast_tasks import expand_broadcast
from notifications.models import Broadcast, MessageKind


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
            kind=MessageKind.ORGANIZER_MESSAGE,
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
        kind=MessageKind.ORGANIZER_MESSAGE,
        tweetup=tweetup,
        revision=tweetup.revision,
        author=author,
        subject=subject.strip(),
        body=body.strip(),
        include_maybe=include_maybe,
        include_waitlisted=include_waitlisted,
        created_at=now,
    )
    expand_broadcast.delay_on_commit(broadcast.pk)
    return broadcast
