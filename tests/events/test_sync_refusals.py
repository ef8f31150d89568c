"""The hashtag sync when X refuses it: a 401 or 403 marks the sync failing and is tried
again less and less often, the foreground cycle stops asking, a rejected query fails that
query only, and the bearer token stays out of the logs. Through tweepy's real Client
against the emulator."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from events import tasks
from events.models import HashtagSync
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from tests.fixtures_sync import state, statuses, wall

pytestmark = pytest.mark.django_db


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
