"""Posting through the control API, the `post` command and the demo activity of `make run`."""

import os
import random
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.xemulator.conftest import MAYA, REPO_ROOT, SEARCH_PATH, ago
from xemulator.__main__ import hashtag_list
from xemulator.client import EmulatorClient, EmulatorControlError
from xemulator.demo import DEMO_TALK, DEMO_TEXTS, DemoActivity, demo_text
from xemulator.state import EmulatorState
from xemulator.text import parse_text

DEMO_AUTHORS = {"maya_okafor", "jonasweber", "priya_codes", "luciafdez", "samcarter"}


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


# --- rate limit and fault settings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"remaining": 451},
        {"remaining": -1},
        {"limit": -1},
        {"window_seconds": 0},
        {"reset_in_seconds": 0},
        {"reset_in_seconds": 901},
        {"limit": "many"},
        {"limit": 1.5},
        {"budget": 3},
    ],
)
def test_bad_rate_limit_changes_are_refused(x_emulator, payload):
    error = refused(x_emulator.control._call, "POST", "rate-limit", payload)

    assert error.status == 400
    assert x_emulator.control.rate_limit()["limit"] == 450


def test_a_negative_reset_on_a_fault_is_refused(x_emulator):
    error = refused(x_emulator.control.add_fault, SEARCH_PATH, status=429, reset_seconds=-1)

    assert error.status == 400


# --- the command line ----------------------------------------------------------------------------


def run_module(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xemulator", *args],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_post_command(x_emulator):
    done = run_module(
        "post",
        "--base-url",
        x_emulator.base_url,
        "--user",
        "maya_okafor",
        "Hello #BerlinTweetup & all",
    )

    (tweet,) = x_emulator.control.tweets()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Posted {tweet['id']} as @maya_okafor at ")
    assert done.stdout.strip().endswith("Hello #BerlinTweetup &amp; all")
    assert tweet["author_id"] == MAYA


def test_the_post_command_reads_the_base_url_from_the_environment(x_emulator):
    done = run_module("post", "--user", "new_voice", "--retweet", "RT @maya_okafor: hi",
                      env={"XEMU_BASE_URL": x_emulator.base_url})  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert x_emulator.control.tweets()[0]["referenced_tweets"][0]["type"] == "retweeted"


def test_the_post_command_explains_a_refusal_and_an_unreachable_emulator(x_emulator):
    refused_post = run_module(
        "post", "--base-url", x_emulator.base_url, "--user", "x", "x" * 25_001
    )
    unreachable = run_module("post", "--base-url", "http://127.0.0.1:9", "--user", "x", "hi")

    assert refused_post.returncode == 1
    assert "The emulator refused the post: text is 25001 characters" in refused_post.stderr
    assert unreachable.returncode == 1
    assert "Could not reach the emulator at http://127.0.0.1:9" in unreachable.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--demo-activity", "3600", "--demo-hashtags", "#DemoOne, DemoTwo"], {}),
        ([], {"XEMU_DEMO_ACTIVITY": "3600", "XEMU_DEMO_HASHTAGS": "DemoOne,#DemoTwo"}),
    ],
)
def test_serving_with_demo_activity_posts_a_backlog_at_once(args, env):
    process = subprocess.Popen(
        [sys.executable, "-m", "xemulator", "--port", "0", *args],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        activity = process.stdout.readline()  # printed once the backlog is posted
        talk = process.stdout.readline()  # and people planning tweetups (events/found/)
        base_url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        tweets = EmulatorClient(base_url).tweets()
        found = requests.get(
            base_url + SEARCH_PATH,
            params={"query": "#demoone OR #demotwo", "expansions": "author_id"},
            headers={"Authorization": "Bearer tweetups-dev-bearer"},
            timeout=10,
        ).json()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()

    assert activity.strip() == "Demo activity: a post every 3600s on #DemoOne, #DemoTwo"
    assert talk.startswith("Demo posts: people planning tweetups")
    assert len(tweets) == 4 + len(DEMO_TALK) + 1  # and a retweet of the first
    assert found["meta"]["result_count"] == 4
    assert {u["username"] for u in found["includes"]["users"]} <= DEMO_AUTHORS


def test_demo_activity_without_hashtags_says_so():
    process = subprocess.Popen(
        [sys.executable, "-m", "xemulator", "--port", "0", "--demo-activity", "5"],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        process.stdout.readline()
        warning = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()

    assert warning.startswith("Demo activity needs --demo-hashtags")


def test_hashtag_list_takes_commas_spaces_and_signs():
    assert hashtag_list("#A, B  #C,,") == ["A", "B", "C"]
    assert hashtag_list("") == []


# --- demo activity -------------------------------------------------------------------------------


def test_demo_activity_keeps_posting_until_stopped():
    state = EmulatorState()
    posted = threading.Semaphore(0)

    class Observed(DemoActivity):
        def post_one(self, **kwargs):
            super().post_one(**kwargs)
            posted.release()

    activity = Observed(state, ["Live"], 0.01, backlog_per_hashtag=3, rng=random.Random(1)).start()
    try:
        for _ in range(3 + 2):  # the backlog, then two on the timer
            assert posted.acquire(timeout=10)
    finally:
        activity.stop()

    tweets = state.all_tweets()
    assert len(tweets) >= 5
    assert all("live" in t.hashtag_set for t in tweets)
    assert {state.users[t.author_id].username for t in tweets} <= DEMO_AUTHORS
    # The backlog is from the last hour, older than what the timer posted.
    assert tweets[-1].created_ms < tweets[0].created_ms - 50_000


def test_demo_activity_posts_only_as_the_demo_accounts():
    state = EmulatorState()
    # Someone signed in at the consent screen with a handle of their own.
    newcomer = state.add_user(username="newbie_tester", name="Newbie")

    activity = DemoActivity(state, ["Live"], 60, backlog_per_hashtag=50, rng=random.Random(3))
    for _ in range(50):
        activity.post_one()

    authors = {state.users[t.author_id].username for t in state.all_tweets()}
    assert authors == DEMO_AUTHORS
    assert newcomer.username not in authors


@pytest.mark.parametrize("template", DEMO_TEXTS)
def test_every_demo_text_is_a_valid_post_carrying_its_hashtag(template):
    rng = random.Random()
    rng.choice = lambda _: template

    text = demo_text(rng, "BandraTweetup", "jonasweber")

    parsed = parse_text(text)
    assert len(parsed.text) <= 280
    assert "BandraTweetup" in {h["tag"] for h in parsed.hashtags}


def test_demo_texts_have_what_a_wall_must_handle():
    everything = " ".join(DEMO_TEXTS)

    # Escaped characters, links, mentions, and an emoji built with a zero-width joiner.
    for needle in ("&", "<", ">", "https://", "@{friend}", "\u200d"):
        assert needle in everything
