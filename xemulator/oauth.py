"""OAuth 2.0 Authorization Code with PKCE, as X's /i/oauth2/authorize and /2/oauth2/token do it."""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from xemulator.demo import SCOPES
from xemulator.pages import consent_page, error_page
from xemulator.responses import (
    Request,
    Response,
    html_response,
    json_response,
    oauth_error_response,
    redirect_response,
)
from xemulator.state import USERNAME_RE, EmulatorError, EmulatorState

MAX_STATE_LENGTH = 500
CODE_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, unpadded
UNAUTHORIZED_CLIENT = "Missing valid authorization header"


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect_uri_problem(state: EmulatorState, redirect_uri: str | None) -> str | None:
    if not redirect_uri:
        return "The request has no redirect_uri."
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return "The redirect_uri must be an absolute http(s) URL without a fragment."
    if any(ch.isspace() or ord(ch) < 32 for ch in redirect_uri):
        return "The redirect_uri contains spaces or control characters."
    if not state.redirect_uri_allowed(redirect_uri):
        return f"The redirect_uri {redirect_uri} is not registered for this app."
    return None


def _authorize_problem(request: Request) -> str | None:
    if request.arg("response_type") != "code":
        return "response_type must be code."
    scope = request.arg("scope") or ""
    scopes = scope.split()
    if not scopes:
        return "The request asks for no scope."
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        return f"Unknown scope: {' '.join(unknown)}."
    oauth_state = request.arg("state")
    if not oauth_state:
        return "The request has no state."
    if len(oauth_state) > MAX_STATE_LENGTH:
        return f"state is longer than {MAX_STATE_LENGTH} characters."
    if request.arg("code_challenge_method") != "S256":
        return "code_challenge_method must be S256."
    if not CODE_CHALLENGE_RE.match(request.arg("code_challenge") or ""):
        return "code_challenge must be the unpadded base64url SHA-256 of the code verifier."
    return None


def authorize_page(state: EmulatorState, request: Request) -> Response:
    """GET /i/oauth2/authorize: check the request, then show the consent screen."""
    client_id = request.arg("client_id") or ""
    if not state.client_is(client_id):
        return html_response(error_page("This app is not registered (unknown client_id)."), 400)
    redirect_uri = request.arg("redirect_uri")
    problem = _redirect_uri_problem(state, redirect_uri) or _authorize_problem(request)
    if problem:
        # Never redirect on a bad request: the redirect_uri itself may be the problem.
        return html_response(error_page(problem), 400)
    consent = state.open_consent(
        client_id=client_id,
        redirect_uri=redirect_uri,
        # Keep the order asked for, without repeats.
        scopes=list(dict.fromkeys(request.arg("scope").split())),
        state=request.arg("state"),
        code_challenge=request.arg("code_challenge"),
    )
    users = state.all_users()
    return html_response(consent_page(app_name=state.config.app_name, consent=consent, users=users))


def authorize_decision(state: EmulatorState, request: Request) -> Response:
    """POST /i/oauth2/authorize: the consent form's Authorize or Cancel."""
    form = request.form()
    consent = state.consent(form.get("consent_id", ""))
    expired = "This sign-in request has expired or was already answered."
    if consent is None:
        return html_response(error_page(expired), 400)
    decision = form.get("decision")
    if decision == "cancel":
        state.close_consent(consent.id)
        return redirect_response(
            _with_query(consent.redirect_uri, {"error": "access_denied", "state": consent.state})
        )
    if decision != "authorize":
        return html_response(error_page("Choose Authorize app or Cancel."), 400)

    new_username = form.get("new_username", "").strip().removeprefix("@")
    selected_user_id = form.get("user_id", "")

    def again(error: str) -> Response:
        page = consent_page(
            app_name=state.config.app_name,
            consent=consent,
            users=state.all_users(),
            selected_user_id=selected_user_id,
            new_username=form.get("new_username", ""),
            error=error,
        )
        return html_response(page, 400)

    if new_username:
        if not USERNAME_RE.match(new_username):
            return again("A handle is 1 to 15 letters, digits or underscores.")
        user = state.user_by_username(new_username)
        if user is None:
            try:
                user = state.add_user(username=new_username)
            except EmulatorError as exc:  # someone took the handle a moment ago
                return again(str(exc))
    else:
        user = state.users.get(selected_user_id)
        if user is None:
            return again("Choose an account to sign in with.")
    if state.close_consent(consent.id) is None:
        return html_response(error_page(expired), 400)
    code = state.issue_code(consent, user)
    return redirect_response(
        _with_query(consent.redirect_uri, {"code": code, "state": consent.state})
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, client_secret = decoded.partition(":")
    return (client_id, client_secret) if colon else None


def token(state: EmulatorState, request: Request) -> Response:
    """POST /2/oauth2/token: exchange a code (or a refresh token) for tokens."""
    credentials = _basic_credentials(request)
    if credentials is None or not state.client_is(*credentials):
        return oauth_error_response("unauthorized_client", UNAUTHORIZED_CLIENT, 401)
    client_id = credentials[0]
    form = request.form()
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        required = ("code", "redirect_uri", "code_verifier")
    elif grant_type == "refresh_token":
        required = ("refresh_token",)
    elif not grant_type:
        return oauth_error_response("invalid_request", "Missing required parameter [grant_type].")
    else:
        return oauth_error_response(
            "unsupported_grant_type", "Value passed for the grant type was invalid."
        )
    missing = [name for name in required if not form.get(name)]
    if missing:
        return oauth_error_response(
            "invalid_request", f"Missing required parameter [{missing[0]}]."
        )
    try:
        if grant_type == "authorization_code":
            tokens = state.redeem_code(
                code=form["code"],
                client_id=client_id,
                redirect_uri=form["redirect_uri"],
                code_verifier=form["code_verifier"],
            )
        else:
            tokens = state.redeem_refresh_token(
                refresh_token=form["refresh_token"], client_id=client_id
            )
    except EmulatorError as exc:
        return oauth_error_response(exc.error, str(exc))
    return json_response(tokens.as_json())


def revoke(state: EmulatorState, request: Request) -> Response:
    """POST /2/oauth2/revoke: `token` (access or refresh) stops working; X answers
    {"revoked": true} whether or not it knew the token."""
    credentials = _basic_credentials(request)
    if credentials is None or not state.client_is(*credentials):
        return oauth_error_response("unauthorized_client", UNAUTHORIZED_CLIENT, 401)
    token = request.form().get("token")
    if not token:
        return oauth_error_response("invalid_request", "Missing required parameter [token].")
    state.revoke_token(token, credentials[0])
    return json_response({"revoked": True})
