"""The sync's Celery tasks: configuration, fan-out, and a real worker killed mid-cycle."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, PostReadUsage, Tweet
from events.sync.policy import read_ceiling
from tests.fixtures_celery import wait_until
from tests.fixtures_sync import wall
from tweetups.celery import app

pytestmark = pytest.mark.django_db


# --- Configuration ---------------------------------------------------------------------------


def test_beat_starts_a_cycle_every_interval(settings):
    entry = app.conf.beat_schedule["hashtag-sync-cycle"]
    assert entry["task"] == tasks.sync_cycle.name == "events.tasks.sync_cycle"
    assert entry["schedule"] == settings.X_SYNC_INTERVAL_SECONDS
    assert entry["options"]["expires"] <= settings.X_SYNC_INTERVAL_SECONDS


def test_celery_delivers_each_task_at_least_once():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
    visibility = (conf.broker_transport_options or {}).get("visibility_timeout")
    if conf.broker_url.startswith("redis"):
        # A task still running, or waiting out a rate-limit countdown (up to X's 15-minute
        # window), must not be handed to a second worker.
        assert conf.task_time_limit < visibility
        assert visibility > 15 * 60


# --- Fan-out ---------------------------------------------------------------------------------


def test_the_cycle_task_queues_one_batch_per_query_up_to_one_ceiling(
    x_search, sync_tweetup, settings, monkeypatch
):
    settings.X_SEARCH_QUERY_MAX_CHARS = 40
    tweetups = [sync_tweetup(tag) for tag in ("Alpha", "Bravo", "Charlie", "Delta")]
    queued = []
    monkeypatch.setattr(
        tasks.sync_batch, "apply_async", lambda args, **options: queued.append((args, options))
    )

    result = tasks.sync_cycle.apply().get()

    assert result == {"due": 4, "batches": 2}
    assert sorted(pk for (ids, *_), _ in queued for pk in ids) == sorted(t.pk for t in tweetups)
    assert len({until_id for (_, until_id, _), _ in queued}) == 1
    # One deadline for the cycle's batches; one not started by then is dropped.
    assert len({deadline for (*_, deadline), _ in queued}) == 1
    assert {options["expires"] for _, options in queued} == {settings.X_SYNC_CYCLE_SECONDS}
    assert x_search.requests() == []  # the cycle itself asks X nothing


def test_a_cycle_run_eagerly_stores_every_wall(x_search, sync_tweetup, celery_eager):
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    x_search.rewind()
    a = x_search.post_many("ATXtweetup", 120)
    b = x_search.post_many("BerlinTweetup", 30)

    tasks.sync_cycle.delay()

    assert wall(austin) == a[::-1]
    assert wall(berlin) == b[::-1]
    assert len(x_search.requests()) == 2


def test_a_batch_task_run_twice_stores_once_and_asks_once(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 30)
    until_id = read_ceiling(timezone.now())

    first = tasks.sync_batch.apply(args=([tweetup.pk], until_id)).get()
    second = tasks.sync_batch.apply(args=([tweetup.pk], until_id)).get()

    assert (first["synced"], second["synced"], second["skipped"]) == (1, 0, 1)
    assert len(x_search.requests()) == 1
    assert wall(tweetup) == ids[::-1]


# --- The command -----------------------------------------------------------------------------


def test_the_command_runs_a_cycle_with_a_line_per_query(x_search, sync_tweetup, settings):
    settings.X_SEARCH_QUERY_MAX_CHARS = 40
    for tag in ("Alpha", "Bravo", "Charlie"):
        sync_tweetup(tag)
    x_search.rewind()
    x_search.post_many("Alpha", 3)
    out = StringIO()

    call_command("sync_hashtags", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("(#alpha OR #bravo) -is:retweet  [2 tweetup(s)")
    assert lines[0].endswith("1 page(s), 3 post(s) read, 3 new")
    assert lines[1].startswith("#charlie -is:retweet  [1 tweetup(s)")
    assert lines[2] == (
        "3 tweetup(s) due, 3 synced, 2 request(s), 3 post(s) read (3 billed by X), 3 new on walls."
    )


def test_the_command_syncs_one_tweetup_by_slug_due_or_not(x_search, sync_tweetup):
    tweetup = sync_tweetup("Alpha")
    sync_tweetup("Bravo")
    x_search.rewind()
    x_search.post("Hello #Alpha")
    call_command("sync_hashtags", "--tweetup", tweetup.slug, stdout=StringIO())
    out = StringIO()

    call_command("sync_hashtags", "--tweetup", tweetup.slug, stdout=out)

    assert out.getvalue().startswith("#alpha -is:retweet  [1 tweetup(s)")
    assert len(x_search.requests()) == 2  # just synced, asked again: forced
    assert len(wall(tweetup)) == 1
    assert HashtagSync.objects.count() == 1  # Bravo was left alone


def test_the_command_refuses_an_unknown_slug(db):
    with pytest.raises(CommandError, match="No tweetup with the slug 'nope'"):
        call_command("sync_hashtags", "--tweetup", "nope")


# --- A real worker, killed ------------------------------------------------------------------


def sync_state(tweetup) -> HashtagSync | None:
    return HashtagSync.objects.filter(tweetup=tweetup).first()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_cycle_loses_nothing_and_the_next_cycle_completes(
    x_search, sync_tweetup, celery_workers
):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 450)  # five pages
    x_search.fault("slow", delay_seconds=0.5, count=100)  # each page takes a while
    # Five pages in one cycle: more than a tweetup's share of a cycle by default.
    share = {"X_SYNC_TWEETUP_POSTS_PER_CYCLE": "1000"}
    worker = celery_workers.start(x_api_base_url=x_search.emulator.base_url, **share)

    celery_workers.send("events.tasks.sync_cycle")
    wait_until(
        lambda: (s := sync_state(tweetup)) and s.pending_until_id is not None,
        what="the first page to be committed",
    )
    worker.kill()  # the whole worker, mid-read: as a machine or container dies

    stored = len(wall(tweetup))
    assert 0 < stored < 450
    assert sync_state(tweetup).since_id is None  # not moved past what is stored
    x_search.control.clear_faults()
    worker = celery_workers.start(x_api_base_url=x_search.emulator.base_url, **share)
    celery_workers.send("events.tasks.sync_cycle")  # beat's next cycle
    wait_until(
        lambda: (s := sync_state(tweetup)) and s.since_id is not None,
        what="the next cycle to complete",
    )

    assert wall(tweetup) == ids[::-1]  # no gap, no duplicate
    assert Tweet.objects.count() == 450
    sync = sync_state(tweetup)
    assert sync.posts_stored == 450
    assert sync.status == HashtagSync.Status.OK
    # The page in flight when the worker died was read (and billed), not stored: at most one
    # page is read twice; nothing stored before the kill was read again.
    assert 450 <= PostReadUsage.objects.get().posts_read <= 550
    assert "succeeded" in worker.output


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_lost_pool_process_puts_its_task_back_on_the_queue(
    x_search, sync_tweetup, celery_workers
):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 300)
    x_search.fault("slow", delay_seconds=0.5, count=3)
    worker = celery_workers.start(x_api_base_url=x_search.emulator.base_url)

    celery_workers.send("events.tasks.sync_batch", [tweetup.pk], read_ceiling(timezone.now()))
    wait_until(
        lambda: (s := sync_state(tweetup)) and s.pending_until_id is not None,
        what="the first page to be committed",
    )
    worker.kill_pool_child()  # the task's process dies; the worker lives on

    # acks_late + reject_on_worker_lost: the message goes back and runs again, to the end.
    wait_until(
        lambda: (s := sync_state(tweetup)) and s.since_id is not None,
        what="the requeued task to complete",
    )
    assert wall(tweetup) == ids[::-1]
    assert "WorkerLostError" in worker.output
