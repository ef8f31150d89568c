"""The hashtag sync and X's rate limit: a 429 reschedules the task at the reset (never a
sleep), a window running out mid-read keeps the pages read, our share of the limit is kept
before asking, one worker's 429 holds back the others, and the budget is shared through
Redis. Through tweepy's real Client against the emulator."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, PostReadUsage
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from events.sync.reading import sync_tweetups
from events.sync.x_client import RateBudget
from tests.fixtures_sync import state, statuses, wall

pytestmark = pytest.mark.django_db


def test_429_reschedules_the_task_at_the_reset_and_then_stores_everything_once(
    x_search, sync_tweetup, rescheduled
):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 120)
    x_search.fault(status=429, reset_seconds=600)
    until_id = read_ceiling(timezone.now())

    result = tasks.sync_batch.apply(args=([tweetup.pk], until_id)).get()

    assert result["rescheduled"] is True
    assert statuses(x_search) == [429]
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.RATE_LIMITED
    local = sync.next_sync_at.astimezone(tweetup.city.tzinfo)
    assert sync.last_error == (f"X rate limit reached, retrying at {local:%H:%M} {local.tzname()}.")
    ((args, options),) = rescheduled
    assert args == ([tweetup.pk], until_id)
    wait = (sync.next_sync_at - timezone.now()).total_seconds()
    assert abs(options["countdown"] - wait) < 5
    assert wall(tweetup) == []

    # Once X's window has reset, the rescheduled batch reads it all, once.
    report = sync_tweetups(
        tweetup_ids=[tweetup.pk], until_id=until_id, now=sync.next_sync_at + timedelta(seconds=1)
    )
    assert report.posts_read == 120
    assert wall(tweetup) == ids[::-1]
    assert state(tweetup).status == HashtagSync.Status.OK
    assert state(tweetup).posts_stored == 120


def test_running_out_of_rate_mid_read_keeps_the_pages_read_and_reads_none_twice(
    x_search, sync_tweetup
):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 250)
    # One request left in X's window: the first page gets through, and says so.
    x_search.control.set_rate_limit(remaining=1, reset_in_seconds=600)

    report = run_sync_cycle(now=x_search.cycle_time())

    assert report.rate_limited_until is not None
    assert statuses(x_search) == [200]  # x-rate-limit-remaining: 0 stopped the second ask
    assert wall(tweetup) == ids[::-1][:100]
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.RATE_LIMITED
    assert sync.pending_until_id == ids[-100]

    report = run_sync_cycle(now=x_search.cycle_time(after_seconds=600))

    assert report.posts_read == 150
    assert wall(tweetup) == ids[::-1]
    assert PostReadUsage.objects.get().posts_read == 250
    assert state(tweetup).pending_until_id is None
    assert state(tweetup).posts_stored == 250


def test_our_share_of_the_rate_limit_is_kept_before_asking(x_search, sync_tweetup, settings):
    settings.X_SEARCH_RATE_LIMIT = 2
    tweetup = sync_tweetup("ATXtweetup")
    x_search.post_many("ATXtweetup", 250)

    report = run_sync_cycle(now=x_search.cycle_time())

    assert len(x_search.requests()) == 2
    assert report.rate_limited_until is not None
    assert report.rate_limited_until.minute % 15 == 0  # the end of our 15-minute window
    assert state(tweetup).status == HashtagSync.Status.RATE_LIMITED


def test_a_reset_far_in_the_future_is_capped_at_one_window(x_search, sync_tweetup, rescheduled):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.fault(status=429, reset_seconds=7 * 24 * 3600)  # a broken header: a week
    tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()
    ((_args, options),) = rescheduled
    assert options["countdown"] <= 15 * 60 + 62


def test_one_workers_429_holds_back_every_other_worker(x_search, sync_tweetup):
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    now = x_search.cycle_time()
    x_search.fault(status=429, reset_seconds=300)
    sync_tweetups(tweetup_ids=[austin.pk], now=now)

    # Another worker, another tweetup: it does not ask X before the reset.
    report = sync_tweetups(tweetup_ids=[berlin.pk], now=now + timedelta(seconds=5))

    assert len(x_search.requests()) == 1
    assert report.rate_limited_until == state(austin).next_sync_at
    assert state(berlin).status == HashtagSync.Status.RATE_LIMITED


@pytest.mark.redis
def test_the_rate_budget_is_shared_through_redis(settings):
    import redis

    settings.X_SEARCH_RATE_LIMIT = 3
    settings.X_RATE_BUDGET_KEY_PREFIX = f"test-x-rate:{id(settings)}:{timezone.now().timestamp()}"
    first, second = RateBudget(), RateBudget()  # as two worker processes would
    assert first.redis is not None
    now = 1_800_000_000.0  # a window start: 15-minute windows are epoch-aligned

    assert [first.take(now), second.take(now), first.take(now)] == [None, None, None]
    assert second.take(now) == datetime.fromtimestamp(now + 900, UTC)
    assert first.take(now + 900) is None  # the next window

    second.block_until(now + 1000, now=now + 901)
    assert first.take(now + 902) == datetime.fromtimestamp(now + 1000, UTC)
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys(f"{settings.X_RATE_BUDGET_KEY_PREFIX}:*")
    assert len(keys) == 3
    client.delete(*keys)
