"""GET /2/tweets: posts by id, up to 100 a request, app-only or user context.

X answers 200 with the posts it can show in `data` and one error each for the rest: a
deleted (or never existing) post is "resource-not-found", a protected account's post
"not-authorized-for-resource". Checks in X's order: authentication (401), the rate limit
(429), then the parameters (400, every problem listed).
"""

from __future__ import annotations

import re

from xemulator.expansions import expansion_includes, post_fields_errors
from xemulator.responses import (
    Request,
    Response,
    invalid_request_response,
    json_response,
    problem_response,
    rate_limit_headers,
)
from xemulator.state import EmulatorState
from xemulator.tweets import tweet_json
from xemulator.users import bearer_token

LOOKUP_PATH = "/2/tweets"
LOOKUP_APP_BUDGET = ("tweets/lookup", "app")
PARAMETERS = (
    "ids",
    "tweet.fields",
    "expansions",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
)
MAX_IDS = 100
TWEET_ID_RE = re.compile(r"^[0-9]{1,19}$")
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"


def _caller(state: EmulatorState, request: Request) -> tuple[tuple, int, str | None] | Response:
    """(budget key, limit, the user's id or None for the app), or the 401/403 answer."""
    token = bearer_token(request)
    config = state.config
    if token and state.bearer_token_is(token):
        return LOOKUP_APP_BUDGET, config.lookup_rate_limit, None
    found = state.grant_for_access_token(token)
    if found is None:
        return problem_response(401)
    grant, user = found
    if not {"tweet.read", "users.read"} <= set(grant.scopes):
        return problem_response(403)
    return ("tweets/lookup", user.id), config.lookup_user_rate_limit, user.id


def _ids(request: Request) -> tuple[list[str], list[dict]]:
    raw = request.arg("ids")
    if not raw:
        values = [] if raw is None else [raw]
        message = "The `ids` query parameter can not be empty"
        return [], [{"parameters": {"ids": values}, "message": message}]
    ids = raw.split(",")
    if len(ids) > MAX_IDS:
        message = (
            f"The number of values in the `ids` query parameter list [{len(ids)}] is not "
            f"between 1 and {MAX_IDS}"
        )
        return [], [{"parameters": {"ids": [raw]}, "message": message}]
    bad = [i for i in ids if not TWEET_ID_RE.match(i)]
    if bad:
        message = f"The `ids` query parameter value [{bad[0]}] does not match ^[0-9]{{1,19}}$"
        return [], [{"parameters": {"ids": [raw]}, "message": message}]
    return list(dict.fromkeys(ids)), []


def _not_found(tweet_id: str) -> dict:
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with ids: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": tweet_id,
        "type": NOT_FOUND,
    }


def _not_authorized(tweet_id: str) -> dict:
    return {
        "value": tweet_id,
        "detail": f"Sorry, you are not authorized to see the Tweet with ids: [{tweet_id}].",
        "title": "Authorization Error",
        "resource_type": "tweet",
        "parameter": "ids",
        "resource_id": tweet_id,
        "section": "data",
        "type": NOT_AUTHORIZED,
    }


def lookup_tweets(state: EmulatorState, request: Request) -> Response:
    caller = _caller(state, request)
    window = state.config.search_rate_window_seconds
    if isinstance(caller, Response):
        limit = state.config.lookup_rate_limit
        remaining, reset = state.rate_limit_status(
            LOOKUP_APP_BUDGET, limit=limit, window_seconds=window
        )
        caller.headers.update(rate_limit_headers(limit, remaining, reset))
        return caller
    key, limit, viewer_id = caller
    remaining, reset = state.rate_limit_hit(key, limit=limit, window_seconds=window)
    headers = rate_limit_headers(limit, remaining, reset)
    if remaining < 0:
        return problem_response(429, headers=headers)

    errors = [
        {
            "parameters": {name: values},
            "message": f"[{name}] is not one of [{','.join(PARAMETERS)}]",
        }
        for name, values in request.query.items()
        if name not in PARAMETERS
    ]
    ids, id_errors = _ids(request)
    errors += id_errors
    errors += post_fields_errors(request)
    if errors:
        return invalid_request_response(errors, headers)

    def listed(name: str) -> tuple[str, ...]:
        raw = request.arg(name)
        return tuple(raw.split(",")) if raw else ()

    tweet_fields, user_fields = listed("tweet.fields"), listed("user.fields")
    found = state.lookup_tweets(ids, viewer_id=viewer_id)
    body: dict = {}
    if found.page.tweets:
        body["data"] = [tweet_json(t, tweet_fields) for t in found.page.tweets]
        includes = expansion_includes(
            found.page,
            expansions=frozenset(listed("expansions")),
            tweet_fields=tweet_fields,
            user_fields=user_fields,
        )
        if includes:
            body["includes"] = includes
    problems = [_not_found(i) for i in found.missing]
    problems += [_not_authorized(i) for i in found.unauthorized]
    if problems:
        # In the order the ids were asked for, as X lists them.
        order = {tweet_id: index for index, tweet_id in enumerate(ids)}
        body["errors"] = sorted(problems, key=lambda p: order[p["resource_id"]])
    return json_response(body, headers=headers)
