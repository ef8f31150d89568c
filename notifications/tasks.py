"""Celery tasks for email: thin, taking ids, each safe to run twice (see services.py)."""

from celery import shared_task

from notifications import services


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_outgoing_message(self, message_id: int) -> str:
    """Send one outbox row; transient SMTP failures come back with backoff."""
    result = services.outgoing_message_send(message_id=message_id)
    if result.retry_in is not None:
        # The outbox row counts the tries and ends them in `failed`; Celery just waits.
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task(acks_late=True, ignore_result=True)
def expand_broadcast(broadcast_id: int) -> int:
    """Write and enqueue one message per recipient of a broadcast."""
    return services.broadcast_expand(broadcast_id=broadcast_id)


@shared_task(ignore_result=True)
def schedule_reminders() -> int:
    """Beat: reminder broadcasts for tweetups starting within the lead time."""
    return len(services.reminders_schedule())


@shared_task(ignore_result=True)
def send_weekly_digests() -> int:
    """Beat, Monday mornings: one digest per person with tweetups coming up where they follow."""
    return len(services.digests_schedule())


@shared_task(ignore_result=True)
def sweep_outbox() -> dict:
    """Beat: re-enqueue whatever is still unsent after its task should have run."""
    return services.outbox_sweep()
