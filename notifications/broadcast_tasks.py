"""Expanding a broadcast into one outbox row per recipient (each then sent by tasks.py)."""

from celery import shared_task

from notifications.outbox import broadcast_expand


@shared_task(acks_late=True, ignore_result=True)
def expand_broadcast(broadcast_id: int) -> int:
    """Write and enqueue one message per recipient of a broadcast."""
    return broadcast_expand(broadcast_id=broadcast_id)
