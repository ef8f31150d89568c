"""Beat jobs (CELERY_BEAT_SCHEDULE in tweetups/settings/schedule.py): each calls one service."""

from celery import shared_task

from notifications.schedules import digests_schedule, reminders_schedule
from notifications.sweep import outbox_sweep


@shared_task(ignore_result=True)
def schedule_reminders() -> int:
    """Reminder broadcasts for tweetups starting within the lead time."""
    return len(reminders_schedule())


@shared_task(ignore_result=True)
def send_weekly_digests() -> int:
    """Monday mornings: one digest per person with tweetups coming up where they follow."""
    return len(digests_schedule())


@shared_task(ignore_result=True)
def sweep_outbox() -> dict:
    """Re-enqueue whatever is still unsent after its task should have run."""
    return outbox_sweep()
