"""One busy hashtag can't use up the month: live tweetups first, each tweetup's share per
cycle and per day, the budget spread over the month, and a hashtag the site already
stores linked instead of read again. Through tweepy's real Client against the emulator."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.html import escape

from events.models import HashtagSync, PostReadUsage
from events.sync.cycle import run_sync_cycle
from events.sync.fairness import Shares, next_day
from events.sync.policy import query_since_id
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


def test_a_busy_hashtag_reads_its_daily_share_and_the_live_walls_go_on(
    x_search, sync_tweetup, settings, client
):
    settings.X_MONTHLY_POST_READ_BUDGET = 1000  # 2% a day for one tweetup: 20 posts
    hot = sync_tweetup("HotTag", starts_in=timedelta(days=5))
    live = sync_tweetup("QuietLive")
    hot_ids = x_search.post_many("HotTag", 500)
    quiet = x_search.post_many("QuietLive", 3)

    now = x_search.cycle_time()
    report = run_sync_cycle(now=now)

    assert wall(live) == quiet[::-1]
    # Its share, newest first: one page of 20 for both, the three quiet posts among them;
    # a second page (X's smallest is 10) would go over the share.
    assert wall(hot) == hot_ids[::-1][:17]
    assert report.held_back == {hot.pk}
    assert not report.budget_exhausted
    assert PostReadUsage.objects.get().posts_read == 20
    sync = state(hot)
    assert sync.status == HashtagSync.Status.HELD_BACK
    assert sync.next_sync_at == next_day(now)
    assert sync.last_error.startswith("Held back until ")
    assert "read its share of posts from X for today (20)" in sync.last_error
    # The organizer's panel says so plainly, as a wait rather than a problem.
    client.force_login(hot.organizer)
    html = client.get(hot.get_absolute_url()).text
    assert "Held back to share the budget" in html
    assert escape(sync.last_error) in html
    assert "Last problem" not in html

    # The next cycles: the live wall gets its new posts; the busy one waits for tomorrow.
    newer = int(x_search.post("More #QuietLive")["id"])
    x_search.control.clear_requests()
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(live)[0] == newer
    assert ["#hottag" not in r["query"]["query"] for r in x_search.requests()] == [True]

    # Tomorrow it goes on from where it stopped: nothing skipped, nothing twice.
    run_sync_cycle(now=next_day(now) + timedelta(seconds=30))
    assert wall(hot) == hot_ids[::-1][:37]
    assert state(hot).posts_stored == 37


def test_one_tweetup_reads_at_most_its_share_of_a_cycle_and_the_query_goes_on_without_it(
    x_search, sync_tweetup, settings
):
    settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE = 100
    quiet = sync_tweetup("Quiet")
    hot = sync_tweetup("Hot")
    quiet_ids = x_search.post_many("Quiet", 5)  # older than the hot posts: read last
    hot_ids = x_search.post_many("Hot", 250)

    run_sync_cycle(now=x_search.cycle_time())

    queries = [r["query"]["query"] for r in x_search.requests()]
    assert queries == ["(#hot OR #quiet) -is:retweet", "#quiet -is:retweet"]
    assert wall(quiet) == quiet_ids[::-1]
    assert state(quiet).status == HashtagSync.Status.OK
    assert wall(hot) == hot_ids[::-1][:100]
    sync = state(hot)
    assert sync.status == HashtagSync.Status.HELD_BACK
    assert sync.last_error.startswith("Catching up: #Hot has more posts than one sync reads")

    # Two more cycles read the rest, each post once.
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(hot) == hot_ids[::-1]
    assert (state(hot).status, state(hot).last_error) == (HashtagSync.Status.OK, "")


def test_tweetups_not_happening_now_wait_once_the_sites_daily_part_is_read(sync_tweetup, settings):
    settings.X_MONTHLY_POST_READ_BUDGET = 3000
    live = sync_tweetup("LiveOne")
    later = sync_tweetup("LaterOne", starts_in=timedelta(days=10))
    busy = sync_tweetup("BusyOne")
    mid_month = datetime(2026, 11, 16, 12, tzinfo=UTC)  # 15 days left: 200 posts a day
    for tweetup in (live, later, busy):
        HashtagSync.objects.create(tweetup=tweetup, hashtag=tweetup.hashtag)
    live.starts_at = mid_month
    live.ends_at = mid_month + timedelta(hours=3)

    def read_today(posts):
        HashtagSync.objects.filter(tweetup=busy).update(
            read_on=mid_month.date(), posts_read_on_day=posts
        )
        PostReadUsage.objects.update_or_create(
            month=mid_month.date().replace(day=1), defaults={"posts_read": posts}
        )

    read_today(150)
    assert not Shares.for_run(mid_month).held_back(later, state(later))

    read_today(200)
    shares = Shares.for_run(mid_month)

    assert shares.held_back(later, state(later))
    assert not shares.held_back(live, state(live))  # happening now: it goes on
    reason, until = shares.why(later)
    assert reason.startswith("the site spreads its monthly budget")
    assert until == datetime(2026, 11, 17, tzinfo=UTC)


def test_a_new_tweetup_on_a_stored_hashtag_links_the_posts_instead_of_reading_them_again(
    x_search, sync_tweetup
):
    first = sync_tweetup("DosPlain")
    ids = x_search.post_many("DosPlain", 150)
    x_search.post("Another tag #DosPlainToo")
    run_sync_cycle(now=x_search.cycle_time())
    first_since = state(first).since_id
    second = sync_tweetup("dosplain", starts_in=timedelta(days=5))
    newer = int(x_search.post("New #DosPlain")["id"])
    x_search.control.clear_requests()

    now = x_search.cycle_time(after_seconds=120)
    report = run_sync_cycle(now=now)

    assert wall(second) == [newer, *ids[::-1]]
    assert state(second).posts_stored == 151
    # One query for both, from where the first had read to: X sends the new post (and
    # the overlap's, two pages), and bills the new one only.
    asked = {(r["query"]["query"], r["query"]["since_id"]) for r in x_search.requests()}
    assert asked == {("#dosplain -is:retweet", str(query_since_id(first_since, now)))}
    assert report.posts_billed == 1
    assert wall(first) == wall(second)


def test_live_tweetups_are_read_first_when_the_budget_runs_short(x_search, sync_tweetup, settings):
    # Only the month's budget limits here: no tweetup's share, and no spreading over the
    # days left (which, early in a month, would hold the later tweetup back on its own).
    settings.X_SYNC_TWEETUP_DAILY_SHARE = 1
    settings.X_SYNC_SPREAD_BUDGET = False
    live = sync_tweetup("LiveNow")
    x_search.post_many("LiveNow", 2)
    run_sync_cycle(now=x_search.cycle_time())
    settings.X_MONTHLY_POST_READ_BUDGET = PostReadUsage.objects.get().posts_read + 30
    later = sync_tweetup("NextWeek", starts_in=timedelta(days=6))  # X's 7 days to read
    x_search.post_many("NextWeek", 40)
    fresh = x_search.post_many("LiveNow", 12)

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert set(fresh) <= set(wall(live))
    assert 0 < len(wall(later)) < 40
    assert state(later).status == HashtagSync.Status.BUDGET_EXHAUSTED


def test_posts_read_again_in_the_overlap_do_not_count_against_the_share(
    x_search, sync_tweetup, settings
):
    settings.X_MONTHLY_POST_READ_BUDGET = 1000  # 20 posts a day for one tweetup
    tweetup = sync_tweetup("ATXtweetup")
    posted = []
    for cycle in range(3):
        posted += x_search.post_many("ATXtweetup", 4)[-4:]
        run_sync_cycle(now=x_search.cycle_time(after_seconds=120 if cycle else 0))

    assert wall(tweetup) == posted[::-1]
    assert x_search.control.usage()["posts_sent"] > 12  # the overlap was read again …
    sync = state(tweetup)
    assert (sync.status, sync.posts_read_on_day) == (HashtagSync.Status.OK, 12)  # … not counted
