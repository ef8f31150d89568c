"""Sending one outbox row: load it by id, call the delivery service.

A leaf: delivery enqueues nothing, so the services that enqueue this task import it
plainly. Tasks that enqueue others live above them: broadcast_tasks.py and periodic.py.
"""

from celery import shared_task

from notifications.delivery import outgoing_message_send


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_outgoing_message(self, message_id: int) -> str:
    """Send one outbox row; transient SMTP failures come back with backoff."""
    result = outgoing_message_send(message_id=message_id)
    if result.retry_in is not None:
        # The outbox row counts the tries and ends them in `failed`; Celery just waits.
        raise self.retry(countdown=result.retry_in)
    return result.status
