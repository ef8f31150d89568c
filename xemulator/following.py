"""GET /2/users/:id/following: whom an account follows, a page at a time, as X serves it.

Checks in X's order: authentication (401), the token's scopes (403), the rate limit (429:
15 requests per 15 minutes per user token, and per app with the bearer token), the
parameters (400, every problem listed), then the account itself: a deleted one, or a
protected one the caller may not see, is a 200 whose `errors` say so. Answers past the
authentication carry the x-rate-limit-* headers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from dataclasses import dataclass

from xemulator.responses import (
    Request,
    Response,
    invalid_request_response,
    json_response,
    problem_response,
    rate_limit_headers,
)
from xemulator.state import EmulatorState, Fault
from xemulator.users import USER_FIELDS, bearer_token, fields_error, user_json

PATH_RE = re.compile(r"^/2/users/([^/]+)/following$")
USER_ID_RE = re.compile(r"^[0-9]{1,19}$")
PARAMETERS = ("max_results", "pagination_token", "user.fields", "expansions", "tweet.fields")
# OpenAPI v2.166: UserExpansionsParameter. The emulator has no pinned posts to expand.
EXPANSIONS = ("affiliation.user_id", "most_recent_tweet_id", "pinned_tweet_id")
REQUIRED_SCOPES = frozenset({"follows.read", "tweet.read", "users.read"})
MIN_RESULTS, MAX_RESULTS, DEFAULT_RESULTS = 1, 1000, 100
APP = "app"


def matches(path: str) -> bool:
    return PATH_RE.match(path) is not None


# --- who is asking, and their budget -------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    budget_key: tuple
    user_id: str | None  # None for the app's bearer token


def _caller(state: EmulatorState, request: Request) -> Caller | Response:
    token = bearer_token(request)
    if token and state.bearer_token_is(token):
        return Caller(("users/following", APP), None)
    found = state.grant_for_access_token(token)
    if found is None:
        return problem_response(401)
    grant, user = found
    if not REQUIRED_SCOPES.issubset(grant.scopes):
        return problem_response(403)
    return Caller(("users/following", user.id), user.id)


def _headers(state: EmulatorState, remaining: int, reset: int) -> dict[str, str]:
    return rate_limit_headers(state.config.follows_rate_limit, remaining, reset)


def fault_headers(state: EmulatorState, fault: Fault, request: Request) -> dict[str, str]:
    """Headers for an injected fault on this path: the caller's budget as it stands; a 429
    fault says it is spent until `reset_seconds` from now (else the window's end)."""
    token = bearer_token(request)
    found = None if state.bearer_token_is(token) else state.grant_for_access_token(token)
    key = ("users/following", found[1].id if found else APP)
    config = state.config
    remaining, reset = state.rate_limit_status(
        key, limit=config.follows_rate_limit, window_seconds=config.follows_rate_window_seconds
    )
    if fault.kind == "status" and fault.status == 429:
        remaining = 0
        if fault.reset_seconds is not None:
            reset = math.ceil(state.now() + fault.reset_seconds)
    return _headers(state, remaining, reset)


# --- pagination tokens ---------------------------------------------------------------------


def _signature(state: EmulatorState, user_id: str, offset: bytes) -> bytes:
    # A token is good only for the list it was issued for.
    message = user_id.encode() + b"\n" + offset
    return hmac.new(state.token_secret, message, hashlib.sha256).digest()[:8]


def encode_token(state: EmulatorState, user_id: str, offset: int) -> str:
    """Base32 like X's follows tokens, at least 16 characters (PaginationToken32)."""
    raw = offset.to_bytes(4)
    return base64.b32encode(raw + _signature(state, user_id, raw)).decode().rstrip("=")


def decode_token(state: EmulatorState, user_id: str, token: str) -> int | None:
    try:
        data = base64.b32decode(token + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    raw, signature = data[:4], data[4:]
    if len(data) != 12 or not hmac.compare_digest(signature, _signature(state, user_id, raw)):
        return None
    return int.from_bytes(raw)


# --- parameters ----------------------------------------------------------------------------


def _error(parameter: str, value: str, message: str) -> dict:
    return {"parameters": {parameter: [value]}, "message": message}


@dataclass(frozen=True)
class Params:
    user_id: str
    max_results: int
    offset: int
    user_fields: tuple[str, ...]


def _params(state: EmulatorState, request: Request, user_id: str) -> Params | list[dict]:
    errors = [
        _error(name, values[0], f"[{name}] is not one of [{','.join(PARAMETERS)}]")
        for name, values in request.query.items()
        if name not in PARAMETERS
    ]
    if not USER_ID_RE.match(user_id):
        errors.append(
            _error("id", user_id, f"The `id` query parameter value [{user_id}] is not valid")
        )
    max_results = DEFAULT_RESULTS
    raw_max = request.arg("max_results")
    if raw_max is not None:
        if raw_max.isdigit() and MIN_RESULTS <= int(raw_max) <= MAX_RESULTS:
            max_results = int(raw_max)
        else:
            message = (
                f"The `max_results` query parameter value [{raw_max}] is not between "
                f"{MIN_RESULTS} and {MAX_RESULTS}"
            )
            errors.append(_error("max_results", raw_max, message))
    offset = 0
    raw_token = request.arg("pagination_token")
    if raw_token is not None:
        decoded = decode_token(state, user_id, raw_token)
        if decoded is None:
            message = f"The `pagination_token` query parameter value [{raw_token}] is not valid"
            errors.append(_error("pagination_token", raw_token, message))
        else:
            offset = decoded
    for name, allowed in (("user.fields", USER_FIELDS), ("expansions", EXPANSIONS)):
        if (error := fields_error(request, name, allowed)) is not None:
            errors.append(error)
    if errors:
        return errors
    raw_fields = request.arg("user.fields")
    return Params(user_id, max_results, offset, tuple(raw_fields.split(",")) if raw_fields else ())


# --- the endpoint --------------------------------------------------------------------------


def _problem_about(user_id: str, *, title: str, detail: str, problem_type: str, **extra) -> dict:
    return {
        "value": user_id,
        "detail": detail,
        "title": title,
        "resource_type": "user",
        "parameter": "id",
        "resource_id": user_id,
        **extra,
        "type": problem_type,
    }


def not_found(user_id: str) -> dict:
    return _problem_about(
        user_id,
        title="Not Found Error",
        detail=f"Could not find user with id: [{user_id}].",
        problem_type="https://api.twitter.com/2/problems/resource-not-found",
    )


def not_authorized(user_id: str) -> dict:
    return _problem_about(
        user_id,
        title="Authorization Error",
        detail=f"Sorry, you are not authorized to see the user with id: [{user_id}].",
        problem_type="https://api.twitter.com/2/problems/not-authorized-for-resource",
        section="data",
    )


def users_following(state: EmulatorState, request: Request) -> Response:
    user_id = PATH_RE.match(request.path).group(1)
    caller = _caller(state, request)
    if isinstance(caller, Response):
        return caller
    config = state.config
    remaining, reset = state.rate_limit_hit(
        caller.budget_key,
        limit=config.follows_rate_limit,
        window_seconds=config.follows_rate_window_seconds,
    )
    headers = _headers(state, remaining, reset)
    if remaining < 0:
        return problem_response(429, headers=headers)
    params = _params(state, request, user_id)
    if isinstance(params, list):
        return invalid_request_response(params, headers)

    with state.lock:
        target = state.users.get(user_id)
        if target is None:
            return json_response({"errors": [not_found(user_id)]}, headers=headers)
        may_see = (
            not target.protected
            or caller.user_id == user_id
            or (caller.user_id is not None and state.follows(caller.user_id, user_id))
        )
        if not may_see:
            return json_response({"errors": [not_authorized(user_id)]}, headers=headers)
        total = len(state.following(user_id))
        start = min(params.offset, total)
        stop = min(start + params.max_results, total)
        users = state.followed_users(user_id, start, stop)

    meta: dict[str, object] = {"result_count": len(users)}
    if stop < total:
        meta["next_token"] = encode_token(state, user_id, stop)
    if start > 0:
        meta["previous_token"] = encode_token(state, user_id, max(start - params.max_results, 0))
    body: dict[str, object] = {"meta": meta}
    if users:
        body = {"data": [user_json(u, params.user_fields) for u in users], "meta": meta}
    return json_response(body, headers=headers)
