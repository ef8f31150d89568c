"""Beat's periodic jobs for the walls and for tweetups found in posts, beside the sync cycle
in tasks.py (Celery finds this module by name: tweetups/celery.py)."""

from datetime import timedelta

from celery import shared_task

from events.found import scan
from events.sync import compliance


@shared_task
def check_wall_compliance() -> dict:
    """Remove posts deleted on X, or from accounts gone protected, from live and recent walls."""
    report = compliance.compliance_check()
    return vars(report)


@shared_task
def find_tweetups_in_posts() -> dict:
    """Search today's active cities for tweetup talk (each once a day); after X's 429, again
    at its reset."""
    report = scan.tweetups_find()
    if report.retry_at is not None:
        find_tweetups_in_posts.apply_async(
            eta=report.retry_at, expires=report.retry_at + timedelta(hours=1)
        )
    return vars(report) | {"retry_at": report.retry_at and report.retry_at.isoformat()}
