"""The emulator's OAuth 2.0 for the follows feature: follows.read asked and granted, refresh
tokens that rotate, access tokens that expire, and X's revoke endpoint."""

import jsonschema
import pytest
import requests

from tests.xemulator.conftest import CLIENT, MAYA, TOKEN_RESPONSE_SCHEMA, json_body

FOLLOWS_SCOPE = "users.read tweet.read follows.read offline.access"


def following(x_app, token: str) -> requests.Response:
    return requests.get(
        x_app.base_url + f"/2/users/{MAYA}/following",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_consent_screen_says_in_plain_words_that_follows_will_be_read(x_app):
    page = requests.get(x_app.authorize_url(scope=FOLLOWS_SCOPE), timeout=10).text

    assert "<li>See who you follow and who follows you" in page
    assert "(follows.read)" in page
    plain = requests.get(x_app.authorize_url(), timeout=10).text
    assert "(follows.read)" not in plain  # only what the app asks for


def test_follows_read_is_granted_into_the_token(x_app):
    with_follows = x_app.exchange(x_app.code(scope=FOLLOWS_SCOPE)).json()
    without = x_app.exchange(x_app.code()).json()

    assert with_follows["scope"] == FOLLOWS_SCOPE
    assert following(x_app, with_follows["access_token"]).status_code == 200
    assert following(x_app, without["access_token"]).status_code == 403


def test_refresh_rotates_every_time_and_keeps_the_scopes(x_app):
    tokens = x_app.exchange(x_app.code(scope=FOLLOWS_SCOPE)).json()
    used = []

    for _ in range(3):
        used.append(tokens["refresh_token"])
        response = x_app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert response.status_code == 200
        tokens = json_body(response)
        jsonschema.validate(tokens, TOKEN_RESPONSE_SCHEMA)

    assert tokens["scope"] == FOLLOWS_SCOPE
    assert tokens["refresh_token"] not in used
    assert following(x_app, tokens["access_token"]).status_code == 200
    for old in used:
        reused = x_app.token(grant_type="refresh_token", refresh_token=old)
        assert reused.status_code == 400
        assert json_body(reused) == {
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        }
    # A refused old token does not cost the current one its life.
    latest = x_app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert latest.status_code == 200


def test_a_missing_refresh_token_is_named(x_app):
    response = x_app.token(grant_type="refresh_token")

    assert response.status_code == 400
    assert json_body(response)["error_description"] == "Missing required parameter [refresh_token]."


def test_access_token_lifetime_is_configurable_and_refresh_brings_a_fresh_one(x_app, x_emulator):
    x_emulator.control.configure(access_token_ttl_seconds=60)
    tokens = x_app.exchange(x_app.code(scope=FOLLOWS_SCOPE)).json()
    assert tokens["expires_in"] == 60
    x_emulator.control.advance_clock(59)
    assert following(x_app, tokens["access_token"]).status_code == 200

    x_emulator.control.advance_clock(2)
    expired = following(x_app, tokens["access_token"])
    refreshed = x_app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])

    assert expired.status_code == 401
    assert refreshed.json()["expires_in"] == 60
    assert following(x_app, refreshed.json()["access_token"]).status_code == 200


def test_access_token_lifetime_from_the_environment():
    from xemulator.state import EmulatorConfig

    assert EmulatorConfig.from_env({}).access_token_ttl_seconds == 7200
    assert EmulatorConfig.from_env({"XEMU_ACCESS_TOKEN_TTL": "90"}).access_token_ttl_seconds == 90


def test_a_lifetime_under_a_second_is_refused(x_emulator):
    from xemulator.client import EmulatorControlError

    with pytest.raises(EmulatorControlError) as raised:
        x_emulator.control.configure(access_token_ttl_seconds=0)

    assert raised.value.status == 400


def test_revoke_stops_an_access_token_or_a_refresh_token(x_app):
    tokens = x_app.exchange(x_app.code(scope=FOLLOWS_SCOPE)).json()

    revoked_access = requests.post(
        x_app.base_url + "/2/oauth2/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        auth=CLIENT,
        timeout=10,
    )
    revoked_refresh = requests.post(
        x_app.base_url + "/2/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        auth=CLIENT,
        timeout=10,
    )

    assert revoked_access.status_code == 200
    assert json_body(revoked_access) == {"revoked": True}
    assert json_body(revoked_refresh) == {"revoked": True}
    assert following(x_app, tokens["access_token"]).status_code == 401
    refresh = x_app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh.status_code == 400


def test_revoke_needs_the_client_credentials(x_app):
    token = x_app.access_token(scope=FOLLOWS_SCOPE)

    refused = requests.post(x_app.base_url + "/2/oauth2/revoke", data={"token": token}, timeout=10)

    assert refused.status_code == 401
    assert following(x_app, token).status_code == 200
