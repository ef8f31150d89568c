"""The hashtag sync when X answers badly: 5xx, timeouts and broken JSON are retried with
backoff, only the pages left are read again, and a malformed post is skipped while the rest
are stored. Through tweepy's real Client against the emulator."""

import logging

import pytest
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, PostReadUsage, Tweet
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from events.sync.reading import sync_tweetups
from tests.fixtures_sync import state, statuses, wall

pytestmark = pytest.mark.django_db


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
