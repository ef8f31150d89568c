"""The beat's safety net: re-enqueue what a lost task left unsent."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications.broadcast_tasks import expand_broadcast
from notifications.models import Broadcast, OutgoingMessage
from notifications.tasks import send_outgoing_message


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
    expand_broadcast.delay_each(broadcasts)
    send_outgoing_message.delay_each(messages)
    # After enqueueing: if the broker is down, the next sweep tries them all again. And
    # filtered on `due` again, so a row a worker has meanwhile claimed, sent or scheduled
    # a retry for keeps what the worker wrote. A send abandoned mid-way goes back to
    # queued: its lease equals Celery's hard time limit, so that worker is gone.
    due.filter(pk__in=messages).update(status=OutgoingMessage.Status.QUEUED, next_attempt_at=now)
    return {"broadcasts": len(broadcasts), "messages": len(messages)}
