"""GET /2/tweets (posts by id) and the control API's deletions and protected accounts:
answers checked against X's OpenAPI description, and through tweepy's real Client."""

import pytest
import requests
import tweepy

from tests.xemulator.conftest import MAYA, SEARCH_PATH, post
from tests.xemulator.test_tweepy import X_HOSTS, ToEmulator

LOOKUP_PATH = "/2/tweets"
FIELDS = {"expansions": "author_id", "tweet.fields": "created_at,author_id,entities"}


@pytest.fixture
def x_lookup(x_emulator, bearer_token):
    """GET /2/tweets with the app's bearer token: x_lookup(["1", "2"], **params)."""

    def lookup(ids: list[str] | None, *, token: str | None = bearer_token, **params):
        if ids is not None:
            params["ids"] = ",".join(ids)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            x_emulator.base_url + LOOKUP_PATH, params=params, headers=headers, timeout=10
        )

    return lookup


def test_posts_come_in_the_order_asked_with_their_authors(
    x_emulator, x_lookup, assert_matches_x_openapi
):
    first = post(x_emulator, "One #Lookup")
    second = post(x_emulator, "Two #Lookup", "jonasweber")

    response = x_lookup([second, first], **FIELDS)

    assert response.status_code == 200
    assert_matches_x_openapi(response)
    body = response.json()
    assert [t["id"] for t in body["data"]] == [second, first]
    assert [u["username"] for u in body["includes"]["users"]] == ["jonasweber", "maya_okafor"]
    assert "errors" not in body
    assert "meta" not in body


def test_a_deleted_post_is_not_found_and_leaves_search_too(
    x_emulator, x_lookup, x_search, assert_matches_x_openapi
):
    kept = post(x_emulator, "Stays #Lookup")
    gone = post(x_emulator, "Regretted #Lookup")

    x_emulator.control.delete_tweet(gone)
    response = x_lookup([kept, gone], **FIELDS)

    assert_matches_x_openapi(response)
    body = response.json()
    assert [t["id"] for t in body["data"]] == [kept]
    assert body["errors"] == [
        {
            "value": gone,
            "detail": f"Could not find tweet with ids: [{gone}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": gone,
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
    assert [t["id"] for t in x_search("#lookup").json()["data"]] == [kept]
    assert [t["id"] for t in x_emulator.control.tweets()] == [kept]


def test_deleting_an_unknown_post_is_a_404(x_emulator):
    with pytest.raises(Exception, match="404"):
        x_emulator.control.delete_tweet("123")


def test_a_protected_accounts_post_is_not_authorized_for_the_app(
    x_emulator, x_lookup, assert_matches_x_openapi
):
    shown = post(x_emulator, "Public #Lookup", "jonasweber")
    hidden = post(x_emulator, "Soon private #Lookup")
    x_emulator.control.update_user(MAYA, protected=True)

    response = x_lookup([hidden, shown], **FIELDS)

    assert_matches_x_openapi(response)
    body = response.json()
    assert [t["id"] for t in body["data"]] == [shown]
    (error,) = body["errors"]
    assert error["type"] == "https://api.twitter.com/2/problems/not-authorized-for-resource"
    assert error["resource_id"] == hidden
    assert error["section"] == "data"


def test_only_errors_when_nothing_can_be_shown(x_emulator, x_lookup, assert_matches_x_openapi):
    response = x_lookup(["1460000000000000999"])

    assert response.status_code == 200
    assert_matches_x_openapi(response)
    assert set(response.json()) == {"errors"}


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "The `ids` query parameter can not be empty"),
        (
            [str(n) for n in range(1, 102)],
            "The number of values in the `ids` query parameter list [101] is not between 1 and 100",
        ),
        (["12", "abc"], "The `ids` query parameter value [abc] does not match ^[0-9]{1,19}$"),
    ],
)
def test_bad_ids_are_a_400_with_xs_message(x_lookup, assert_matches_x_openapi, ids, message):
    response = x_lookup(ids)

    assert response.status_code == 400
    assert_matches_x_openapi(response)
    assert [e["message"] for e in response.json()["errors"]] == [message]
    assert int(response.headers["x-rate-limit-remaining"]) == 3500 - 1


def test_without_a_token_it_is_a_401(x_lookup, assert_matches_x_openapi):
    response = x_lookup(["1"], token="wrong")

    assert response.status_code == 401
    assert_matches_x_openapi(response)


def test_the_lookup_has_its_own_rate_limit(x_emulator, x_lookup, x_search):
    x_emulator.control.configure(lookup_rate_limit=1)

    assert x_lookup(["1"]).status_code == 200
    assert x_lookup(["1"]).status_code == 429
    assert x_search("#a").status_code == 200  # search's budget is another


def test_tweepy_get_tweets_reads_posts_and_errors(x_emulator, bearer_token):
    kept = post(x_emulator, "Stays #Lookup")
    gone = post(x_emulator, "Regretted #Lookup")
    x_emulator.control.delete_tweet(gone)
    client = tweepy.Client(bearer_token=bearer_token)
    for host in X_HOSTS:
        client.session.mount(host, ToEmulator(x_emulator.base_url))

    response = client.get_tweets([kept, gone], expansions=["author_id"])

    assert [t.id for t in response.data] == [int(kept)]
    assert [e["resource_id"] for e in response.errors] == [gone]
    assert response.includes["users"][0].username == "maya_okafor"
    assert x_emulator.control.requests(LOOKUP_PATH)[-1]["query"]["ids"] == f"{kept},{gone}"
    assert x_emulator.control.requests(SEARCH_PATH) == []
