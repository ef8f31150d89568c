"""Is the periodic work running? A dead beat must be loud, not silent.

Beat starts a hashtag sync cycle every X_SYNC_INTERVAL_SECONDS and a worker runs it; each
cycle that runs records the time here, in the shared cache. When none has run for
STALLED_AFTER_INTERVALS intervals (beat died, or no worker takes its tasks), `/readyz`
answers 503 and the organizers' sync panels say that syncing has stopped.

A missing record (a fresh deployment, a flushed Redis) is not yet a stall: the clock starts
when someone first finds it missing, so a beat that never ran is reported too, a few
intervals later. Reading or writing here never raises: with the cache away the answer is
"unknown" (None).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

STALLED_AFTER_INTERVALS = 3
LAST_CYCLE_KEY = "tweetups:heartbeat:sync-cycle"
MISSING_SINCE_KEY = "tweetups:heartbeat:sync-cycle-missing-since"


@dataclass(frozen=True)
class SyncPulse:
    last_cycle_at: datetime | None  # None: no cycle recorded
    quiet_for: timedelta  # since the last cycle, or since its record was first found missing
    stalled: bool

    @property
    def quiet_minutes(self) -> int:
        return int(self.quiet_for.total_seconds() // 60)


def stalled_after() -> timedelta:
    return timedelta(seconds=settings.X_SYNC_INTERVAL_SECONDS * STALLED_AFTER_INTERVALS)


def sync_cycle_ran(now: datetime | None = None) -> None:
    """Record that a sync cycle has just run (events.tasks.sync_cycle calls this)."""
    now = now or timezone.now()
    try:
        cache.set(LAST_CYCLE_KEY, now.timestamp(), timeout=None)
        cache.delete(MISSING_SINCE_KEY)
    except Exception:  # the cycle matters more than its record: the next one tries again
        logger.warning("Could not record the sync cycle's heartbeat", exc_info=True)


def sync_pulse(now: datetime | None = None) -> SyncPulse | None:
    """When the last sync cycle ran and whether that is too long ago; None if unknown."""
    now = now or timezone.now()
    try:
        last = cache.get(LAST_CYCLE_KEY)
        if last is None:
            cache.add(MISSING_SINCE_KEY, now.timestamp(), timeout=None)
            since = cache.get(MISSING_SINCE_KEY)
    except Exception:
        logger.warning("Could not read the sync cycle's heartbeat", exc_info=True)
        return None
    if last is not None:
        last_cycle_at = datetime.fromtimestamp(last, UTC)
        quiet_for = now - last_cycle_at
    else:
        last_cycle_at = None
        # A cache that accepts writes and keeps nothing (a dummy cache) never stalls.
        quiet_for = now - datetime.fromtimestamp(since, UTC) if since is not None else timedelta()
    return SyncPulse(
        last_cycle_at=last_cycle_at,
        quiet_for=max(quiet_for, timedelta()),
        stalled=quiet_for > stalled_after(),
    )
