"""GET /2/users/:id/following: pages, fields, protected accounts, the rate limit, scopes and
the faults the follows feature must survive, checked against X's OpenAPI description."""

import time

import pytest
import requests

from tests.xemulator.conftest import JONAS, MAYA

PRIYA, KENJI = "1460000000000000003", "1460000000000000006"
FOLLOWS_SCOPE = "users.read tweet.read follows.read offline.access"
TOO_MANY = {"title": "Too Many Requests", "type": "about:blank", "status": 429}


def following_path(user_id: str) -> str:
    return f"/2/users/{user_id}/following"


@pytest.fixture
def follows_token(x_app):
    """A user token with follows.read: follows_token() is Maya's, follows_token(JONAS) his."""

    def issue(user_id: str = MAYA, scope: str = FOLLOWS_SCOPE) -> str:
        return x_app.access_token(user_id=user_id, scope=scope)

    return issue


@pytest.fixture
def get_following(x_emulator):
    def get(user_id: str, token: str | None, **params) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            x_emulator.base_url + following_path(user_id),
            params=params,
            headers=headers,
            timeout=10,
        )

    return get


def ids_of(response: requests.Response) -> list[str]:
    return [user["id"] for user in response.json().get("data", [])]


# --- the list and its fields --------------------------------------------------------------


def test_the_demo_accounts_follow_each_other(
    follows_token, get_following, assert_matches_x_openapi
):
    response = get_following(MAYA, follows_token())

    assert response.status_code == 200
    body = response.json()
    assert body["data"][0] == {"id": JONAS, "name": "Jonas Weber", "username": "jonasweber"}
    assert len(body["data"]) == 5
    assert body["meta"] == {"result_count": 5}
    assert_matches_x_openapi(response)


def test_user_fields_flag_protected_accounts(
    follows_token, get_following, assert_matches_x_openapi
):
    response = get_following(
        MAYA, follows_token(), **{"user.fields": "protected,profile_image_url,verified"}
    )

    by_id = {user["id"]: user for user in response.json()["data"]}
    assert by_id[KENJI]["protected"] is True
    assert by_id[JONAS]["protected"] is False
    assert by_id[JONAS]["profile_image_url"].startswith("https://pbs.twimg.com/")
    assert_matches_x_openapi(response)


def test_every_user_field_and_expansion_validates(
    follows_token, get_following, assert_matches_x_openapi
):
    from xemulator.users import USER_FIELDS

    response = get_following(
        MAYA,
        follows_token(),
        **{"user.fields": ",".join(USER_FIELDS), "expansions": "pinned_tweet_id"},
    )

    assert response.status_code == 200
    assert_matches_x_openapi(response)


