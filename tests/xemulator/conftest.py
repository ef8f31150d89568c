import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.deserializing.media_types.util import json_loads

from tests.conftest import skip_or_fail
from tests.fixtures_x import x_consent

REPO_ROOT = Path(__file__).resolve().parents[2]
# X's published OpenAPI description, copied into the repository (it is public).
OPENAPI_PATH = Path(REPO_ROOT) / "docs/x-api/openapi-v2.166.json"
CLIENT = ("tweetups-dev", "tweetups-dev-secret")
CALLBACK = "http://testserver/accounts/twitter_oauth2/login/callback/"
MAYA = "1460000000000000001"
JONAS = "1460000000000000002"
PRIYA = "1460000000000000003"
KENJI = "1460000000000000006"  # protected


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class XApp:
    """Tweetups' side of the OAuth dance, done by hand against the emulator."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.base_url = emulator.base_url
        self.verifier, self.challenge = pkce_pair()

    def authorize_params(self, **overrides) -> dict:
        params = {
            "response_type": "code",
            "client_id": CLIENT[0],
            "redirect_uri": CALLBACK,
            "scope": "users.read tweet.read offline.access",
            "state": "state-123",
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize_url(self, **overrides) -> str:
        url = self.base_url + "/i/oauth2/authorize"
        return requests.Request("GET", url, params=self.authorize_params(**overrides)).prepare().url

    def code(self, *, user_id: str | None = MAYA, new_username: str = "", **overrides) -> str:
        """Authorize as `user_id` (or as the typed `new_username`); return the code."""
        url = self.authorize_url(**overrides)
        location = x_consent(url, user_id=user_id, new_username=new_username)
        return parse_qs(urlsplit(location).query)["code"][0]

    def token(self, *, auth=CLIENT, **form) -> requests.Response:
        return requests.post(self.base_url + "/2/oauth2/token", data=form, auth=auth, timeout=10)

    def exchange(self, code: str, /, **overrides) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": self.verifier,
        }
        form.update(overrides)
        return self.token(**{k: v for k, v in form.items() if v is not None})

    def access_token(self, **code_options) -> str:
        response = self.exchange(self.code(**code_options))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def me(self, token: str | None, **params) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            self.base_url + "/2/users/me", params=params, headers=headers, timeout=10
        )


@pytest.fixture
def x_app(x_emulator):
    return XApp(x_emulator)


@pytest.fixture(scope="session")
def x_openapi():
    """X's published OpenAPI description (docs/x-api/)."""
    if not OPENAPI_PATH.exists():
        skip_or_fail(f"X's OpenAPI description is not at {OPENAPI_PATH}")
    # X sends its errors as application/problem+json; openapi-core needs telling it is JSON.
    config = Config(extra_media_type_deserializers={"application/problem+json": json_loads})
    return OpenAPI.from_file_path(str(OPENAPI_PATH), config=config)


@pytest.fixture
def assert_matches_x_openapi(x_openapi, x_emulator):
    """Validate an emulator response against X's OpenAPI description (raises if it differs)."""

    def check(response: requests.Response) -> None:
        request = response.request.copy()
        # Match the description's server, https://api.x.com, instead of the emulator's address.
        request.url = "https://api.x.com" + request.url.removeprefix(x_emulator.base_url)
        x_openapi.validate_response(
            RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response)
        )

    return check


# The token endpoint is not in X's OpenAPI description; these follow docs/x-api/README.md.
TOKEN_RESPONSE_SCHEMA = {
    "type": "object",
    "required": ["token_type", "expires_in", "access_token", "scope"],
    "properties": {
        "token_type": {"const": "bearer"},
        "expires_in": {"const": 7200},
        "access_token": {"type": "string", "minLength": 20},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string", "minLength": 20},
    },
    "additionalProperties": False,
}
OAUTH_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {
        "error": {"enum": ["invalid_request", "unauthorized_client", "unsupported_grant_type"]},
        "error_description": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}


def json_body(response: requests.Response) -> object:
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.content)


SEARCH_PATH = "/2/tweets/search/recent"


def ago(seconds: float) -> str:
    """An ISO time `seconds` before now (the emulator's clock, after a reset, is the real one)."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


# Recent search's seven-day window, in seconds.
WEEK = 7 * 24 * 60 * 60


def ids(response) -> list[str]:
    """The ids of the posts a search answered with (asserting it answered 200)."""
    assert response.status_code == 200, response.text
    return [tweet["id"] for tweet in response.json().get("data", [])]


def post(emulator, text: str, username: str = "maya_okafor", **options) -> str:
    """Post through the control API; return the new post's id."""
    return emulator.control.post_tweet(username, text, **options)["id"]


def only_error(response) -> dict:
    """The one error of a 400 in X's problem+json (asserting that is what came back)."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Invalid Request"
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["detail"] == "One or more parameters to your request was invalid."
    (error,) = body["errors"]
    return error


@pytest.fixture
def bearer_token():
    return django_settings.X_BEARER_TOKEN


@pytest.fixture
def x_search(x_emulator, bearer_token):
    """GET recent search with the app's bearer token: x_search("#a", max_results=10, **{...})."""

    def search(query: str | None = None, *, token: str | None = bearer_token, **params):
        if query is not None:
            params["query"] = query
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(
            x_emulator.base_url + SEARCH_PATH, params=params, headers=headers, timeout=10
        )

    return search


# GET /2/users/:id/following (test_following.py, test_following_access.py,
# test_following_limits.py).

FOLLOWS_SCOPE = "users.read tweet.read follows.read offline.access"


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
    """The ids of the accounts a page of the list holds."""
    return [user["id"] for user in response.json().get("data", [])]
