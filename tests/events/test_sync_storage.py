"""What a hashtag sync cycle stores: each post once, with its text and entities as typed
(escapes, emoji, 280 characters), its author (updated, not duplicated), and each tweetup's
sync state; the query asks X for those fields and leaves out retweets. Through tweepy's
real Client against the emulator."""

import pytest

from events.models import HashtagSync, PostReadUsage, Tweet, XAuthor
from events.sync.cycle import run_sync_cycle
from events.sync.policy import read_ceiling
from tests.fixtures_sync import state, wall

pytestmark = pytest.mark.django_db


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
