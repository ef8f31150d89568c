"""Posts deleted on X, and posts of accounts that went protected, leave the walls: the
compliance check looks the walls' posts up by id (GET /2/tweets) through tweepy's real
Client against the emulator."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from events import periodic
from events.models import PostReadUsage, Tweet, Tweetup, TweetupTweet, XAuthor
from events.sync.compliance import compliance_check
from events.sync.cycle import run_sync_cycle
from tests.fixtures_sync import wall
from tweetups.celery import app as celery_app

pytestmark = pytest.mark.django_db

LOOKUP_PATH = "/2/tweets"


def looked_up(x_search) -> list[list[int]]:
    """The ids of each post lookup the emulator answered, in order."""
    return [
        [int(i) for i in r["query"]["ids"].split(",")]
        for r in x_search.control.requests(LOOKUP_PATH)
    ]


def test_posts_deleted_on_x_or_from_protected_accounts_leave_the_walls(x_search, sync_tweetup):
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    kept = x_search.post("Still here #ATXtweetup", username="alice")
    deleted = x_search.post("Oops #ATXtweetup #BerlinTweetup", username="alice")
    private = x_search.post("Going private #BerlinTweetup", username="bob")
    also_private = x_search.post("Me again #ATXtweetup", username="bob")
    run_sync_cycle(now=x_search.cycle_time())
    assert len(wall(austin)) == 3
    assert len(wall(berlin)) == 2

    x_search.control.delete_tweet(deleted["id"])
    x_search.control.update_user(private["author_id"], protected=True)
    report = compliance_check()

    assert wall(austin) == [int(kept["id"])]
    assert wall(berlin) == []
    assert (report.deleted, report.protected, report.left) == (1, 2, 0)
    assert set(Tweet.objects.values_list("x_id", flat=True)) == {int(kept["id"])}
    assert not XAuthor.objects.filter(x_id=int(private["author_id"])).exists()
    (ids,) = looked_up(x_search)
    posts = (kept, deleted, private, also_private)
    assert sorted(ids) == sorted(int(p["id"]) for p in posts)


def test_only_posts_shown_on_live_and_recent_walls_are_looked_up_100_at_a_time(
    x_search, sync_tweetup
):
    live, old = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    ids = x_search.post_many("ATXtweetup", 230)
    x_search.post_many("BerlinTweetup", 5, username="bob")
    run_sync_cycle(now=x_search.cycle_time())
    # Berlin's tweetup ended eight days ago; the organizer hid one of Austin's posts.
    ended = timezone.now() - timedelta(days=django_settings.X_COMPLIANCE_RECENT_DAYS + 1)
    Tweetup.objects.filter(pk=old.pk).update(starts_at=ended - timedelta(hours=3), ends_at=ended)
    TweetupTweet.objects.filter(tweetup=live, tweet_id=ids[0]).update(hidden=True)
    before = PostReadUsage.objects.get()

    report = compliance_check()

    batches = looked_up(x_search)
    assert [len(batch) for batch in batches] == [100, 100, 29]
    assert sorted(i for batch in batches for i in batch) == ids[1:]
    assert (report.requests, report.posts_read) == (3, 229)
    usage = PostReadUsage.objects.get()  # billed reads count against the month's budget
    assert usage.requests - before.requests == 3
    assert usage.posts_read - before.posts_read == 229
    assert len(wall(live)) == 230 and len(wall(old)) == 5  # nothing removed: all still there


def test_a_rate_limit_stops_the_check_and_the_next_one_removes_the_posts(
    x_search, sync_tweetup, settings
):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 150)
    run_sync_cycle(now=x_search.cycle_time())
    for tweet_id in (ids[0], ids[-1]):
        x_search.control.delete_tweet(str(tweet_id))
    x_search.control.add_fault(LOOKUP_PATH, status=429)

    stopped = compliance_check()

    assert stopped.stopped == "X rate limit reached"
    assert stopped.left == 150
    assert len(wall(tweetup)) == 150  # nothing removed on a refusal

    x_search.control.clear_faults()
    done = compliance_check()

    assert (done.deleted, done.left) == (2, 0)
    assert wall(tweetup) == ids[-2:0:-1]


def test_beat_runs_the_check_twice_in_each_utc_day(x_search, sync_tweetup):
    entry = django_settings.CELERY_BEAT_SCHEDULE["wall-compliance-check"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {1, 13}
    tweetup = sync_tweetup("ATXtweetup")
    post = x_search.post("Oops #ATXtweetup")
    run_sync_cycle(now=x_search.cycle_time())
    x_search.control.delete_tweet(post["id"])

    result = periodic.check_wall_compliance.apply().get()

    assert result["deleted"] == 1
    assert wall(tweetup) == []


def test_the_check_reads_at_most_its_cap_newest_first(x_search, sync_tweetup, settings):
    settings.X_COMPLIANCE_MAX_POSTS = 150
    sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 230)
    run_sync_cycle(now=x_search.cycle_time())

    report = compliance_check()

    batches = looked_up(x_search)
    assert [len(batch) for batch in batches] == [100, 50]
    assert sorted(i for batch in batches for i in batch) == ids[-150:]
    assert (report.posts_to_check, report.beyond_cap) == (230, 80)
