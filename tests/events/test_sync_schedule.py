"""Which tweetups a hashtag sync cycle reads, and when: scheduled ones in their window,
every cycle near the event and less often further out, a forced run for one not yet due,
and none once the month's budget of posts read is used up, resuming where it stopped.
Through tweepy's real Client against the emulator."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import HashtagSync, PostReadUsage, Tweetup
from events.sync.cycle import run_sync_cycle
from events.sync.policy import next_sync_at
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


def test_only_scheduled_tweetups_in_their_window_are_polled(x_search, sync_tweetup, user):
    now = timezone.now()
    during = sync_tweetup("NowOn", starts_in=-timedelta(hours=1))
    ended_yesterday = sync_tweetup("JustOver", starts_in=-timedelta(hours=20))
    long_over = sync_tweetup("LongOver", starts_in=-timedelta(days=2))
    cancelled = sync_tweetup("Called_off", status=Tweetup.Status.CANCELLED)

    report = run_sync_cycle(now=now)

    assert report.due == 2
    assert report.synced == {during.pk, ended_yesterday.pk}
    assert not HashtagSync.objects.filter(tweetup__in=[long_over, cancelled]).exists()


def test_polling_is_every_cycle_near_the_event_hourly_a_week_out_then_every_six_hours(
    settings,
):
    settings.X_SYNC_INTERVAL_SECONDS = 120
    now = timezone.now().replace(minute=10, second=0, microsecond=0)

    def tweetup(starts_in):
        return Tweetup(starts_at=now + starts_in, ends_at=now + starts_in + timedelta(hours=3))

    assert next_sync_at(tweetup(-timedelta(hours=1)), now) == now + timedelta(minutes=2)
    assert next_sync_at(tweetup(timedelta(hours=20)), now) == now + timedelta(minutes=2)
    hourly = next_sync_at(tweetup(timedelta(days=3)), now)
    assert hourly == now.replace(minute=0) + timedelta(hours=1)  # on the hour, shared
    far = next_sync_at(tweetup(timedelta(days=30)), now)
    assert far.hour % 6 == 0 and far.minute == 0
    assert timedelta(0) < far - now <= timedelta(hours=6)
    # The tier boundary comes before the grid: a day out it switches to every cycle.
    boundary = next_sync_at(tweetup(timedelta(days=1, minutes=30)), now)
    assert boundary == now + timedelta(minutes=30)


def test_a_tweetup_synced_recently_is_not_due(x_search, sync_tweetup):
    week_out = sync_tweetup("WeekOut", starts_in=timedelta(days=3))
    # Ten past an hour: the hourly tier's next slot is not within the next few minutes.
    now = timezone.now().replace(minute=10, second=0, microsecond=0) - timedelta(hours=1)
    run_sync_cycle(now=now)
    x_search.control.clear_requests()

    assert run_sync_cycle(now=now + timedelta(minutes=2)).due == 0
    assert x_search.requests() == []
    assert run_sync_cycle(now=state(week_out).next_sync_at).due == 1


def test_the_forced_command_path_syncs_a_tweetup_not_yet_due(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    first = x_search.cycle_time()
    run_sync_cycle(now=first)
    x_search.post("New #ATXtweetup")

    assert run_sync_cycle(now=first + timedelta(seconds=1)).due == 0
    report = run_sync_cycle(tweetup_ids=[tweetup.pk], force=True, now=x_search.cycle_time())

    assert report.synced == {tweetup.pk}
    assert len(wall(tweetup)) == 1


# --- The monthly budget ----------------------------------------------------------------------


def test_the_monthly_budget_stops_polling_and_says_so(x_search, sync_tweetup, settings):
    settings.X_MONTHLY_POST_READ_BUDGET = 15
    settings.X_SYNC_TWEETUP_DAILY_SHARE = 1  # one tweetup may use it all
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 30)

    report = run_sync_cycle(now=x_search.cycle_time())

    assert report.budget_exhausted
    (request,) = x_search.requests()
    assert request["query"]["max_results"] == "15"
    assert wall(tweetup) == ids[::-1][:15]
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.BUDGET_EXHAUSTED
    assert "budget of 15 posts read from X is used up" in sync.last_error

    # Reached: the next cycle asks X nothing.
    x_search.control.clear_requests()
    assert run_sync_cycle(now=x_search.cycle_time(after_seconds=120)).budget_exhausted
    assert x_search.requests() == []

    # More budget: the read resumes where it stopped, reading nothing twice.
    settings.X_MONTHLY_POST_READ_BUDGET = 1000
    report = run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert report.posts_read == 15
    assert wall(tweetup) == ids[::-1]
    assert state(tweetup).status == HashtagSync.Status.OK
    assert PostReadUsage.objects.get().posts_read == 30
