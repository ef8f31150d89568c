"""Celery tasks for the hashtag sync (beat starts a cycle, the cycle fans out batches), and
for a renamed city's tweetups' calendar texts.

All are safe to run twice or at once: each tweetup's sync lock and its read state
(`since_id`, `next_sync_at`) decide whether there is anything left to do; a calendar text
is written from the rows as they are.
"""

import logging
import time

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from events.calendar_feeds import store_all_vevents
from events.models import Tweetup
from events.sync.cycle import sync_cycle_plan
from events.sync.errors import XTransientError
from events.sync.reading import sync_failed, sync_tweetups
from tweetups import heartbeat
from tweetups.x_deadline import deadline_scope

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    """Exponential backoff with full jitter: 0..2, 0..4, 0..8 … seconds, capped."""
    return get_exponential_backoff_interval(
        factor=2, retries=retries, maximum=settings.X_SYNC_RETRY_BACKOFF_MAX, full_jitter=True
    )


@shared_task
def sync_cycle() -> dict:
    """Plan one sync cycle and queue a `sync_batch` task per query (X is not asked here)."""
    heartbeat.sync_cycle_ran()  # beat and a worker are alive: /readyz and organizers see it
    plan = sync_cycle_plan()
    # Every batch of the cycle ends by its deadline; one still queued then is dropped. Its
    # tweetups are still due (they only count as synced once read), so the next cycle plans
    # them again, and a backlog can't snowball.
    seconds = settings.X_SYNC_CYCLE_SECONDS
    deadline = time.time() + seconds
    for batch in plan.batches:
        sync_batch.apply_async((batch.tweetup_ids, batch.until_id, deadline), expires=seconds)
    return {"due": plan.due, "batches": len(plan.batches)}


@shared_task(bind=True, max_retries=settings.X_SYNC_MAX_RETRIES)
def sync_batch(
    self, tweetup_ids: list[int], until_id: int | None = None, deadline: float | None = None
) -> dict:
    """Read these tweetups' hashtags up to `until_id`, ending by `deadline` (a Unix time;
    default X_SYNC_CYCLE_SECONDS from now); on X's rate limit, come back later."""
    deadline = deadline or time.time() + settings.X_SYNC_CYCLE_SECONDS
    try:
        with deadline_scope(deadline):
            report = sync_tweetups(tweetup_ids=tweetup_ids, until_id=until_id)
    except XTransientError as exc:
        if time.time() >= deadline:  # the cycle is over: the next one reads what is left
            return {"failed": str(exc), "carried_over": len(tweetup_ids)}
        if self.request.retries >= self.max_retries:
            sync_failed(tweetup_ids=tweetup_ids, error=str(exc))
            logger.error("Hashtag sync of %s gave up after retries: %s", tweetup_ids, exc)
            return {"failed": str(exc)}
        # Pages already stored committed with their cursor: the retry reads only the rest.
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
    if report.rate_limited_until is not None:
        # Never sleep in a worker: the same batch comes back when X's window resets.
        countdown = max(1, int((report.rate_limited_until - timezone.now()).total_seconds()) + 1)
        sync_batch.apply_async((tweetup_ids, until_id), countdown=countdown)
    elif report.failing:
        # X refused (a 401, a 400 for one hashtag): the first tries again come within
        # seconds, sooner than the next cycle would; later ones are left to the cycles.
        retry_at = min(report.failing.values())
        countdown = max(1, int((retry_at - timezone.now()).total_seconds()) + 1)
        if countdown < settings.X_SYNC_INTERVAL_SECONDS:
            sync_batch.apply_async((sorted(report.failing), until_id), countdown=countdown)
    return {
        "synced": len(report.synced),
        "skipped": len(report.skipped),
        "bad_data": len(report.bad_data),
        "requests": report.requests,
        "posts_read": report.posts_read,
        "posts_billed": report.posts_billed,
        "links_added": report.links_added,
        "held_back": len(report.held_back),
        "failing": len(report.failing),
        "carried_over": len(report.carried_over),
        "rescheduled": report.rate_limited_until is not None,
    }


@shared_task
def store_city_vevents(city_id: int) -> int:
    """Keep the calendar texts of a city's tweetups again: its name or zone changed (both
    are in every VEVENT). Safe to run twice; until it runs, feeds write those events."""
    return store_all_vevents(Tweetup.objects.filter(city_id=city_id))
