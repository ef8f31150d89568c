"""Beat's periodic jobs for the walls, beside the sync cycle in tasks.py (Celery finds this
module by name: tweetups/celery.py)."""

from celery import shared_task

from events.sync import compliance


@shared_task
def check_wall_compliance() -> dict:
    """Remove posts deleted on X, or from accounts gone protected, from live and recent walls."""
    report = compliance.compliance_check()
    return vars(report)
