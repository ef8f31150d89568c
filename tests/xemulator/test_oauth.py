"""The emulator's OAuth 2.0 endpoints: the consent screen and the token exchange."""

from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import requests

from tests.fixtures_x import html_forms, x_consent
from tests.xemulator.conftest import (
    CALLBACK,
    CLIENT,
    MAYA,
    OAUTH_ERROR_SCHEMA,
    TOKEN_RESPONSE_SCHEMA,
    json_body,
)

DEMO_IDS = [f"146000000000000000{n}" for n in range(1, 7)]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- the consent screen -------------------------------------------------------------


def test_consent_screen_lists_the_scopes_and_the_demo_accounts(x_app):
    response = requests.get(x_app.authorize_url(), timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html = response.text
    assert "<h1>Tweetups wants to access your X account</h1>" in html
    assert "(offline.access)" in html and "(users.read)" in html and "(tweet.read)" in html
    (form,) = html_forms(html)
    assert (form.method, form.action) == ("post", "/i/oauth2/authorize")
    assert form.radios["user_id"] == DEMO_IDS
    assert form.fields["user_id"] == DEMO_IDS[0]  # one account preselected
    assert [(name, value) for name, value, _ in form.buttons] == [
        ("decision", "authorize"),
        ("decision", "cancel"),
    ]
    for demo_id in DEMO_IDS:  # every radio has its label
        assert f'<label for="user-{demo_id}">' in html
    assert '<label for="new_username">' in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": "someone-else"}, "unknown client_id"),
        ({"client_id": None}, "unknown client_id"),
        ({"redirect_uri": None}, "no redirect_uri"),
        ({"redirect_uri": "/relative/callback/"}, "absolute http(s) URL"),
        ({"redirect_uri": "javascript:alert(1)"}, "absolute http(s) URL"),
        ({"redirect_uri": "https://testserver/cb/#frag"}, "without a fragment"),
        ({"response_type": "token"}, "response_type must be code"),
        ({"scope": None}, "no scope"),
        ({"scope": "users.read everything.write"}, "Unknown scope: everything.write"),
        ({"state": None}, "no state"),
        ({"state": "s" * 501}, "longer than 500"),
        ({"code_challenge_method": "plain"}, "must be S256"),
        ({"code_challenge_method": None}, "must be S256"),
        ({"code_challenge": None}, "code_challenge must be"),
        ({"code_challenge": "too-short"}, "code_challenge must be"),
    ],
)
def test_a_bad_authorize_request_gets_an_error_page_not_a_redirect(x_app, overrides, message):
    response = requests.get(x_app.authorize_url(**overrides), allow_redirects=False, timeout=10)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert message in response.text
    assert html_forms(response.text) == []


def test_state_of_500_characters_is_accepted(x_app):
    location = x_consent(x_app.authorize_url(state="s" * 500))

    assert query_of(location)["state"] == ["s" * 500]


def test_only_registered_redirect_uris_when_some_are_configured(x_app, x_emulator):
    x_emulator.control.configure(redirect_uris=[CALLBACK])

    refused = requests.get(x_app.authorize_url(redirect_uri="https://evil.example/cb"), timeout=10)
    accepted = requests.get(x_app.authorize_url(), timeout=10)

    assert refused.status_code == 400
    assert "is not registered" in refused.text
    assert accepted.status_code == 200


def test_consent_screen_escapes_what_it_echoes(x_app, x_emulator):
    x_emulator.control.add_user("scripter", name='<script>alert("name")</script>')
    x_emulator.control.configure(app_name="<b>App</b>")

    page = requests.get(x_app.authorize_url(), timeout=10).text
    bad_scope = requests.get(x_app.authorize_url(scope="<img src=x onerror=alert(1)>"), timeout=10)
    (form,) = html_forms(page)
    retyped = requests.post(
        x_app.base_url + "/i/oauth2/authorize",
        data={**form.fields, "decision": "authorize", "new_username": '"><svg onload=alert(1)>'},
        timeout=10,
    )

    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page
    assert "<script>" not in page
    assert "&lt;b&gt;App&lt;/b&gt; wants to access your X account" in page
    assert "<b>App</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in bad_scope.text
    assert "<img" not in bad_scope.text
    assert retyped.status_code == 400
    assert 'value="&quot;&gt;&lt;svg onload=alert(1)&gt;"' in retyped.text  # kept, escaped
    assert "<svg" not in retyped.text
    assert "A handle is 1 to 15 letters" in retyped.text


