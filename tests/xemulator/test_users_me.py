"""GET /2/users/me, checked against X's OpenAPI description."""

import pytest
from openapi_core.validation.response.exceptions import InvalidData

from tests.xemulator.conftest import MAYA

ALLAUTH_FIELDS = "id,name,username,verified,profile_image_url,created_at"
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


def test_default_fields_are_id_name_and_username(x_app, assert_matches_x_openapi):
    response = x_app.me(x_app.access_token())

    assert response.status_code == 200
    assert response.json() == {
        "data": {"id": MAYA, "name": "Maya Okafor", "username": "maya_okafor"}
    }
    assert_matches_x_openapi(response)


def test_the_fields_allauth_asks_for(x_app, assert_matches_x_openapi):
    response = x_app.me(x_app.access_token(), **{"user.fields": ALLAUTH_FIELDS})

    assert response.json()["data"] == {
        "id": MAYA,
        "name": "Maya Okafor",
        "username": "maya_okafor",
        "verified": True,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{MAYA}/maya_okafor_normal.jpg",
        "created_at": "2012-03-14T09:26:00.000Z",
    }
    assert_matches_x_openapi(response)


def test_every_user_field_validates(x_app, assert_matches_x_openapi):
    from xemulator.users import USER_FIELDS

    response = x_app.me(x_app.access_token(), **{"user.fields": ",".join(USER_FIELDS)})

    assert response.status_code == 200
    assert {"description", "location", "protected", "verified_type"} <= set(response.json()["data"])
    assert_matches_x_openapi(response)


def test_changes_made_through_the_control_api_show(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.update_user(MAYA, username="maya_o", name="Maya O.")

    data = x_app.me(token).json()["data"]

    assert (data["id"], data["username"], data["name"]) == (MAYA, "maya_o", "Maya O.")


def test_an_unknown_field_is_a_400_problem(x_app, assert_matches_x_openapi):
    response = x_app.me(x_app.access_token(), **{"user.fields": "id,shoe_size"})

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"][0]["parameters"] == {"user.fields": ["id,shoe_size"]}
    assert "[shoe_size]" in body["errors"][0]["message"]
    assert_matches_x_openapi(response)


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_missing_or_unknown_token_is_a_401(x_app, assert_matches_x_openapi, token):
    response = x_app.me(token)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert_matches_x_openapi(response)


def test_an_access_token_expires_after_two_hours(x_app, x_emulator):
    token = x_app.access_token()
    x_emulator.control.advance_clock(7199)
    assert x_app.me(token).status_code == 200

    x_emulator.control.advance_clock(2)

    assert x_app.me(token).json() == UNAUTHORIZED


def test_a_token_without_users_read_is_forbidden(x_app, assert_matches_x_openapi):
    response = x_app.me(x_app.access_token(scope="tweet.read"))

    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"
    assert_matches_x_openapi(response)


def test_rate_limit_headers_count_down_and_run_out(x_app, assert_matches_x_openapi):
    token = x_app.access_token()
    first = x_app.me(token)
    second = x_app.me(token)
    assert first.headers["x-rate-limit-limit"] == "75"
    assert int(first.headers["x-rate-limit-remaining"]) == 74
    assert int(second.headers["x-rate-limit-remaining"]) == 73
    assert first.headers["x-rate-limit-reset"] == second.headers["x-rate-limit-reset"]

    for _ in range(73):
        x_app.me(token)
    limited = x_app.me(token)

    assert limited.status_code == 429
    assert limited.json() == {
        "title": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
        "detail": "Too Many Requests",
    }
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert_matches_x_openapi(limited)


def test_the_openapi_check_catches_a_wrong_shape(x_app, x_emulator, assert_matches_x_openapi):
    # The check itself must be able to fail, or the tests above prove nothing.
    x_emulator.control.add_fault(
        "/2/users/me", "json", body={"data": {"id": "not-digits", "name": "A", "username": "a"}}
    )

    with pytest.raises(InvalidData):
        assert_matches_x_openapi(x_app.me(x_app.access_token()))
