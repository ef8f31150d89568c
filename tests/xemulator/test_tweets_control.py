"""Posting through the control API: one post, a batch (all or none), posts generated in
bulk, and clearing them."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.xemulator.conftest import MAYA, ago
from xemulator.client import EmulatorControlError


def refused(call, *args, **kwargs) -> EmulatorControlError:
    with pytest.raises(EmulatorControlError) as error:
        call(*args, **kwargs)
    return error.value


# --- one post ----------------------------------------------------------------------------------


def test_post_tweet_returns_the_post_as_search_would(x_emulator):
    tweet = x_emulator.control.post_tweet(
        "maya_okafor", "Hi & bye #Control", lang="de", public_metrics={"like_count": 2}
    )

    assert tweet["text"] == "Hi &amp; bye #Control"
    assert tweet["author_id"] == MAYA
    assert tweet["lang"] == "de"
    assert tweet["public_metrics"]["like_count"] == 2
    assert tweet["entities"]["hashtags"] == [{"start": 9, "end": 17, "tag": "Control"}]
    assert x_emulator.control.tweets() == [tweet]


def test_a_new_handle_becomes_an_account_without_an_avatar(x_emulator):
    tweet = x_emulator.control.post_tweet("@brand_new", "first post")

    (user,) = [u for u in x_emulator.control.users() if u["username"] == "brand_new"]
    assert tweet["author_id"] == user["id"]
    assert "profile_image_url" not in user


def test_post_by_author_id_and_a_backdated_post(x_emulator):
    created_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)

    tweet = x_emulator.control.post_tweet(
        None, "from the past", author_id="1460000000000000002", created_at=created_at
    )

    assert tweet["author_id"] == "1460000000000000002"
    assert tweet["created_at"] == created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"username": "maya_okafor", "text": ""}, "text must be a non-empty string"),
        ({"username": "maya_okafor", "text": "x" * 25_001}, "X allows 25000 in a long post"),
        ({"username": "maya_okafor"}, "text must be a non-empty string"),
        ({"text": "no author"}, "give the author as username"),
        ({"username": "has space", "text": "x"}, "give the author as username"),
        ({"author_id": "999", "text": "x"}, "no user with id '999'"),
        ({"author_id": MAYA, "username": "jonasweber", "text": "x"}, "name different users"),
        ({"username": "maya_okafor", "text": "x", "created_at": "2099-01-01T00:00:00Z"}, "future"),
        ({"username": "maya_okafor", "text": "x", "created_at": "2026-01-01T00:00:00"}, "zone"),
        ({"username": "maya_okafor", "text": "x", "created_at": "soon"}, "ISO 8601"),
        ({"username": "maya_okafor", "text": "x", "lang": "English"}, "BCP 47"),
        ({"username": "maya_okafor", "text": "x", "public_metrics": {"likes": 1}}, "counts named"),
        ({"username": "maya_okafor", "text": "x", "public_metrics": {"like_count": -1}}, "counts"),
        ({"username": "maya_okafor", "text": "x", "colour": "red"}, "unknown fields: colour"),
        (
            {"username": "maya_okafor", "text": "x", "is_retweet": True},
            'starts with "RT @handle: "',
        ),
        ({"username": "maya_okafor", "retweet_of": "123"}, "no stored post with id '123'"),
    ],
)
def test_bad_posts_are_refused(x_emulator, spec, message):
    error = refused(x_emulator.control._call, "POST", "tweets", spec)

    assert error.status == 400
    assert message in error.payload["error"]
    assert x_emulator.control.tweets() == []
    assert len(x_emulator.control.users()) == 6


def test_a_long_link_counts_as_23_characters(x_emulator):
    text = "x" * 250 + " https://example.com/" + "a" * 100

    tweet = x_emulator.control.post_tweet("maya_okafor", text)

    assert len(tweet["text"]) == 250 + 1 + 23


def test_text_and_retweet_of_together_are_refused(x_emulator):
    original = x_emulator.control.post_tweet("maya_okafor", "original")

    error = refused(x_emulator.control.post_tweet, "jonasweber", "text", retweet_of=original["id"])

    assert error.payload == {"error": "give text or retweet_of, not both"}


# --- many posts --------------------------------------------------------------------------------


def test_post_tweets_stores_all_or_none(x_emulator):
    good = {"username": "maya_okafor", "text": "fine #Batch"}
    new_author = {"username": "somebody_new", "text": "also fine"}

    error = refused(x_emulator.control.post_tweets, [good, new_author, {"username": "x"}])

    assert error.payload["error"].startswith("post 2: ")
    assert x_emulator.control.tweets() == []
    assert "somebody_new" not in {u["username"] for u in x_emulator.control.users()}

    summary = x_emulator.control.post_tweets([good, new_author])
    stored = x_emulator.control.tweets()
    assert summary == {
        "created": 2,
        "newest_id": stored[0]["id"],
        "oldest_id": stored[1]["id"],
    }


def test_a_bulk_body_bigger_than_a_megabyte_is_accepted(x_emulator):
    tweets = [{"username": "maya_okafor", "text": f"{i} " + "y" * 100} for i in range(12_000)]

    assert x_emulator.control.post_tweets(tweets)["created"] == 12_000


def test_generate_50000_posts_over_500_hashtags(x_emulator, x_search):
    hashtags = [f"Bench{i}" for i in range(500)]

    summary = x_emulator.control.generate_tweets(hashtags, 50_000, seed=7)

    assert summary["created"] == 50_000
    body = x_search("#bench7", max_results="100").json()
    assert body["meta"]["result_count"] == 100 and "next_token" not in body["meta"]
    # Spread over six days, all inside recent search's window.
    newest = int(summary["newest_id"]) >> 22
    oldest = int(summary["oldest_id"]) >> 22
    assert 5.9 * 86_400_000 < newest - oldest < 6.1 * 86_400_000


def test_generated_posts_take_options(x_emulator, x_search):
    x_emulator.control.generate_tweets(
        ["#Gen"],
        20,
        usernames=["gen_author"],
        span_seconds=60,
        newest_at=ago(3600),
        retweet_every=4,
    )

    everything = x_search("#gen", max_results="100", **{"tweet.fields": "author_id"}).json()
    originals = x_search("#gen -is:retweet", max_results="100").json()
    assert everything["meta"]["result_count"] == 20
    assert originals["meta"]["result_count"] == 15
    assert {t["author_id"] for t in everything["data"]} == {
        u["id"] for u in x_emulator.control.users() if u["username"] == "gen_author"
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"hashtags": [], "count": 5},
        {"hashtags": ["2026"], "count": 5},
        {"hashtags": ["two words"], "count": 5},
        {"hashtags": ["Ok"], "count": 0},
        {"hashtags": ["Ok"], "count": 5, "retweet_every": -1},
        {"hashtags": ["Ok"], "count": 5, "colour": "red"},
        {"tweets": [], "hashtags": ["Ok"]},
        {"count": 5},
    ],
)
def test_bad_generators_are_refused(x_emulator, payload):
    error = refused(x_emulator.control._call, "POST", "tweets/bulk", payload)

    assert error.status == 400
    assert x_emulator.control.tweets() == []


def test_clear_tweets_and_reset_forget_the_posts(x_emulator, x_search):
    x_emulator.control.post_tweet("maya_okafor", "#Gone")
    x_emulator.control.clear_tweets()
    assert x_emulator.control.tweets() == []

    x_emulator.control.post_tweet("maya_okafor", "#Gone")
    x_emulator.control.reset()
    assert x_search("#Gone").json() == {"meta": {"result_count": 0}}
