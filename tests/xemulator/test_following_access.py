"""GET /2/users/:id/following: who may read a list (the app's bearer token, a user token
with follows.read, not a revoked or expired one), protected accounts' lists, and deleted
accounts, checked against X's OpenAPI description."""

import pytest

from tests.xemulator.conftest import JONAS, KENJI, MAYA, PRIYA, ids_of


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
