"""The hashtag sync when X misbehaves: rate limits, 5xx, timeouts, refused credentials,
broken answers; and ten runs at once. Through tweepy's real Client against the emulator."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, PostReadUsage, Tweet
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from events.sync.reading import sync_tweetups
from events.sync.x_client import RateBudget
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


def statuses(x_search) -> list[int]:
    return [r["status"] for r in x_search.requests()]


@pytest.fixture
def rescheduled(monkeypatch):
    """sync_batch.apply_async calls, recorded instead of queued."""
    calls = []
    monkeypatch.setattr(
        tasks.sync_batch, "apply_async", lambda args, **options: calls.append((args, options))
    )
    return calls


# --- 429: reschedule, never sleep ------------------------------------------------------------


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


# --- 5xx, timeouts and broken answers: retry with backoff ------------------------------------


def test_503_twice_then_ok_stores_every_post_once(x_search, sync_tweetup, caplog):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 150)
    x_search.fault(status=503, count=2)

    tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert statuses(x_search) == [503, 503, 200, 200]
    assert wall(tweetup) == ids[::-1]
    assert Tweet.objects.count() == 150
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.OK
    assert sync.posts_stored == 150
    assert sync.last_error == ""  # read to the end: the problem is over
    assert "X had a problem (503)" in caplog.text


def test_a_503_mid_read_retries_only_the_pages_left(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 250)
    x_search.control.set_rate_limit(remaining=1, reset_in_seconds=1)  # then a 429 …
    until_id = read_ceiling(timezone.now())
    sync_tweetups(tweetup_ids=[tweetup.pk], until_id=until_id)
    assert state(tweetup).pending_until_id == ids[-100]
    x_search.fault(status=503)  # … then a 503
    x_search.control.advance_clock(2)

    tasks.sync_batch.apply(args=([tweetup.pk], until_id)).get()

    assert statuses(x_search)[-3:] == [503, 200, 200]
    assert wall(tweetup) == ids[::-1]
    assert PostReadUsage.objects.get().posts_read == 250


def test_x_failing_on_every_retry_marks_the_sync_failing_until_the_next_cycle(
    x_search, sync_tweetup
):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.fault(status=500, count=50)

    result = tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert result == {"failed": "X had a problem (500)"}
    assert len(x_search.requests()) == tasks.sync_batch.max_retries + 1
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.FAILING
    assert "X had a problem (500); gave up for now" in sync.last_error
    assert sync.next_sync_at <= timezone.now()  # the next cycle tries again


def test_a_timeout_is_retried(x_search, sync_tweetup, settings, caplog):
    settings.X_API_TIMEOUT_SECONDS = 0.3
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    x_search.post("Slow but sure #ATXtweetup")
    x_search.fault("slow", delay_seconds=5)

    tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert len(wall(tweetup)) == 1
    assert "X did not answer in time" in caplog.text
    assert (state(tweetup).status, state(tweetup).last_error) == (HashtagSync.Status.OK, "")


def test_malformed_json_is_logged_and_retried_without_a_crash(x_search, sync_tweetup, caplog):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    x_search.post("Fine #ATXtweetup")
    x_search.fault("malformed")

    tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert "not valid JSON" in caplog.text
    assert len(wall(tweetup)) == 1


def test_malformed_json_in_the_foreground_cycle_is_left_for_the_next(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.post("Fine #ATXtweetup")
    x_search.fault("malformed")
    lines = []

    run_sync_cycle(now=x_search.cycle_time(), progress=lines.append)
    assert lines == ["X sent an answer that was not valid JSON: left for the next cycle"]
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert len(wall(tweetup)) == 1


def test_a_malformed_post_is_logged_and_skipped_and_the_rest_stored(x_search, sync_tweetup, caplog):
    tweetup = sync_tweetup("ATXtweetup")
    tag = {"hashtags": [{"start": 0, "end": 11, "tag": "ATXtweetup"}]}

    def post(post_id, **changes):
        return {
            "id": post_id,
            "text": "#ATXtweetup hi",
            "author_id": "42",
            "created_at": "2026-08-20T10:00:00.000Z",
            "entities": tag,
            **changes,
        }

    body = {
        "data": [
            post("1900000000000000005"),
            post("not-an-id"),
            post("1900000000000000004", created_at="yesterday"),
            post("1900000000000000003", author_id="77"),  # not in includes.users
            post("1900000000000000002", text=None),
            post("1900000000000000001", text="#ATXtweetup \x00 null &amp; more"),
        ],
        "includes": {"users": [{"id": "42", "name": "Ada", "username": "ada"}, {"id": "x"}]},
        "meta": {"result_count": 6, "newest_id": "1900000000000000005"},
    }
    x_search.fault("json", body=body)
    caplog.set_level(logging.WARNING)

    report = run_sync_cycle(now=x_search.cycle_time())

    assert wall(tweetup) == [1900000000000000005, 1900000000000000001]
    assert Tweet.objects.get(x_id=1900000000000000001).text == ("#ATXtweetup  null & more")
    assert report.posts_skipped == 4
    assert report.posts_read == 6  # X bills what it sends, broken or not
    assert caplog.text.count("Skipping malformed post") == 4
    assert "Skipping a malformed user" in caplog.text


# --- 401/403/400: failing, no retry ----------------------------------------------------------


def test_a_401_is_retried_within_seconds_then_less_and_less_often(
    x_search, sync_tweetup, settings, rescheduled
):
    settings.X_BEARER_TOKEN = "revoked"
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    x_search.rewind()
    posted = x_search.post("Still here #ATXtweetup")
    until_id = read_ceiling(timezone.now())

    result = tasks.sync_batch.apply(args=([austin.pk, berlin.pk], until_id)).get()

    assert statuses(x_search) == [401]
    assert (result["rescheduled"], result["failing"]) == (False, 2)
    for tweetup in (austin, berlin):
        sync = state(tweetup)
        assert sync.status == HashtagSync.Status.FAILING
        assert sync.last_error.startswith("X refused the site's access to its API")
        assert sync.next_sync_at - sync.error_at == timedelta(seconds=15)  # not an hour
    ((args, options),) = rescheduled
    assert args == ([austin.pk, berlin.pk], until_id)
    assert options["countdown"] <= 16

    # Refused again: twice as long, and so on.
    tasks.sync_batch.apply(args=([austin.pk, berlin.pk], until_id)).get()
    sync = state(austin)
    assert sync.next_sync_at - sync.error_at == timedelta(seconds=30)

    # X takes the credentials again: read, and the problem shown is gone.
    settings.X_BEARER_TOKEN = "tweetups-dev-bearer"
    tasks.sync_batch.apply(args=([austin.pk, berlin.pk], until_id)).get()
    assert wall(austin) == [int(posted["id"])]
    for tweetup in (austin, berlin):
        sync = state(tweetup)
        assert (sync.status, sync.last_error, sync.error_at) == (HashtagSync.Status.OK, "", None)


def test_403_is_failing_too(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.fault(status=403)

    run_sync_cycle(now=x_search.cycle_time())

    assert state(tweetup).status == HashtagSync.Status.FAILING
    assert len(x_search.requests()) == 1


def test_a_rejected_query_fails_that_query_only(x_search, sync_tweetup, settings):
    settings.X_SEARCH_QUERY_MAX_CHARS = 30
    x_search.control.configure(search_query_max_length=25)  # a plan with shorter queries
    short = sync_tweetup("ATX")
    long = sync_tweetup("ThisHashtagIsLong")
    x_search.post("#ATX ok")

    run_sync_cycle(now=x_search.cycle_time())

    assert len(wall(short)) == 1
    assert state(short).status == HashtagSync.Status.OK
    sync = state(long)
    assert sync.status == HashtagSync.Status.FAILING
    assert sync.last_error.startswith("X rejected the search (")


# --- Ten at once -------------------------------------------------------------------------------


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


def test_the_foreground_cycle_stops_asking_after_a_401(x_search, sync_tweetup, settings):
    settings.X_BEARER_TOKEN = "revoked"
    settings.X_SEARCH_QUERY_MAX_CHARS = 30
    tweetups = [sync_tweetup(tag) for tag in ("Alpha", "Bravo", "Charlie")]

    report = run_sync_cycle(now=x_search.cycle_time())

    assert report.auth_failed
    assert statuses(x_search) == [401]
    assert {state(t).status for t in tweetups} == {HashtagSync.Status.FAILING}


def test_the_bearer_token_stays_out_of_debug_logs(x_search, sync_tweetup, settings, caplog):
    settings.X_BEARER_TOKEN = "tweetups-dev-bearer"
    sync_tweetup("ATXtweetup")
    caplog.set_level(logging.DEBUG)

    run_sync_cycle(now=x_search.cycle_time())

    assert "/2/tweets/search/recent" in caplog.text  # urllib3 logs the request line
    assert settings.X_BEARER_TOKEN not in caplog.text


def test_a_since_id_older_than_x_allows_moves_up_to_the_window_edge(x_search, sync_tweetup):
    from events.sync.policy import first_id_at

    tweetup = sync_tweetup("ATXtweetup")
    x_search.post("Still in the window #ATXtweetup")
    now = x_search.cycle_time()
    HashtagSync.objects.create(
        tweetup=tweetup, hashtag="ATXtweetup", since_id=first_id_at(now - timedelta(days=8))
    )

    run_sync_cycle(now=now)

    assert statuses(x_search) == [200]  # X refuses a since_id older than its 7 days
    assert len(wall(tweetup)) == 1
