"""Deadlines: each request to X ends by X_API_TIMEOUT_SECONDS however X trickles its answer,
and a cycle ends by X_SYNC_CYCLE_SECONDS however slowly X answers, leaving what it didn't
reach for the next. Through tweepy's real Client against the emulator."""

import time

import pytest
from django.utils import timezone

from events import tasks
from events.models import HashtagSync
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


def test_a_trickled_answer_is_cut_off_at_the_request_deadline(x_search, sync_tweetup, settings):
    settings.X_API_TIMEOUT_SECONDS = 1
    tweetup = sync_tweetup("ATXtweetup")
    post = x_search.post("Slow but sure #ATXtweetup")
    # A byte every 0.2 s: no socket read waits anywhere near the timeout, yet the whole
    # answer (several hundred bytes) would take minutes.
    x_search.fault("trickle", delay_seconds=0.2)
    lines = []

    run_sync_cycle(now=x_search.cycle_time(), progress=lines.append)

    assert lines == ["X did not answer in time: left for the next cycle"]
    assert wall(tweetup) == []
    assert state(tweetup).last_error == "X did not answer in time; retrying shortly."

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert wall(tweetup) == [int(post["id"])]


def test_a_trickled_answer_is_retried_by_the_task(x_search, sync_tweetup, settings):
    settings.X_API_TIMEOUT_SECONDS = 1
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    post = x_search.post("Slow but sure #ATXtweetup")
    x_search.fault("trickle", delay_seconds=0.2)

    tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert wall(tweetup) == [int(post["id"])]
    assert [r["fault"] for r in x_search.requests()] == ["trickle", None]


def slow_x(x_search, tags: list[str], *, delay: float) -> None:
    """Every recent-search answer `delay` seconds late."""
    x_search.fault("slow", delay_seconds=delay, count=len(tags) * 2)


def test_a_cycle_ends_by_its_deadline_and_the_next_reads_the_rest(x_search, sync_tweetup, settings):
    settings.X_SEARCH_QUERY_MAX_CHARS = 30  # a query per hashtag
    settings.X_SYNC_CYCLE_SECONDS = 1
    tags = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    tweetups = [sync_tweetup(tag) for tag in tags]
    posts = {tag: int(x_search.post(f"Hello #{tag}")["id"]) for tag in tags}
    # Every answer 0.4 s late: the six queries need 2.4 s, twice the cycle's time.
    slow_x(x_search, tags, delay=0.4)
    lines = []

    report = run_sync_cycle(now=x_search.cycle_time(), progress=lines.append)

    read = {t.pk for t in tweetups if wall(t)}
    assert report.carried_over  # some were not reached...
    assert read == report.synced  # ...and those reached are stored
    assert report.carried_over == {t.pk for t in tweetups} - read
    assert "the cycle's time is up: the rest is left for the next cycle" in lines
    for tweetup in tweetups:
        assert state(tweetup).status == HashtagSync.Status.OK  # not failing: just not reached

    x_search.control.clear_faults()
    x_search.control.clear_requests()
    settings.X_SYNC_CYCLE_SECONDS = 120
    report = run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert report.carried_over == set()
    assert {t.pk: wall(t) for t in tweetups} == {t.pk: [posts[t.hashtag]] for t in tweetups}


def test_a_batch_task_stops_at_its_deadline_and_leaves_the_rest(x_search, sync_tweetup, settings):
    settings.X_SEARCH_QUERY_MAX_CHARS = 30
    tags = ["Alpha", "Bravo", "Charlie", "Delta"]
    tweetups = [sync_tweetup(tag) for tag in tags]
    x_search.rewind()
    for tag in tags:
        x_search.post(f"Hello #{tag}")
    slow_x(x_search, tags, delay=0.4)

    result = tasks.sync_batch.apply(
        args=([t.pk for t in tweetups], read_ceiling(timezone.now()), time.time() + 1)
    ).get()

    assert 1 <= result["carried_over"] <= 3
    assert result["synced"] + result["carried_over"] == len(tags)
    assert len(x_search.requests()) < len(tags)