def test_someone_who_follows_nobody_gets_a_meta_and_no_data(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    x_emulator.control.set_following(MAYA, [])

    response = get_following(MAYA, follows_token(), max_results=1000)

    assert response.status_code == 200
    assert response.json() == {"meta": {"result_count": 0}}
    assert_matches_x_openapi(response)


def test_pages_of_a_thousand_with_next_and_previous_tokens(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    x_emulator.control.set_following(MAYA, [JONAS, PRIYA], generate=2498, protected_every=10)
    token = follows_token()

    pages = [get_following(MAYA, token, max_results=1000, **{"user.fields": "protected"})]
    while "next_token" in pages[-1].json()["meta"]:
        next_token = pages[-1].json()["meta"]["next_token"]
        pages.append(get_following(MAYA, token, max_results=1000, pagination_token=next_token))

    assert [page.json()["meta"]["result_count"] for page in pages] == [1000, 1000, 500]
    seen = [user_id for page in pages for user_id in ids_of(page)]
    assert len(seen) == len(set(seen)) == 2500
    assert seen[:2] == [JONAS, PRIYA]  # newest follows first, the named ones before the rest
    first = pages[0].json()
    assert sum(user["protected"] for user in first["data"]) == 99  # every 10th made-up one
    assert "previous_token" not in first["meta"]
    assert len(first["meta"]["next_token"]) >= 16  # PaginationToken32
    back = get_following(
        MAYA, token, max_results=1000, pagination_token=pages[1].json()["meta"]["previous_token"]
    )
    assert ids_of(back) == ids_of(pages[0])
    for page in pages:
        assert_matches_x_openapi(page)


def test_max_results_defaults_to_100(x_emulator, follows_token, get_following):
    x_emulator.control.set_following(MAYA, generate=250)

    response = get_following(MAYA, follows_token())

    assert response.json()["meta"]["result_count"] == 100
    assert "next_token" in response.json()["meta"]


def test_a_list_of_100000_is_made_up_on_demand(x_emulator, follows_token, get_following):
    x_emulator.control.configure(follows_rate_limit=200)
    x_emulator.control.set_following(MAYA, generate=100_000, seed=7)
    token = follows_token()

    count, pages, params = 0, 0, {"max_results": 1000}
    last_ids = []
    while True:
        response = get_following(MAYA, token, **params)
        assert response.status_code == 200
        last_ids = ids_of(response)
        count += len(last_ids)
        pages += 1
        if "next_token" not in response.json()["meta"]:
            break
        params["pagination_token"] = response.json()["meta"]["next_token"]

    assert (count, pages) == (100_000, 100)
    assert x_emulator.control.following(MAYA)["count"] == 100_000
    assert last_ids[-1] == str(1_700_000_000_000_000_000 + 7 * 10_000_000 + 99_999)


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"max_results": "0"}, "max_results", "[0] is not between 1 and 1000"),
        ({"max_results": "1001"}, "max_results", "[1001] is not between 1 and 1000"),
        ({"max_results": "ten"}, "max_results", "[ten] is not between 1 and 1000"),
        ({"pagination_token": "NOTATOKENATALL123"}, "pagination_token", "is not valid"),
        ({"user.fields": "id,shoe_size"}, "user.fields", "[shoe_size] is not one of"),
        ({"expansions": "author_id"}, "expansions", "[author_id] is not one of"),
        ({"since_id": "5"}, "since_id", "[since_id] is not one of"),
    ],
)
def test_bad_parameters_are_a_400_listing_each(
    follows_token, get_following, assert_matches_x_openapi, params, parameter, message
):
    response = get_following(MAYA, follows_token(), **params)

    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid Request"
    (error,) = body["errors"]
    assert parameter in error["parameters"]
    assert message in error["message"]
    assert "x-rate-limit-remaining" in response.headers
    assert_matches_x_openapi(response)


def test_a_pagination_token_works_only_for_its_own_list(x_emulator, follows_token, get_following):
    x_emulator.control.set_following(MAYA, generate=20)
    x_emulator.control.set_following(JONAS, generate=20)
    token = follows_token()
    next_token = get_following(MAYA, token, max_results=10).json()["meta"]["next_token"]

    response = get_following(JONAS, token, max_results=10, pagination_token=next_token)

    assert response.status_code == 400


def test_an_id_that_is_not_digits_is_a_400(follows_token, get_following):
    response = get_following("maya_okafor", follows_token())

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"id": ["maya_okafor"]}


def test_only_get_is_allowed(x_emulator, follows_token):
    response = requests.post(
        x_emulator.base_url + following_path(MAYA),
        headers={"Authorization": f"Bearer {follows_token()}"},
        timeout=10,
    )

    assert response.status_code == 405


# --- who may read it ----------------------------------------------------------------------


def test_the_apps_bearer_token_reads_a_public_list(
    get_following, bearer_token, assert_matches_x_openapi
):
    response = get_following(JONAS, bearer_token)

    assert response.status_code == 200
    assert ids_of(response)[0] == MAYA
    assert_matches_x_openapi(response)


def test_a_token_without_follows_read_is_forbidden(
    follows_token, get_following, assert_matches_x_openapi
):
    response = get_following(MAYA, follows_token(scope="users.read tweet.read offline.access"))

    assert response.status_code == 403
    assert response.json() == {
        "title": "Forbidden",
        "type": "about:blank",
        "status": 403,
        "detail": "Forbidden",
    }
    assert_matches_x_openapi(response)


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_missing_or_unknown_token_is_a_401(get_following, assert_matches_x_openapi, token):
    response = get_following(MAYA, token)

    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"
    assert_matches_x_openapi(response)


def test_a_token_revoked_on_x_is_a_401(x_emulator, follows_token, get_following):
    token, other = follows_token(), follows_token(JONAS)
    assert get_following(MAYA, token).status_code == 200

    assert x_emulator.control.revoke_tokens(MAYA) == 2  # her access and refresh tokens

    assert get_following(MAYA, token).status_code == 401
    assert get_following(MAYA, other).status_code == 200  # Jonas's grant is his own


def test_an_expired_token_is_a_401(x_emulator, follows_token, get_following):
    token = follows_token()
    x_emulator.control.advance_clock(7201)

    assert get_following(MAYA, token).status_code == 401


