"""tweepy 4.17's real Client against the emulator: proof the wire format is X's.

tweepy builds every URL from https://api.twitter.com; as its maintainers advise, the test
mounts an adapter on `Client.session` that sends those requests to the emulator instead.
"""

import time
from datetime import datetime

import pytest
import tweepy
from requests.adapters import HTTPAdapter

from tests.xemulator.conftest import MAYA, SEARCH_PATH, ago

X_HOSTS = ("https://api.twitter.com", "https://api.x.com")


class ToEmulator(HTTPAdapter):
    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def send(self, request, **kwargs):
        for host in X_HOSTS:
            if request.url.startswith(host + "/"):
                request.url = self.base_url + request.url.removeprefix(host)
        return super().send(request, **kwargs)


@pytest.fixture
def tweepy_client(x_emulator, bearer_token):
    client = tweepy.Client(bearer_token=bearer_token)
    adapter = ToEmulator(x_emulator.base_url)
    for host in X_HOSTS:
        client.session.mount(host, adapter)
    yield client
    client.session.close()


FIELDS = {
    "expansions": ["author_id"],
    "tweet_fields": ["created_at", "author_id", "entities", "lang", "public_metrics"],
    "user_fields": ["name", "username", "profile_image_url"],
}


def test_search_recent_tweets(x_emulator, tweepy_client):
    x_emulator.control.post_tweet("maya_okafor", "Hello #BerlinTweetup & friends 🎉")

    response = tweepy_client.search_recent_tweets("#berlintweetup -is:retweet", **FIELDS)

    (tweet,) = response.data
    (author,) = response.includes["users"]
    assert isinstance(tweet, tweepy.Tweet)
    assert tweet.text == "Hello #BerlinTweetup &amp; friends 🎉"
    assert tweet.author_id == int(MAYA)
    assert isinstance(tweet.created_at, datetime)
    assert tweet.entities["hashtags"][0]["tag"] == "BerlinTweetup"
    assert tweet.public_metrics["like_count"] == 0
    assert (author.id, author.username) == (int(MAYA), "maya_okafor")
    assert author.profile_image_url.endswith("maya_okafor_normal.jpg")
    assert response.meta == {
        "newest_id": str(tweet.id),
        "oldest_id": str(tweet.id),
        "result_count": 1,
    }


def test_paginator_follows_every_page_keeping_since_id(x_emulator, tweepy_client):
    since = x_emulator.control.post_tweet("maya_okafor", "#Paged old", created_at=ago(600))["id"]
    x_emulator.control.post_tweets(
        [
            {"username": "jonasweber", "text": f"#Paged {i}", "created_at": ago(500 - i)}
            for i in range(43)
        ]
    )

    pages = list(
        tweepy.Paginator(
            tweepy_client.search_recent_tweets, "#Paged", since_id=since, max_results=10, **FIELDS
        )
    )

    tweets = [tweet for page in pages for tweet in page.data]
    assert [page.meta["result_count"] for page in pages] == [10, 10, 10, 10, 3]
    assert len({t.id for t in tweets}) == len(tweets) == 43
    assert int(since) not in {t.id for t in tweets}
    logged = x_emulator.control.requests(SEARCH_PATH)
    assert [e["query"]["since_id"] for e in logged] == [since] * 5
    assert "next_token" not in logged[0]["query"]
    assert all("next_token" in e["query"] for e in logged[1:])


def test_no_results(tweepy_client):
    response = tweepy_client.search_recent_tweets("#nothing", **FIELDS)

    assert response.data is None
    assert response.meta == {"result_count": 0}


def test_a_429_is_too_many_requests_with_the_reset_time(x_emulator, tweepy_client):
    x_emulator.control.add_fault(SEARCH_PATH, status=429, reset_seconds=300)

    with pytest.raises(tweepy.TooManyRequests) as limited:
        tweepy_client.search_recent_tweets("#a")

    assert time.time() + 298 <= limited.value.reset_time <= time.time() + 301


@pytest.mark.parametrize(
    ("fault", "error"),
    [(503, tweepy.TwitterServerError), (401, tweepy.Unauthorized), (400, tweepy.BadRequest)],
)
def test_other_errors_raise_tweepys_exceptions(x_emulator, tweepy_client, fault, error):
    x_emulator.control.add_fault(SEARCH_PATH, status=fault)

    with pytest.raises(error):
        tweepy_client.search_recent_tweets("#a")


def test_a_bad_query_is_a_bad_request_with_xs_message(tweepy_client):
    with pytest.raises(tweepy.BadRequest) as refused:
        tweepy_client.search_recent_tweets("(#a OR #b")

    assert refused.value.api_messages == [
        "There were errors processing your request: Missing closing parenthesis (at position 1)"
    ]


def test_a_wrong_bearer_token_is_unauthorized(x_emulator, tweepy_client):
    x_emulator.control.configure(bearer_token="another")

    with pytest.raises(tweepy.Unauthorized):
        tweepy_client.search_recent_tweets("#a")
