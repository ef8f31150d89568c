"""Celery tasks for Your X network: thin, taking ids, safe to run twice."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from accounts.models import User
from accounts.network import Outcome, follows_refresh, network_user_ids_due

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES)
def read_follows(self, user_id: int, force: bool = False) -> str:
    """Read whom one person follows on X; a 429 reschedules at X's reset (never sleeps)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return Outcome.NO_CONSENT
    result = follows_refresh(user=user, force=force)
    if result.outcome == Outcome.RATE_LIMITED and result.resume_at is not None:
        read_follows.apply_async((user_id,), eta=result.resume_at)
    elif result.outcome == Outcome.UNAVAILABLE and self.request.retries < MAX_RETRIES:
        countdown = get_exponential_backoff_interval(
            factor=30,
            retries=self.request.retries,
            maximum=settings.X_SYNC_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(args=(user_id,), kwargs={"force": True}, countdown=countdown)
    return result.outcome


@shared_task
def read_due_follows() -> int:
    """Beat: queue a read_follows for each list due a refresh (at most a batch per run)."""
    user_ids = network_user_ids_due(limit=settings.NETWORK_REFRESH_BATCH)
    for user_id in user_ids:
        read_follows.delay(user_id)
    return len(user_ids)
