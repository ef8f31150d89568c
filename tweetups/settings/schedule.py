"""Every job Celery beat runs, and when."""

from celery.schedules import crontab

from tweetups.settings.found import FOUND_SCAN_INTERVAL_SECONDS
from tweetups.settings.mail import NOTIFICATIONS_SWEEP_INTERVAL_SECONDS
from tweetups.settings.sync import X_COMPLIANCE_HOURS_UTC, X_SYNC_INTERVAL_SECONDS

CELERY_BEAT_SCHEDULE = {
    "hashtag-sync-cycle": {
        "task": "events.tasks.sync_cycle",
        "schedule": X_SYNC_INTERVAL_SECONDS,
        # A cycle queued while no worker ran is stale once the next one is due.
        "options": {"expires": X_SYNC_INTERVAL_SECONDS},
    },
    "wall-compliance-check": {
        "task": "events.periodic.check_wall_compliance",
        "schedule": crontab(minute=0, hour=X_COMPLIANCE_HOURS_UTC),
        "options": {"expires": 6 * 3600},  # a run still queued by the next is dropped
    },
    "find-tweetups-in-posts": {
        "task": "events.periodic.find_tweetups_in_posts",
        "schedule": FOUND_SCAN_INTERVAL_SECONDS,
        "options": {"expires": FOUND_SCAN_INTERVAL_SECONDS},
    },
    "x-network-refresh": {
        "task": "accounts.tasks.read_due_follows",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    "notifications-sweep-outbox": {
        "task": "notifications.periodic.sweep_outbox",
        "schedule": NOTIFICATIONS_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": NOTIFICATIONS_SWEEP_INTERVAL_SECONDS},
    },
    "notifications-schedule-reminders": {
        "task": "notifications.periodic.schedule_reminders",
        "schedule": 600,
        "options": {"expires": 600},
    },
    # Mondays 08:00 UTC (CELERY_TIMEZONE). One digest per person and week, so a late or
    # repeated run sends nothing twice; one that waited past the morning is dropped.
    "notifications-weekly-digest": {
        "task": "notifications.periodic.send_weekly_digests",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
        "options": {"expires": 6 * 3600},
    },
}
