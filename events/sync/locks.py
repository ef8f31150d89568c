"""Each tweetup's sync lock: see "Locks" in docs/sync.md."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db import connection

# One logger for the package: log lines read "events.sync" whichever module wrote them.
logger = logging.getLogger("events.sync")

# pg_try_advisory_lock(namespace, tweetup id): the namespace keeps clear of other locks.
LOCK_NAMESPACE = 0x54_53_59  # "TSY"


@contextmanager
def tweetup_sync_locks(tweetup_ids: list[int]) -> Iterator[list[int]]:
    """Take each tweetup's sync lock that is free, without waiting; yields the ids taken."""
    ids = sorted(set(tweetup_ids))
    if not ids:
        yield []
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM unnest(%s::integer[]) AS id WHERE pg_try_advisory_lock(%s, id)",
                [ids, LOCK_NAMESPACE],
            )
            taken = sorted(row[0] for row in cursor.fetchall())
        try:
            yield taken
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::integer[]) AS id",
                        [LOCK_NAMESPACE, taken],
                    )
            except Exception:  # the connection is gone, and its session locks with it
                logger.warning("Could not release sync locks %s", taken, exc_info=True)
        return
    # SQLite (make run on one machine): a lease in the shared cache. A crashed worker's
    # lease lapses after the task time limit.
    token = secrets.token_hex(8)
    timeout = settings.CELERY_TASK_TIME_LIMIT
    taken = [i for i in ids if cache.add(f"hashtag-sync-lock:{i}", token, timeout=timeout)]
    try:
        yield taken
    finally:
        for i in taken:
            if cache.get(f"hashtag-sync-lock:{i}") == token:
                cache.delete(f"hashtag-sync-lock:{i}")
