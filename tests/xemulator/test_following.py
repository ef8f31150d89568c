"""GET /2/users/:id/following, the list itself: its pages, fields and parameters, checked
against X's OpenAPI description."""

import pytest
import requests

from tests.xemulator.conftest import JONAS, KENJI, MAYA, PRIYA, following_path, ids_of


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
