"""Recent search's authentication, rate limit, injected faults, and its answers checked against
X's OpenAPI description."""

import json
import time

import pytest
from openapi_core.validation.response.exceptions import InvalidData

from tests.xemulator.conftest import SEARCH_PATH, ago
from xemulator.tweets import TWEET_FIELDS
from xemulator.users import USER_FIELDS

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
TOO_MANY = {
    "title": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
    "detail": "Too Many Requests",
}


def budget(response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["x-rate-limit-limit"]),
        int(headers["x-rate-limit-remaining"]),
        int(headers["x-rate-limit-reset"]),
    )


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "not-the-bearer-token"])
def test_without_the_apps_bearer_token_it_is_a_401(x_search, assert_matches_x_openapi, token):
    before = budget(x_search("#a"))

    response = x_search("#a", token=token)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    # It carries the headers too, and a refused caller spends nothing.
    assert budget(response) == (450, before[1], before[2])
    assert budget(x_search("#a"))[1] == before[1] - 1
    assert_matches_x_openapi(response)


def test_a_users_token_works_and_spends_that_users_budget(x_app, x_search):
    token = x_app.access_token()

    as_user = x_search("#a", token=token)
    as_app = x_search("#a")

    assert as_user.status_code == 200
    assert budget(as_user)[:2] == (300, 299)
    assert budget(as_app)[:2] == (450, 449)


def test_a_users_token_without_tweet_read_is_forbidden(x_app, x_search):
    response = x_search("#a", token=x_app.access_token(scope="users.read"))

    assert response.status_code == 403
    assert "x-rate-limit-remaining" in response.headers


def test_the_bearer_token_comes_from_the_configuration(x_emulator, x_search):
    x_emulator.control.configure(bearer_token="rotated")

    assert x_search("#a").status_code == 401
    assert x_search("#a", token="rotated").status_code == 200
    assert "bearer_token" not in x_emulator.control.config()


# --- the rate limit -----------------------------------------------------------------------------


def test_headers_count_down_within_one_window(x_search):
    started = time.time()
    first, second = x_search("#a"), x_search("#a", max_results="5")  # a 400 counts too

    assert budget(first)[:2] == (450, 449)
    assert budget(second)[:2] == (450, 448)
    assert budget(first)[2] == budget(second)[2]
    assert started + 899 <= budget(first)[2] <= time.time() + 901


