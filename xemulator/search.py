"""GET /2/tweets/search/recent: X's recent search, app-only or user context.

The order of checks follows X: authentication (401), the rate limit (429), then the
parameters (400, every problem listed). Every answer carries the x-rate-limit-* headers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xemulator.expansions import expansion_includes
from xemulator.responses import (
    Request,
    Response,
    invalid_request_response,
    json_response,
    problem_response,
    rate_limit_headers,
)
from xemulator.search_params import Invalid, PageToken, SearchParams, parse_params
from xemulator.state import SEARCH_APP_BUDGET, EmulatorState, Fault
from xemulator.tweets import first_id_at, tweet_json
from xemulator.users import bearer_token

SEARCH_PATH = "/2/tweets/search/recent"


# --- authentication and the rate limit ------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Whose rate limit a request counts against."""

    key: tuple
    limit: int
    window_seconds: int


def app_budget(state: EmulatorState) -> Budget:
    config = state.config
    return Budget(SEARCH_APP_BUDGET, config.search_rate_limit, config.search_rate_window_seconds)


def _authenticate(state: EmulatorState, request: Request) -> Budget | Response:
    """The budget the caller spends, or the 401/403 answer."""
    token = bearer_token(request)
    if token and state.bearer_token_is(token):
        return app_budget(state)
    found = state.grant_for_access_token(token)
    if found is None:
        return problem_response(401)
    grant, user = found
    if not {"tweet.read", "users.read"} <= set(grant.scopes):
        return problem_response(403)
    config = state.config
    return Budget(
        ("search/recent", user.id), config.search_user_rate_limit, config.search_rate_window_seconds
    )


def fault_headers(state: EmulatorState, fault: Fault) -> dict[str, str]:
    """Headers for an injected fault on this path; a 429 fault says the budget is spent and
    when it comes back (`reset_seconds` from now, else the end of the current window)."""
    budget = app_budget(state)
    remaining, reset = state.rate_limit_status(
        budget.key, limit=budget.limit, window_seconds=budget.window_seconds
    )
    if fault.kind == "status" and fault.status == 429:
        remaining = 0
        if fault.reset_seconds is not None:
            reset = math.ceil(state.now() + fault.reset_seconds)
    return rate_limit_headers(budget.limit, remaining, reset)


# --- the endpoint ---------------------------------------------------------------------------


def search_recent(state: EmulatorState, request: Request) -> Response:
    now_ms = state.now() * 1000
    budget = _authenticate(state, request)
    if isinstance(budget, Response):
        unauthenticated = app_budget(state)
        remaining, reset = state.rate_limit_status(
            unauthenticated.key,
            limit=unauthenticated.limit,
            window_seconds=unauthenticated.window_seconds,
        )
        budget.headers.update(rate_limit_headers(unauthenticated.limit, remaining, reset))
        return budget
    remaining, reset = state.rate_limit_hit(
        budget.key, limit=budget.limit, window_seconds=budget.window_seconds
    )
    headers = rate_limit_headers(budget.limit, remaining, reset)
    if remaining < 0:
        return problem_response(429, headers=headers)
    try:
        params = parse_params(state, request, now_ms)
    except Invalid as invalid:
        return invalid_request_response(invalid.errors, headers)

    # Posts made in the last search_index_lag_seconds are not in the index yet.
    indexed_below = first_id_at(math.ceil(now_ms - state.config.search_index_lag_seconds * 1000))
    page = state.search_tweets(
        params.node,
        above=params.above,
        below=min(params.below, indexed_below),
        max_results=params.max_results,
        relevancy=params.relevancy,
        after=(params.after.score, params.after.tweet_id) if params.after else None,
    )
    state.bill_posts([t.id for t in page.tweets])
    return json_response(_page_json(state, params, page), headers=headers)


def _page_json(state: EmulatorState, params: SearchParams, page) -> dict:
    tweets = page.tweets
    if not tweets:
        return {"meta": {"result_count": 0}}
    data = [tweet_json(t, params.tweet_fields) for t in tweets]
    includes = expansion_includes(
        page,
        expansions=params.expansions,
        tweet_fields=params.tweet_fields,
        user_fields=params.user_fields,
    )
    ids = [t.id for t in tweets]
    meta = {
        "newest_id": str(max(ids)),
        "oldest_id": str(min(ids)),
        "result_count": len(tweets),
    }
    if page.more:
        last = tweets[-1]
        score = last.engagement if params.relevancy else 0
        meta["next_token"] = PageToken(score, last.id).encode(state.token_secret, params.query)
    result = {"data": data}
    if includes:
        result["includes"] = includes
    result["meta"] = meta
    return result
