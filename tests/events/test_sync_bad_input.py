"""The hashtag sync given data it can't use: a tweetup with absurd dates, malformed headers
from X. One bad thing stops only itself. Through tweepy's real Client against the emulator."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, Tweetup
from events.sync.policy import read_ceiling
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


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