def test_429_after_the_budget_then_back_after_the_window(
    x_emulator, x_search, assert_matches_x_openapi
):
    x_emulator.control.configure(search_rate_limit=3)
    answers = [x_search("#a") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.json() == TOO_MANY
    assert budget(limited)[:2] == (3, 0)
    assert_matches_x_openapi(limited)

    x_emulator.control.advance_clock(15 * 60)
    again = x_search("#a")
    assert again.status_code == 200
    assert budget(again)[:2] == (3, 2)
    assert budget(again)[2] > budget(limited)[2]


def test_set_rate_limit_spends_the_budget_until_a_chosen_reset(x_emulator, x_search):
    status = x_emulator.control.set_rate_limit(remaining=0, reset_in_seconds=60)

    limited = x_search("#a")

    assert limited.status_code == 429
    assert budget(limited)[2] == status["reset"]
    assert time.time() + 58 <= status["reset"] <= time.time() + 61
    assert x_emulator.control.rate_limit()["remaining"] == 0
    x_emulator.control.advance_clock(61)
    assert x_search("#a").status_code == 200


def test_set_rate_limit_resizes_the_budget(x_emulator, x_search):
    x_search("#a")

    status = x_emulator.control.set_rate_limit(limit=10, window_seconds=60)

    assert status == {**status, "limit": 10, "remaining": 9, "window_seconds": 60}
    assert budget(x_search("#a"))[:2] == (10, 8)


# --- faults ---------------------------------------------------------------------------------------


def test_a_429_fault_says_when_to_come_back_and_spends_nothing(x_emulator, x_search):
    x_emulator.control.add_fault(SEARCH_PATH, status=429, reset_seconds=120)

    limited, after = x_search("#a"), x_search("#a")

    assert limited.status_code == 429
    assert limited.json() == TOO_MANY
    _, remaining, reset = budget(limited)
    assert remaining == 0
    assert time.time() + 118 <= reset <= time.time() + 121
    assert after.status_code == 200
    assert budget(after)[1] == 449


def test_503_and_malformed_faults_carry_the_headers_too(
    x_emulator, x_search, assert_matches_x_openapi
):
    x_emulator.control.add_fault(SEARCH_PATH, status=503, count=2)
    x_emulator.control.add_fault(SEARCH_PATH, "malformed")

    unavailable = [x_search("#a") for _ in range(2)]
    broken = x_search("#a")

    assert [r.status_code for r in unavailable] == [503, 503]
    assert unavailable[0].json()["title"] == "Service Unavailable"
    assert_matches_x_openapi(unavailable[0])
    assert budget(broken)[1] == 450
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    log = x_emulator.control.requests(SEARCH_PATH)
    assert [(e["status"], e["fault"]) for e in log] == [
        (503, "status"),
        (503, "status"),
        (200, "malformed"),
    ]
    assert log[0]["authorization"] == "bearer"


# --- X's OpenAPI description ----------------------------------------------------------------------


def test_a_full_page_validates(x_emulator, x_search, assert_matches_x_openapi):
    x_emulator.control.add_user("no_avatar")
    original = x_emulator.control.post_tweet(
        "maya_okafor", "🎉 #Valid & <b> https://example.com/a?b=1 @jonasweber", created_at=ago(60)
    )
    x_emulator.control.post_tweet("no_avatar", retweet_of=original["id"])
    x_emulator.control.generate_tweets(["Valid"], 12, newest_at=ago(3600))

    response = x_search(
        "#valid",
        max_results="10",
        expansions="author_id,referenced_tweets.id,entities.mentions.username",
        **{"tweet.fields": ",".join(TWEET_FIELDS), "user.fields": ",".join(USER_FIELDS)},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["meta"]["result_count"] == 10 and "next_token" in body["meta"]
    assert set(body["includes"]) == {"users", "tweets"}
    assert [t["id"] for t in body["includes"]["tweets"]] == [original["id"]]
    assert_matches_x_openapi(response)
    last = x_search(
        "#valid", next_token=body["meta"]["next_token"], expansions="referenced_tweets.id"
    )
    assert last.json()["meta"]["result_count"] == 4
    assert_matches_x_openapi(last)


def test_an_empty_page_and_a_400_validate(x_search, assert_matches_x_openapi):
    assert_matches_x_openapi(x_search("#nothing"))
    assert_matches_x_openapi(x_search("(#a", max_results="1000", **{"tweet.fields": "x"}))


def test_the_openapi_check_catches_a_wrong_search_shape(
    x_emulator, x_search, assert_matches_x_openapi
):
    # The check itself must be able to fail, or the tests above prove nothing.
    x_emulator.control.add_fault(SEARCH_PATH, "json", body={"data": [{"id": "not-digits"}]})

    with pytest.raises(InvalidData):
        assert_matches_x_openapi(x_search("#a"))


def test_a_fault_can_send_malformed_rate_limit_headers(x_emulator, x_search):
    x_emulator.control.add_fault(
        SEARCH_PATH, "headers", headers={"x-rate-limit-reset": "soon", "x-rate-limit-remaining": ""}
    )
    x_emulator.control.add_fault(SEARCH_PATH, status=429, headers={"x-rate-limit-reset": "later"})

    normal, limited = x_search("#a"), x_search("#a")

    assert normal.status_code == 200
    assert (normal.headers["x-rate-limit-reset"], normal.headers["x-rate-limit-remaining"]) == (
        "soon",
        "",
    )
    assert normal.headers["x-rate-limit-limit"] == "450"
    assert (limited.status_code, limited.headers["x-rate-limit-reset"]) == (429, "later")
