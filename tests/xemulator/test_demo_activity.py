"""The demo activity of `make run`: started by the serve command's flags or environment, a
backlog at once and then a post on a timer, only as the demo accounts, with texts a wall
must handle."""

import os
import random
import subprocess
import sys
import threading

import pytest
import requests

from tests.xemulator.conftest import REPO_ROOT, SEARCH_PATH
from xemulator.__main__ import hashtag_list
from xemulator.client import EmulatorClient
from xemulator.demo import DEMO_TALK, DEMO_TEXTS, DemoActivity, demo_text
from xemulator.state import EmulatorState
from xemulator.text import parse_text

DEMO_AUTHORS = {"maya_okafor", "jonasweber", "priya_codes", "luciafdez", "samcarter"}


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
