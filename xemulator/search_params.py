"""The parameters of GET /2/tweets/search/recent, checked as X checks them: every problem
listed in one 400 (`Invalid`), X's own messages; and the page token X hands out."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from xemulator import query as search_query
from xemulator.expansions import post_fields_errors
from xemulator.responses import Request
from xemulator.state import EmulatorState
from xemulator.tweets import SEARCH_WINDOW_SECONDS, first_id_at

PARAMETERS = (
    "query",
    "start_time",
    "end_time",
    "since_id",
    "until_id",
    "max_results",
    "next_token",
    "pagination_token",
    "sort_order",
    "expansions",
    "tweet.fields",
    "media.fields",
    "poll.fields",
    "user.fields",
    "place.fields",
)
SORT_ORDERS = ("recency", "relevancy")
TWEET_ID_RE = re.compile(r"^[0-9]{1,19}$")
BASE36_RE = re.compile(r"^[0-9a-z]{1,200}$")
MIN_RESULTS, MAX_RESULTS, DEFAULT_RESULTS = 10, 100, 10
# start_time and end_time must be at least this far behind the request.
FRESHNESS_SECONDS = 10


class Invalid(ValueError):
    def __init__(self, errors: list[dict]):
        super().__init__(errors)
        self.errors = errors


def _error(parameter: str, values: list[str], message: str) -> dict:
    return {"parameters": {parameter: values}, "message": message}


def _minute(ms: float, *, up: bool = False) -> str:
    """X's way of naming a moment in these messages: 2026-08-20T10:00Z."""
    seconds = ms / 1000
    if up:
        seconds = math.ceil(seconds / 60) * 60
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class PageToken:
    """Where a page ended: the last post's sort key. Opaque to clients, base36 like X's."""

    score: int
    tweet_id: int

    def encode(self, secret: bytes, query: str) -> str:
        payload = f"{self.score}.{self.tweet_id}".encode()
        signature = _sign(secret, query, payload)
        number = int.from_bytes(b"\x01" + signature + payload)
        digits = ""
        while number:
            number, digit = divmod(number, 36)
            digits += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
        return digits[::-1]

    @classmethod
    def decode(cls, token: str, secret: bytes, query: str) -> PageToken | None:
        if not BASE36_RE.match(token):
            return None
        try:
            number = int(token, 36)
            raw = number.to_bytes((number.bit_length() + 7) // 8)
            signature, payload = raw[1:9], raw[9:]
            if raw[:1] != b"\x01" or not hmac.compare_digest(
                signature, _sign(secret, query, payload)
            ):
                return None
            score, tweet_id = payload.decode().split(".")
            return cls(int(score), int(tweet_id))
        except ValueError:
            return None


def _sign(secret: bytes, query: str, payload: bytes) -> bytes:
    # A token is good only for the query it was issued for, as X's are.
    return hmac.new(secret, query.encode() + b"\n" + payload, hashlib.sha256).digest()[:8]


@dataclass(frozen=True)
class SearchParams:
    query: str
    node: search_query.Node
    max_results: int
    above: int  # ids strictly between above and below
    below: int
    relevancy: bool
    after: PageToken | None
    expansions: frozenset[str]
    tweet_fields: tuple[str, ...]
    user_fields: tuple[str, ...]


def _parse_time(request: Request, name: str, errors: list[dict]) -> float | None:
    raw = request.arg(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError(raw)
    except ValueError:
        errors.append(
            _error(name, [raw], f"The `{name}` query parameter value [{raw}] is not a valid time")
        )
        return None
    return moment.timestamp() * 1000


def _check_times(start_ms, end_ms, now_ms: float, errors: list[dict]) -> None:
    cutoff_ms = now_ms - SEARCH_WINDOW_SECONDS * 1000
    for name, ms in (("start_time", start_ms), ("end_time", end_ms)):
        if ms is None:
            continue
        shown = f"Invalid '{name}':'{_minute(ms)}'."
        if ms < cutoff_ms:
            bound = _minute(cutoff_ms, up=True)
            errors.append(
                _error(name, [_minute(ms)], f"{shown} '{name}' must be on or after {bound}")
            )
        elif ms > now_ms - FRESHNESS_SECONDS * 1000:
            errors.append(
                _error(
                    name,
                    [_minute(ms)],
                    f"{shown} '{name}' must be a minimum of 10 seconds prior to the request time.",
                )
            )
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        errors.append(
            _error(
                "end_time",
                [_minute(end_ms)],
                f"Invalid 'end_time':'{_minute(end_ms)}'. 'end_time' must be after 'start_time'",
            )
        )


def _tweet_id(request: Request, name: str, errors: list[dict]) -> int | None:
    raw = request.arg(name)
    if raw is None:
        return None
    if not TWEET_ID_RE.match(raw):
        message = f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        errors.append(_error(name, [raw], message))
        return None
    return int(raw)


def _parse_query(state: EmulatorState, request: Request, errors: list[dict]):
    raw = request.arg("query")
    if not raw:
        values = [] if raw is None else [raw]
        errors.append(_error("query", values, "Request parameter `query` can not be empty"))
        return raw, None
    limit = state.config.search_query_max_length
    if len(raw) > limit:
        message = (
            f"The `query` query parameter value [{raw}] is not between 1 and {limit} characters"
        )
        errors.append(_error("query", [raw], message))
        return raw, None
    try:
        return raw, search_query.parse(raw)
    except search_query.QueryError as exc:
        errors.append(_error("query", [raw], str(exc)))
        return raw, None


def parse_params(state: EmulatorState, request: Request, now_ms: float) -> SearchParams:
    errors = [
        _error(name, values, f"[{name}] is not one of [{','.join(PARAMETERS)}]")
        for name, values in request.query.items()
        if name not in PARAMETERS
    ]
    query, node = _parse_query(state, request, errors)

    raw_max = request.arg("max_results")
    max_results = DEFAULT_RESULTS
    if raw_max is not None:
        if raw_max.isdigit() and MIN_RESULTS <= int(raw_max) <= MAX_RESULTS:
            max_results = int(raw_max)
        else:
            message = (
                f"The `max_results` query parameter value [{raw_max}] is not between "
                f"{MIN_RESULTS} and {MAX_RESULTS}"
            )
            errors.append(_error("max_results", [raw_max], message))

    since_id = _tweet_id(request, "since_id", errors)
    until_id = _tweet_id(request, "until_id", errors)
    cutoff_ms = now_ms - SEARCH_WINDOW_SECONDS * 1000
    if since_id is not None and since_id < first_id_at(math.floor(cutoff_ms)):
        # X refuses a since_id older than its search window instead of ignoring it.
        bound_ms = math.ceil(cutoff_ms / 60_000) * 60_000
        message = (
            f"'since_id' must be a tweet id created after {_minute(cutoff_ms, up=True)}. "
            f"Please use a 'since_id' that is larger than {first_id_at(bound_ms)}"
        )
        errors.append(_error("since_id", [str(since_id)], message))

    start_ms = _parse_time(request, "start_time", errors)
    end_ms = _parse_time(request, "end_time", errors)
    _check_times(start_ms, end_ms, now_ms, errors)

    sort_order = request.arg("sort_order") or "recency"
    if sort_order not in SORT_ORDERS:
        message = (
            f"The `sort_order` query parameter value [{sort_order}] is not one of "
            f"[{','.join(SORT_ORDERS)}]"
        )
        errors.append(_error("sort_order", [sort_order], message))

    after = None
    token_name = "next_token" if request.arg("next_token") is not None else "pagination_token"
    raw_token = request.arg(token_name)
    if raw_token is not None and query:
        after = PageToken.decode(raw_token, state.token_secret, query)
        if after is None:
            message = f"The `{token_name}` query parameter value [{raw_token}] is not valid"
            errors.append(_error(token_name, [raw_token], message))

    errors += post_fields_errors(request)
    if errors:
        raise Invalid(errors)

    # Only the last seven days, nothing from the future, then the caller's own bounds.
    lower_ms = max(cutoff_ms, start_ms if start_ms is not None else cutoff_ms)
    upper_ms = min(now_ms + 1, end_ms if end_ms is not None else now_ms + 1)
    above = max(first_id_at(math.ceil(lower_ms)) - 1, since_id if since_id is not None else -1)
    below = first_id_at(math.ceil(upper_ms))
    if until_id is not None:
        below = min(below, until_id)

    def listed(name: str) -> tuple[str, ...]:
        raw = request.arg(name)
        return tuple(raw.split(",")) if raw else ()

    return SearchParams(
        query=query,
        node=node,
        max_results=max_results,
        above=above,
        below=below,
        relevancy=sort_order == "relevancy",
        after=after,
        expansions=frozenset(listed("expansions")),
        tweet_fields=listed("tweet.fields"),
        user_fields=listed("user.fields"),
    )
