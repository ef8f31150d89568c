"""Hashtag sync cycles run at once: one syncs, the others skip cleanly. Through tweepy's
real Client against the emulator, on PostgreSQL, where the row locks are real."""

import threading

import pytest
from django.db import connection

from events.sync.cycle import run_sync_cycle
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_cycles_give_one_sync_and_nine_clean_skips(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 150)
    now = x_search.cycle_time()
    # The first request takes a while, so the other runs arrive while it holds the lock.
    x_search.fault("slow", delay_seconds=1)
    start = threading.Barrier(10)
    reports, errors = [], []

    def run():
        try:
            start.wait()
            reports.append(run_sync_cycle(now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(len(r.synced) for r in reports) == [0] * 9 + [1]
    assert all(r.skipped == {tweetup.pk} for r in reports if not r.synced)
    assert len(x_search.requests()) == 2  # one read: two pages
    assert wall(tweetup) == ids[::-1]
    assert state(tweetup).posts_stored == 150