def test_a_protected_list_shows_only_to_its_owner_and_followers(
    follows_token, get_following, bearer_token, assert_matches_x_openapi
):
    refused = get_following(KENJI, follows_token(PRIYA))  # Priya does not follow Kenji

    assert refused.status_code == 200
    assert refused.json() == {
        "errors": [
            {
                "value": KENJI,
                "detail": f"Sorry, you are not authorized to see the user with id: [{KENJI}].",
                "title": "Authorization Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": KENJI,
                "section": "data",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            }
        ]
    }
    assert_matches_x_openapi(refused)
    assert "errors" in get_following(KENJI, bearer_token).json()
    assert ids_of(get_following(KENJI, follows_token(MAYA))) == [MAYA, JONAS]  # a follower
    assert ids_of(get_following(KENJI, follows_token(KENJI))) == [MAYA, JONAS]  # himself


def test_a_deleted_account_could_not_be_found(
    x_emulator, follows_token, get_following, bearer_token, assert_matches_x_openapi
):
    priyas_token = follows_token(PRIYA)
    x_emulator.control.delete_user(PRIYA)

    response = get_following(PRIYA, bearer_token)

    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "value": PRIYA,
                "detail": f"Could not find user with id: [{PRIYA}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": PRIYA,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    assert_matches_x_openapi(response)
    assert get_following(PRIYA, priyas_token).status_code == 401  # her tokens died with her
    assert PRIYA not in ids_of(get_following(MAYA, follows_token()))  # and she left the lists


# --- the rate limit -----------------------------------------------------------------------


def test_15_requests_per_15_minutes_per_user_then_a_429(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    token = follows_token()
    first = get_following(MAYA, token)
    assert first.headers["x-rate-limit-limit"] == "15"
    assert first.headers["x-rate-limit-remaining"] == "14"
    reset = int(first.headers["x-rate-limit-reset"])
    assert 0 < reset - time.time() <= 15 * 60 + 1
    for _ in range(14):
        assert get_following(MAYA, token).status_code == 200

    limited = get_following(MAYA, token)

    assert limited.status_code == 429
    assert limited.json() == {**TOO_MANY, "detail": "Too Many Requests"}
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert int(limited.headers["x-rate-limit-reset"]) == reset
    assert_matches_x_openapi(limited)
    assert get_following(MAYA, follows_token(JONAS)).status_code == 200  # his own budget
    x_emulator.control.advance_clock(15 * 60)
    assert get_following(MAYA, token).status_code == 200


def test_the_budget_runs_out_mid_pagination_and_the_token_still_works_after_the_reset(
    x_emulator, follows_token, get_following
):
    x_emulator.control.configure(follows_rate_limit=2)
    x_emulator.control.set_following(MAYA, generate=2500)
    token = follows_token()
    first = get_following(MAYA, token, max_results=1000)
    second = get_following(
        MAYA, token, max_results=1000, pagination_token=first.json()["meta"]["next_token"]
    )
    next_token = second.json()["meta"]["next_token"]

    limited = get_following(MAYA, token, max_results=1000, pagination_token=next_token)
    x_emulator.control.advance_clock(15 * 60)
    resumed = get_following(MAYA, token, max_results=1000, pagination_token=next_token)

    assert limited.status_code == 429
    assert resumed.status_code == 200
    assert resumed.json()["meta"]["result_count"] == 500


def test_a_429_fault_on_the_second_page_says_when_to_come_back(
    x_emulator, follows_token, get_following, assert_matches_x_openapi
):
    x_emulator.control.set_following(MAYA, generate=2500)
    x_emulator.control.add_fault(following_path(MAYA), status=429, after=1, reset_seconds=300)
    token = follows_token()

    first = get_following(MAYA, token, max_results=1000)
    next_token = first.json()["meta"]["next_token"]
    limited = get_following(MAYA, token, max_results=1000, pagination_token=next_token)
    again = get_following(MAYA, token, max_results=1000, pagination_token=next_token)

    assert first.status_code == 200
    assert limited.status_code == 429
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert abs(int(limited.headers["x-rate-limit-reset"]) - (time.time() + 300)) <= 2
    assert_matches_x_openapi(limited)
    assert again.status_code == 200  # the fault fired once


def test_a_malformed_page_fault_cuts_the_second_page_off(x_emulator, follows_token, get_following):
    x_emulator.control.set_following(MAYA, generate=2500)
    x_emulator.control.add_fault(following_path(MAYA), "malformed", after=1)
    token = follows_token()

    first = get_following(MAYA, token, max_results=1000)
    broken = get_following(
        MAYA, token, max_results=1000, pagination_token=first.json()["meta"]["next_token"]
    )

    assert first.json()["meta"]["result_count"] == 1000
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert "x-rate-limit-reset" in broken.headers