def test_authorize_sends_a_code_and_the_state_back(x_app):
    location = x_consent(x_app.authorize_url(state="xyz"), user_id=DEMO_IDS[2])

    assert location.startswith(CALLBACK + "?")
    query = query_of(location)
    assert query["state"] == ["xyz"]
    assert len(query["code"][0]) >= 20


def test_a_redirect_uri_with_a_query_keeps_it(x_app, x_emulator):
    location = x_consent(x_app.authorize_url(redirect_uri=CALLBACK + "?lang=de"))

    assert query_of(location)["lang"] == ["de"]
    assert "code" in query_of(location)


def test_cancel_sends_access_denied_and_the_state_back(x_app):
    location = x_consent(x_app.authorize_url(state="xyz"), decision="cancel")

    assert location.startswith(CALLBACK + "?")
    assert query_of(location) == {"error": ["access_denied"], "state": ["xyz"]}


def test_a_consent_form_works_once(x_app):
    (form,) = html_forms(requests.get(x_app.authorize_url(), timeout=10).text)
    url = x_app.base_url + form.action
    data = {**form.fields, "decision": "authorize"}

    first = requests.post(url, data=data, allow_redirects=False, timeout=10)
    second = requests.post(url, data=data, allow_redirects=False, timeout=10)

    assert first.status_code == 302
    assert second.status_code == 400
    assert "expired or was already answered" in second.text


