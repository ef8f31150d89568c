"""How a hashtag sync cycle reads recent search: next_token followed to the end, since_id
(kept within X's seven days) and the read ceiling, one query shared by many tweetups and
kept under the length limit, a new or renamed hashtag read from the start, posts younger
than the settle time left for the next cycle, and a batch already read up to its ceiling
skipped. Through tweepy's real Client against the emulator."""

from datetime import timedelta

import pytest

from events.models import HashtagSync, PostReadUsage, Tweet, Tweetup
from events.sync.cycle import run_sync_cycle
from events.sync.policy import first_id_at, query_since_id, read_ceiling
from events.sync.reading import sync_tweetups
from events.sync.x_client import search_query
from tests.fixtures_sync import state, statuses, wall

pytestmark = pytest.mark.django_db


def test_next_token_is_followed_to_the_end(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    ids = x_search.post_many("ATXtweetup", 250)

    now = x_search.cycle_time()
    report = run_sync_cycle(now=now)

    assert wall(tweetup) == ids[::-1]
    requests = x_search.requests()
    assert len(requests) == 3
    assert "next_token" not in requests[0]["query"]
    assert all("next_token" in r["query"] for r in requests[1:])
    assert report.posts_read == 250
    assert {r["query"]["until_id"] for r in requests} == {str(read_ceiling(now))}
    assert state(tweetup).since_id == read_ceiling(now) - 1
    assert state(tweetup).posts_stored == 250


def test_the_next_cycle_reads_only_newer_posts_with_since_id(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    old = x_search.post_many("ATXtweetup", 5)
    run_sync_cycle(now=x_search.cycle_time())
    since = state(tweetup).since_id
    x_search.control.clear_requests()
    new = [int(x_search.post(f"More {i} #ATXtweetup")["id"]) for i in range(3)]

    now = x_search.cycle_time(after_seconds=120)
    report = run_sync_cycle(now=now)

    (request,) = x_search.requests()
    # Back by the overlap for posts X indexed late: the first five are read again, stored
    # once, and not billed again the same day.
    assert request["query"]["since_id"] == str(query_since_id(since, now)) < str(since)
    assert (report.posts_read, report.posts_billed) == (8, 3)
    assert wall(tweetup) == new[::-1] + old[::-1]
    assert state(tweetup).posts_stored == 8
    assert PostReadUsage.objects.get().posts_read == 8


def test_nothing_new_stores_nothing_and_moves_since_id_to_the_ceiling(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.post_many("ATXtweetup", 3)
    run_sync_cycle(now=x_search.cycle_time())

    now = x_search.cycle_time(after_seconds=120)
    report = run_sync_cycle(now=now)

    assert report.requests == 1
    assert (report.posts_read, report.posts_billed, report.links_added) == (3, 0, 0)
    assert state(tweetup).since_id == read_ceiling(now) - 1
    assert state(tweetup).posts_stored == 3


def test_one_query_serves_many_tweetups_and_routes_each_post(x_search, sync_tweetup):
    austin = sync_tweetup("ATXtweetup")
    berlin = sync_tweetup("BerlinTweetup")
    lagos = sync_tweetup("LagosMeetup")
    a = int(x_search.post("Tacos #ATXtweetup")["id"])
    b = int(x_search.post("Currywurst #BerlinTweetup")["id"])
    both = int(x_search.post("Both! #ATXtweetup #BerlinTweetup")["id"])
    x_search.post("Not ours #Elsewhere")

    now = x_search.cycle_time()
    run_sync_cycle(now=now)

    (request,) = x_search.requests()
    assert request["query"]["query"] == (
        "(#atxtweetup OR #berlintweetup OR #lagosmeetup) -is:retweet"
    )
    assert wall(austin) == [both, a]
    assert wall(berlin) == [both, b]
    assert wall(lagos) == []
    assert Tweet.objects.count() == 3  # the post on two walls is stored once
    assert {state(t).since_id for t in (austin, berlin, lagos)} == {read_ceiling(now) - 1}


def test_hashtags_match_case_insensitively(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXTweetup")
    ids = [
        int(x_search.post(f"{text}")["id"])
        for text in ("#atxtweetup lower", "#ATXTWEETUP upper", "#AtXtWeEtUp mixed")
    ]

    run_sync_cycle(now=x_search.cycle_time())

    assert wall(tweetup) == ids[::-1]


def test_queries_stay_under_the_length_limit(x_search, sync_tweetup, settings):
    settings.X_SEARCH_QUERY_MAX_CHARS = 120
    tags = [f"LongHashtagNumber{i:02d}" for i in range(12)]
    tweetups = [sync_tweetup(tag) for tag in tags]
    for tag in tags:
        x_search.post(f"Hello #{tag}")

    run_sync_cycle(now=x_search.cycle_time())

    queries = [r["query"]["query"] for r in x_search.requests()]
    assert len(queries) == 3  # "(#…20… OR " × 4 + ") -is:retweet" is 107 characters
    assert all(len(q) <= 120 for q in queries)
    assert all(len(wall(t)) == 1 for t in tweetups)


def test_search_query_shape():
    assert search_query(["a"]) == "#a -is:retweet"
    assert search_query(["a", "b"]) == "(#a OR #b) -is:retweet"


def test_a_new_tweetup_catches_up_to_the_others_and_then_shares_their_query(x_search, sync_tweetup):
    austin = sync_tweetup("ATXtweetup")
    x_search.post_many("ATXtweetup", 3)
    berlin_old = int(x_search.post("Early #BerlinTweetup")["id"])
    run_sync_cycle(now=x_search.cycle_time())
    austin_since = state(austin).since_id
    # Berlin's tweetup is created after Austin's first sync: it has X's whole window to read.
    berlin = sync_tweetup("BerlinTweetup")
    x_search.post("Later #ATXtweetup")
    x_search.control.clear_requests()

    now = x_search.cycle_time(after_seconds=120)
    report = run_sync_cycle(now=now)

    queries = {r["query"]["query"]: r["query"] for r in x_search.requests()}
    assert set(queries) == {"#atxtweetup -is:retweet", "#berlintweetup -is:retweet"}
    assert queries["#atxtweetup -is:retweet"]["since_id"] == str(query_since_id(austin_since, now))
    assert "since_id" not in queries["#berlintweetup -is:retweet"]
    assert {q["until_id"] for q in queries.values()} == {str(read_ceiling(now))}
    assert wall(berlin) == [berlin_old]
    assert report.posts_billed == 2  # the three Austin posts read again are billed once
    assert state(austin).since_id == state(berlin).since_id == read_ceiling(now) - 1

    x_search.control.clear_requests()
    later = x_search.cycle_time(after_seconds=120)
    run_sync_cycle(now=later)
    (shared,) = x_search.requests()
    assert shared["query"]["query"] == "(#atxtweetup OR #berlintweetup) -is:retweet"
    assert shared["query"]["since_id"] == str(query_since_id(read_ceiling(now) - 1, later))


def test_posts_younger_than_the_settle_time_wait_for_the_next_cycle(
    x_search, sync_tweetup, settings
):
    tweetup = sync_tweetup("ATXtweetup")
    now = x_search.cycle_time()
    fresh = int(x_search.post("Just now #ATXtweetup")["id"])

    run_sync_cycle(now=now)
    assert wall(tweetup) == []

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))
    assert wall(tweetup) == [fresh]


def test_a_changed_hashtag_is_read_from_the_start(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.post_many("ATXtweetup", 2)
    renamed = int(x_search.post("Old news #AustinMeetup")["id"])
    run_sync_cycle(now=x_search.cycle_time())
    Tweetup.objects.filter(pk=tweetup.pk).update(hashtag="AustinMeetup")

    run_sync_cycle(now=x_search.cycle_time(after_seconds=120))

    assert renamed in wall(tweetup)
    assert state(tweetup).hashtag == "AustinMeetup"


def test_sync_tweetups_skips_a_batch_already_read_up_to_its_ceiling(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    (newest,) = x_search.post_many("ATXtweetup", 1)
    run_sync_cycle(now=x_search.cycle_time())
    x_search.control.clear_requests()

    report = sync_tweetups(tweetup_ids=[tweetup.pk], until_id=newest + 1)

    assert report.skipped == {tweetup.pk}
    assert x_search.requests() == []


def test_a_since_id_older_than_x_allows_moves_up_to_the_window_edge(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.post("Still in the window #ATXtweetup")
    now = x_search.cycle_time()
    HashtagSync.objects.create(
        tweetup=tweetup, hashtag="ATXtweetup", since_id=first_id_at(now - timedelta(days=8))
    )

    run_sync_cycle(now=now)

    assert statuses(x_search) == [200]  # X refuses a since_id older than its 7 days
    assert len(wall(tweetup)) == 1
