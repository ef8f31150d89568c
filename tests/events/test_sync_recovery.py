"""Late posts, refused queries and honest counts: index lag covered by an overlap, a 400
narrowed down to its hashtag, and what X bills counted. Through tweepy's real Client
against the emulator."""

from io import StringIO

import pytest
from django.core.management import call_command

from events.models import HashtagSync, PostReadUsage
from events.sync.cycle import run_sync_cycle
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


# --- Index lag ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lag_seconds", [30, 250])
def test_posts_x_indexes_late_are_found_by_a_later_cycle(x_search, sync_tweetup, lag_seconds):
    x_search.control.configure(search_index_lag_seconds=lag_seconds)
    tweetup = sync_tweetup("ATXtweetup")
    late = [int(x_search.post(f"Late {i} #ATXtweetup")["id"]) for i in range(5)]

    run_sync_cycle(now=x_search.cycle_time())
    assert wall(tweetup) == []
    assert state(tweetup).since_id > max(late)  # settled by our clock, moved past them

    for _ in range(3):  # two minutes apart, as beat runs them
        run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert wall(tweetup) == late[::-1]
    assert state(tweetup).posts_stored == 5


def test_the_overlap_is_read_again_but_billed_and_counted_once(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    for cycle in range(4):
        x_search.post_many("ATXtweetup", 30)
        run_sync_cycle(now=x_search.cycle_time(after_seconds=120 if cycle else 0))

    assert len(wall(tweetup)) == 120
    usage = x_search.control.usage()
    assert usage["posts_sent"] > usage["posts_billed"] == 120  # the overlap, sent again
    assert PostReadUsage.objects.get().posts_read == 120


# --- A 400 for one hashtag ------------------------------------------------------------------------


def test_a_400_for_one_hashtag_is_narrowed_down_and_the_others_go_on(x_search, sync_tweetup):
    alpha, bad, charlie = (sync_tweetup(tag) for tag in ("Alpha", "BadTag", "Charlie"))
    alpha_ids = x_search.post_many("Alpha", 60)
    bad_ids = x_search.post_many("BadTag", 60)
    charlie_ids = x_search.post_many("Charlie", 60)
    # X refuses any query with #BadTag from page 2 of the shared query on.
    x_search.fault(status=400, query_contains="#badtag", after=1, count=100)

    run_sync_cycle(now=x_search.cycle_time())

    assert wall(alpha) == alpha_ids[::-1]
    assert wall(charlie) == charlie_ids[::-1]
    assert wall(bad) == bad_ids[::-1][:40]  # from page 1, before the refusals
    for tweetup in (alpha, charlie):
        assert (state(tweetup).status, state(tweetup).last_error) == ("ok", "")
    sync = state(bad)
    assert sync.status == HashtagSync.Status.FAILING
    assert sync.last_error.startswith("X rejected the search (")
    assert (sync.next_sync_at - sync.error_at).total_seconds() == 15
    queries = [r["query"]["query"] for r in x_search.requests()]
    assert queries[:2] == ["(#alpha OR #badtag OR #charlie) -is:retweet"] * 2
    assert "#alpha -is:retweet" in queries and "#badtag -is:retweet" in queries

    # X takes it again: the rest of its posts come in, each once.
    x_search.control.clear_faults()
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(bad) == bad_ids[::-1]
    assert (state(bad).status, state(bad).last_error) == ("ok", "")


# --- Honest counting ------------------------------------------------------------------------------


def test_posts_in_an_answer_that_cannot_be_read_are_counted_as_billed(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 250)
    x_search.fault("truncated", after=1)  # page 2 is sent (and billed), then cut off

    run_sync_cycle(now=x_search.cycle_time())

    assert len(wall(tweetup)) == 100
    billed = x_search.control.usage()["posts_billed"]
    assert billed == 200
    assert PostReadUsage.objects.get().posts_read == billed

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(tweetup) == ids[::-1]
    # The cut page's posts are read again the same day: X bills them once, and the app
    # can't tell which they were, so it counts up to a page more: never fewer.
    billed = x_search.control.usage()["posts_billed"]
    assert billed <= PostReadUsage.objects.get().posts_read <= billed + 100


def test_the_command_says_what_a_read_stopped_half_way_stored(x_search, sync_tweetup):
    sync_tweetup("ATXtweetup")
    x_search.rewind()  # the command runs at the real time
    x_search.post_many("ATXtweetup", 250)
    x_search.fault(status=503, after=2)  # pages 1 and 2 are stored, page 3 fails
    out = StringIO()

    call_command("sync_hashtags", stdout=out, stderr=StringIO())

    assert "X had a problem (503): left for the next cycle" in out.getvalue()
    assert "250 post(s) read" not in out.getvalue()
    assert "200 post(s) read (200 billed by X), 200 new on walls." in out.getvalue()
