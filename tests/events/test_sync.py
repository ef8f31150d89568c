"""The hashtag sync through tweepy's real Client against the X emulator over HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import HashtagSync, PostReadUsage, Tweet, Tweetup, TweetupTweet, XAuthor
from events.sync.cycle import run_sync_cycle
from events.sync.policy import next_sync_at, query_since_id, read_ceiling
from events.sync.reading import sync_tweetups
from events.sync.wall import wall_post_hide, wall_post_show
from events.sync.x_client import search_query
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


# --- What gets stored ------------------------------------------------------------------------


def test_a_cycle_stores_posts_authors_and_the_sync_state(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    x_search.control.add_user(
        "ada", name="Ada L.", profile_image_url="https://pbs.twimg.com/profile_images/ada.jpg"
    )
    first = x_search.post("Warming up for #ATXtweetup", username="ada")
    second = x_search.post("On my way #ATXtweetup", username="ada")
    x_search.post("Unrelated #elsewhere", username="ada")

    now = x_search.cycle_time()
    report = run_sync_cycle(now=now)

    assert wall(tweetup) == [int(second["id"]), int(first["id"])]
    assert report.requests == 1
    assert report.posts_read == 2
    post = Tweet.objects.get(x_id=int(first["id"]))
    assert post.text == "Warming up for #ATXtweetup"
    assert post.created_at.isoformat().startswith(first["created_at"][:19])
    assert post.lang == "en"
    assert post.entities["hashtags"][0]["tag"] == "ATXtweetup"
    author = XAuthor.objects.get()
    assert (author.x_id, author.username, author.name) == (int(first["author_id"]), "ada", "Ada L.")
    assert author.profile_image_url == "https://pbs.twimg.com/profile_images/ada.jpg"
    sync = state(tweetup)
    assert sync.status == HashtagSync.Status.OK
    # Read up to the cycle's ceiling: every post made before it settled.
    assert sync.since_id == read_ceiling(now) - 1 > int(second["id"])
    assert sync.posts_stored == 2
    assert sync.last_synced_at is not None
    assert sync.next_sync_at > sync.last_synced_at
    assert (sync.pending_until_id, sync.pending_newest_id) == (None, None)
    assert PostReadUsage.objects.get().posts_read == 2


def test_the_query_asks_for_the_fields_the_wall_needs_and_leaves_out_retweets(
    x_search, sync_tweetup
):
    sync_tweetup("ATXtweetup")
    original = x_search.post("Great night #ATXtweetup", username="ada")
    x_search.control.post_tweet("bob", retweet_of=original["id"])

    run_sync_cycle(now=x_search.cycle_time())

    (request,) = x_search.requests()
    assert request["query"]["query"] == "#atxtweetup -is:retweet"
    assert request["query"]["expansions"] == "author_id"
    assert set(request["query"]["tweet.fields"].split(",")) >= {"created_at", "entities"}
    assert Tweet.objects.count() == 1


def test_html_entities_are_stored_as_typed(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    typed = 'Fish & chips <3 > "you" &amp; me <script>alert(1)</script> #ATXtweetup'
    posted = x_search.post(typed)
    assert "&amp;amp;" in posted["text"]  # X escapes &, < and > on the way out

    run_sync_cycle(now=x_search.cycle_time())

    (post,) = Tweet.objects.filter(tweetup_links__tweetup=tweetup)
    assert post.text == typed


def test_emoji_and_280_character_posts_keep_their_text_and_entity_offsets(x_search, sync_tweetup):
    sync_tweetup("ATXtweetup")
    head, tail = "🎉🇩🇪 Prost! #ATXtweetup ", " 👩‍💻 done"
    text = head + "ü" * (280 - len(head) - len(tail)) + tail
    assert len(text) == 280
    x_search.post(text)

    run_sync_cycle(now=x_search.cycle_time())

    post = Tweet.objects.get()
    assert post.text == text
    (tag,) = post.entities["hashtags"]
    assert post.text[tag["start"] : tag["end"]] == "#ATXtweetup"


def test_an_author_without_an_avatar_is_stored_with_none(x_search, sync_tweetup):
    sync_tweetup("ATXtweetup")
    x_search.post("No picture #ATXtweetup", username="faceless")

    run_sync_cycle(now=x_search.cycle_time())

    author = XAuthor.objects.get()
    assert author.username == "faceless"
    assert author.profile_image_url == ""


def test_an_author_changing_name_is_updated_not_duplicated(x_search, sync_tweetup):
    sync_tweetup("ATXtweetup")
    x_search.post("Before #ATXtweetup", username="ada")
    run_sync_cycle(now=x_search.cycle_time())
    user_id = XAuthor.objects.get().x_id
    x_search.control.update_user(str(user_id), username="ada_new", name="Ada New")
    x_search.post("After #ATXtweetup", username="ada_new")

    run_sync_cycle(now=x_search.cycle_time(after_seconds=300))

    author = XAuthor.objects.get()
    assert (author.x_id, author.username, author.name) == (user_id, "ada_new", "Ada New")
    assert Tweet.objects.filter(author=author).count() == 2


# --- Reading: paging, since_id, batching ---------------------------------------------------


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


# --- Which tweetups are polled, and how often -----------------------------------------------


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


# --- The wall's reads and the organizer's hide ------------------------------------------------


def test_for_wall_is_newest_first_hides_hidden_posts_and_badges_people_going(
    x_search, sync_tweetup, django_assert_num_queries
):
    from events.models import Rsvp
    from tests.factories import UserFactory

    tweetup = sync_tweetup("ATXtweetup")
    going = x_search.control.add_user("goer")
    x_search.post("First #ATXtweetup", username="goer")
    x_search.post("Second #ATXtweetup", username="stranger")
    third = x_search.post("Third #ATXtweetup", username="goer")
    run_sync_cycle(now=x_search.cycle_time())
    Rsvp.objects.create(
        tweetup=tweetup, user=UserFactory(x_id=going["id"], x_username="goer"), status="going"
    )
    hidden = Tweet.objects.get(x_id=int(third["id"]))

    wall_post_hide(tweetup=tweetup, tweet=hidden, actor=tweetup.organizer)

    with django_assert_num_queries(1):
        shown = [
            (t.text, t.author.username, t.author_is_going) for t in Tweet.objects.for_wall(tweetup)
        ]
    assert shown == [("Second #ATXtweetup", "stranger", False), ("First #ATXtweetup", "goer", True)]
    everything = list(Tweet.objects.for_wall(tweetup, include_hidden=True))
    assert [(t.x_id, t.is_hidden) for t in everything][0] == (hidden.x_id, True)
    newest, oldest = everything[0].x_id, everything[-1].x_id
    assert [t.x_id for t in Tweet.objects.for_wall(tweetup).newer_than(oldest)] == [
        everything[1].x_id
    ]
    assert (
        list(Tweet.objects.for_wall(tweetup, include_hidden=True).older_than(newest))
        == (everything[1:])
    )

    wall_post_show(tweetup=tweetup, tweet=hidden, actor=tweetup.organizer)
    assert Tweet.objects.for_wall(tweetup).count() == 3
    assert state(tweetup).posts_stored == 3  # hidden or not, stored


def test_only_the_organizer_hides_posts(x_search, sync_tweetup, other_user):
    from django.core.exceptions import PermissionDenied

    tweetup = sync_tweetup("ATXtweetup")
    x_search.post("Hi #ATXtweetup")
    run_sync_cycle(now=x_search.cycle_time())

    with pytest.raises(PermissionDenied):
        wall_post_hide(tweetup=tweetup, tweet=Tweet.objects.get(), actor=other_user)
    assert not TweetupTweet.objects.get().hidden


def test_a_post_on_two_walls_is_hidden_on_one_only(x_search, sync_tweetup):
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    x_search.post("Both #ATXtweetup #BerlinTweetup")
    run_sync_cycle(now=x_search.cycle_time())
    post = Tweet.objects.get()

    wall_post_hide(tweetup=austin, tweet=post, actor=austin.organizer)

    assert list(Tweet.objects.for_wall(austin)) == []
    assert list(Tweet.objects.for_wall(berlin)) == [post]


def test_the_forced_command_path_syncs_a_tweetup_not_yet_due(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    first = x_search.cycle_time()
    run_sync_cycle(now=first)
    x_search.post("New #ATXtweetup")

    assert run_sync_cycle(now=first + timedelta(seconds=1)).due == 0
    report = run_sync_cycle(tweetup_ids=[tweetup.pk], force=True, now=x_search.cycle_time())

    assert report.synced == {tweetup.pk}
    assert len(wall(tweetup)) == 1


def test_sync_tweetups_skips_a_batch_already_read_up_to_its_ceiling(x_search, sync_tweetup):
    tweetup = sync_tweetup("ATXtweetup")
    (newest,) = x_search.post_many("ATXtweetup", 1)
    run_sync_cycle(now=x_search.cycle_time())
    x_search.control.clear_requests()

    report = sync_tweetups(tweetup_ids=[tweetup.pk], until_id=newest + 1)

    assert report.skipped == {tweetup.pk}
    assert x_search.requests() == []
