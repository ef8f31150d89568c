"""The hashtag sync given data it can't use: a tweetup with absurd dates, malformed headers
from X. One bad thing stops only itself. Through tweepy's real Client against the emulator."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, Tweetup
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


# SQLite refuses the row itself ("string or blob too big": its datetime checks overflow).
@pytest.mark.postgres
def test_a_tweetup_with_dates_at_the_end_of_time_fails_alone_and_its_batch_goes_on(
    x_search, sync_tweetup
):
    good = sync_tweetup("ATXtweetup")
    bad = sync_tweetup("FarFutureTweetup")
    # Older rows and the admin can hold such dates: ends_at + a day overflows datetime.
    Tweetup.objects.filter(pk=bad.pk).update(
        starts_at=datetime(9999, 12, 31, 20, 0, tzinfo=UTC),
        ends_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
    )
    x_search.rewind()
    ids = x_search.post_many("ATXtweetup", 3)
    x_search.post_many("FarFutureTweetup", 2)

    result = tasks.sync_batch.apply(args=([bad.pk, good.pk], read_ceiling(timezone.now()))).get()

    assert wall(good) == ids[::-1]
    assert state(good).status == HashtagSync.Status.OK
    assert (result["synced"], result["bad_data"]) == (1, 1)
    sync = state(bad)
    assert sync.status == HashtagSync.Status.FAILING
    assert sync.last_error == (
        "This tweetup's dates (31 December 9999 to 31 December 9999) are too far out for the "
        "sync to work with, so its wall is not being filled. Correct the dates and the sync "
        "picks it up again."
    )
    assert sync.next_sync_at > timezone.now()  # not tried again every cycle
    assert wall(bad) == []


@pytest.mark.postgres  # SQLite refuses the row itself, as above
def test_the_command_says_a_tweetup_was_left_out_for_its_data(x_search, sync_tweetup):
    good, bad = sync_tweetup("ATXtweetup"), sync_tweetup("FarFutureTweetup")
    Tweetup.objects.filter(pk=bad.pk).update(
        starts_at=datetime(9999, 12, 31, 20, 0, tzinfo=UTC),
        ends_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
    )
    x_search.rewind()
    x_search.post_many("ATXtweetup", 2)
    out, err = StringIO(), StringIO()

    call_command("sync_hashtags", stdout=out, stderr=err)

    assert out.getvalue().splitlines()[-1].startswith("2 tweetup(s) due, 1 synced")
    assert err.getvalue() == (
        "1 tweetup(s) have data the sync can't work with and were left out; their organizer's "
        "panel says why.\n"
    )
    assert len(wall(good)) == 2


# --- Malformed rate-limit headers --------------------------------------------------------------


def test_a_429_with_a_malformed_reset_reschedules_the_batch_instead_of_crashing(
    x_search, sync_tweetup, monkeypatch
):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.rewind()
    x_search.post_many("ATXtweetup", 3)
    # tweepy reads x-rate-limit-reset of a 429 with int(): "soon" raised ValueError.
    x_search.fault(status=429, headers={"x-rate-limit-reset": "soon"})
    rescheduled = []
    monkeypatch.setattr(
        tasks.sync_batch, "apply_async", lambda args, **options: rescheduled.append(options)
    )

    result = tasks.sync_batch.apply(args=([tweetup.pk], read_ceiling(timezone.now()))).get()

    assert result["rescheduled"] is True
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.RATE_LIMITED
    # No reset to go by: wait out one whole rate window of X's, and a minute.
    wait = (sync.next_sync_at - timezone.now()).total_seconds()
    assert 15 * 60 < wait <= 16 * 60 + 5
    assert 15 * 60 < rescheduled[0]["countdown"] <= 16 * 60 + 5


@pytest.mark.parametrize(
    "headers",
    [
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "soon"},
        {"x-rate-limit-remaining": "none", "x-rate-limit-reset": "1e9"},
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "99999999999999999999999"},
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "-5"},
        {"x-rate-limit-remaining": "-1", "x-rate-limit-reset": ""},
    ],
)
def test_malformed_rate_limit_headers_on_an_answer_are_ignored(x_search, sync_tweetup, headers):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 3)
    x_search.fault("headers", headers=headers, count=5)

    report = run_sync_cycle(now=x_search.cycle_time())

    assert wall(tweetup) == ids[::-1]
    assert state(tweetup).status == HashtagSync.Status.OK
    assert not report.stopped