def test_a_consent_form_expires(x_app, x_emulator):
    (form,) = html_forms(requests.get(x_app.authorize_url(), timeout=10).text)
    x_emulator.control.advance_clock(601)

    answer = requests.post(
        x_app.base_url + form.action,
        data={**form.fields, "decision": "authorize"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 400


def test_a_new_handle_creates_an_account_and_a_known_one_reuses_it(x_app, x_emulator):
    token = x_app.access_token(user_id=None, new_username="@Fresh_Face")
    me = x_app.me(token).json()["data"]
    again = x_app.access_token(new_username="fresh_face")

    assert me["username"] == "Fresh_Face"
    assert me["id"] not in DEMO_IDS
    assert x_app.me(again).json()["data"]["id"] == me["id"]
    assert [u["username"] for u in x_emulator.control.users()].count("Fresh_Face") == 1


def test_authorize_without_an_account_chosen_asks_again(x_app):
    (form,) = html_forms(requests.get(x_app.authorize_url(), timeout=10).text)

    answer = requests.post(
        x_app.base_url + form.action,
        data={"consent_id": form.fields["consent_id"], "decision": "authorize"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 400
    assert "Choose an account" in answer.text
    assert html_forms(answer.text)[0].fields["consent_id"] == form.fields["consent_id"]


# --- the token endpoint -------------------------------------------------------------


def test_code_for_tokens_with_a_refresh_token_when_offline_access_was_asked(x_app):
    response = x_app.exchange(x_app.code())

    assert response.status_code == 200
    body = json_body(response)
    jsonschema.validate(body, TOKEN_RESPONSE_SCHEMA)
    assert body["scope"] == "users.read tweet.read offline.access"
    assert "refresh_token" in body
    assert x_app.me(body["access_token"]).json()["data"]["id"] == MAYA


def test_no_refresh_token_without_offline_access(x_app):
    body = json_body(x_app.exchange(x_app.code(scope="users.read tweet.read")))

    jsonschema.validate(body, TOKEN_RESPONSE_SCHEMA)
    assert "refresh_token" not in body
    assert body["scope"] == "users.read tweet.read"


@pytest.mark.parametrize(
    "auth",
    [None, (CLIENT[0], "wrong-secret"), ("someone-else", CLIENT[1])],
    ids=["no auth", "wrong secret", "wrong client"],
)
def test_the_token_endpoint_needs_the_client_credentials(x_app, auth):
    code = x_app.code()

    response = requests.post(
        x_app.base_url + "/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": x_app.verifier,
        },
        auth=auth,
        timeout=10,
    )

    assert response.status_code == 401
    assert json_body(response) == {
        "error": "unauthorized_client",
        "error_description": "Missing valid authorization header",
    }
    assert x_app.exchange(code).status_code == 200  # the code survives a refused client


def test_a_garbled_basic_header_is_refused(x_app):
    response = requests.post(
        x_app.base_url + "/2/oauth2/token",
        data={"grant_type": "authorization_code"},
        headers={"Authorization": "Basic !!!not-base64"},
        timeout=10,
    )

    assert response.status_code == 401


def test_pkce_mismatch(x_app):
    response = x_app.exchange(x_app.code(), code_verifier="not-the-verifier-" + "x" * 40)

    assert response.status_code == 400
    assert json_body(response) == {
        "error": "invalid_request",
        "error_description": "Value passed for the code verifier did not match the code challenge.",
    }


def test_a_code_works_once_and_replaying_it_revokes_its_tokens(x_app):
    code = x_app.code()
    first = x_app.exchange(code)

    replay = x_app.exchange(code)

    assert first.status_code == 200
    assert replay.status_code == 400
    jsonschema.validate(json_body(replay), OAUTH_ERROR_SCHEMA)
    assert (
        json_body(replay)["error_description"]
        == "Value passed for the authorization code was invalid."
    )
    assert x_app.me(first.json()["access_token"]).status_code == 401
    refresh = x_app.token(grant_type="refresh_token", refresh_token=first.json()["refresh_token"])
    assert refresh.status_code == 400


def test_a_code_expires_after_30_seconds(x_app, x_emulator):
    fresh, stale = x_app.code(), x_app.code()
    x_emulator.control.advance_clock(29)
    assert x_app.exchange(fresh).status_code == 200

    x_emulator.control.advance_clock(2)
    response = x_app.exchange(stale)

    assert response.status_code == 400
    assert json_body(response)["error"] == "invalid_request"


def test_the_code_lifetime_is_configurable(x_app, x_emulator):
    x_emulator.control.configure(code_ttl_seconds=1)
    code = x_app.code()
    x_emulator.control.advance_clock(1.5)

    assert x_app.exchange(code).status_code == 400


def test_the_redirect_uri_must_match_the_authorize_one(x_app):
    response = x_app.exchange(x_app.code(), redirect_uri=CALLBACK + "other/")

    assert response.status_code == 400
    assert "redirect uri did not match" in json_body(response)["error_description"]


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "code_verifier"])
def test_missing_token_parameters(x_app, missing):
    response = x_app.exchange(x_app.code(), **{missing: None})

    assert response.status_code == 400
    body = json_body(response)
    jsonschema.validate(body, OAUTH_ERROR_SCHEMA)
    assert body["error_description"] == f"Missing required parameter [{missing}]."


def test_unknown_grant_type(x_app):
    response = x_app.token(grant_type="password", username="a", password="b")

    assert response.status_code == 400
    assert json_body(response)["error"] == "unsupported_grant_type"


def test_refresh_token_grant_rotates_the_refresh_token(x_app):
    first = x_app.exchange(x_app.code()).json()

    refreshed = x_app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    reused = x_app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert refreshed.status_code == 200
    body = json_body(refreshed)
    jsonschema.validate(body, TOKEN_RESPONSE_SCHEMA)
    assert body["refresh_token"] != first["refresh_token"]
    assert x_app.me(body["access_token"]).json()["data"]["id"] == MAYA
    assert reused.status_code == 400
    assert json_body(reused)["error_description"] == "Value passed for the token was invalid."


def test_a_refresh_token_is_bound_to_its_client(x_app, x_emulator):
    refresh_token = x_app.exchange(x_app.code()).json()["refresh_token"]
    x_emulator.control.configure(client_id="other-app", client_secret="other-secret")

    response = x_app.token(
        auth=("other-app", "other-secret"), grant_type="refresh_token", refresh_token=refresh_token
    )

    assert response.status_code == 400
