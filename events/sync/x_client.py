"""Talking to X's recent search: tweepy's real Client pointed at X_API_BASE_URL, the rate
budget every worker shares, and one request for a page of posts.

tweepy builds every URL from https://api.twitter.com with no option to change it; as its
maintainers advise, the Client's `session` gets an adapter that sends those requests to
X_API_BASE_URL (the emulator in development and tests, https://api.x.com in production).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
import tweepy
from django.conf import settings
from django.core.cache import cache

from events.sync.errors import (
    DeadlineReached,
    XAuthFailed,
    XRateLimited,
    XRequestRejected,
    XTransientError,
    XUnreadableAnswer,
)
from events.sync.parsing import SearchPage, parse_page
from tweetups.x_api import header_int, tweepy_client
from tweetups.x_deadline import scope_remaining

logger = logging.getLogger(__name__)
# note_tweet: a long post's whole text and entities; `text` has only its first 280 characters.
TWEET_FIELDS = ["created_at", "author_id", "entities", "lang", "note_tweet"]
USER_FIELDS = ["name", "username", "profile_image_url"]
RATE_WINDOW_SECONDS = 15 * 60


# --- The client ------------------------------------------------------------------------------


def x_client() -> tweepy.Client:
    """tweepy's Client with the app's bearer token, talking to X_API_BASE_URL.

    The sync parses the JSON itself, so one malformed post cannot sink its whole page.
    """
    return tweepy_client(settings.X_BEARER_TOKEN)


# --- The shared rate budget ------------------------------------------------------------------


@functools.cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


class RateBudget:
    """X_SEARCH_RATE_LIMIT recent-search requests per 15-minute window, for all workers.

    A counter per window in Redis (the Django cache when there is no Redis, as in `make run`
    on one machine), taken before every request, and a "blocked until" mark set when X says
    the limit is reached (X's window need not line up with ours).
    """

    def __init__(self):
        prefix = settings.X_RATE_BUDGET_KEY_PREFIX
        self.blocked_key = f"{prefix}:search:blocked-until"
        self.window_prefix = f"{prefix}:search:window"
        self.limit = settings.X_SEARCH_RATE_LIMIT
        self.redis = _redis(settings.REDIS_URL) if settings.REDIS_URL else None

    def take(self, now: float | None = None) -> datetime | None:
        """Count one request; None to go ahead, else when to try again."""
        now = time.time() if now is None else now
        blocked = self._get(self.blocked_key)
        if blocked is not None and float(blocked) > now:
            return datetime.fromtimestamp(float(blocked), UTC)
        window = int(now // RATE_WINDOW_SECONDS)
        used = self._incr(f"{self.window_prefix}:{window}")
        if used > self.limit:
            return datetime.fromtimestamp((window + 1) * RATE_WINDOW_SECONDS, UTC)
        return None

    def block_until(self, reset_epoch: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        ttl = max(1, int(reset_epoch - now) + 1)
        if self.redis is not None:
            # Keep the later of two marks: GREATEST by hand, atomically enough for a hint.
            current = self.redis.get(self.blocked_key)
            if current is None or float(current) < reset_epoch:
                self.redis.set(self.blocked_key, str(reset_epoch), ex=ttl)
        else:
            current = cache.get(self.blocked_key)
            if current is None or float(current) < reset_epoch:
                cache.set(self.blocked_key, str(reset_epoch), timeout=ttl)

    def _get(self, key: str):
        if self.redis is not None:
            value = self.redis.get(key)
            return value.decode() if value is not None else None
        return cache.get(key)

    def _incr(self, key: str) -> int:
        ttl = RATE_WINDOW_SECONDS + 60
        if self.redis is not None:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            return int(pipe.execute()[0])
        cache.add(key, 0, timeout=ttl)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            return 1


@contextmanager
def _failures_as_sync_errors(what: str, *, latest: int) -> Iterator[None]:
    """A request to X that fails, as the sync's errors (events/sync/errors.py); `what` names
    the request when X rejects it. A rate limit lifts at X's reset, but no later than
    `latest`: a bogus header must not park the sync for longer."""
    try:
        yield
    except tweepy.TooManyRequests as exc:
        reset = min(exc.reset_time or latest, latest)
        raise XRateLimited(datetime.fromtimestamp(reset, UTC)) from exc
    except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
        raise XAuthFailed(
            f"X refused the app's credentials ({exc.response.status_code}): check "
            "X_BEARER_TOKEN and the app's access level in the X developer portal."
        ) from exc
    except tweepy.TwitterServerError as exc:
        raise XTransientError(f"X had a problem ({exc.response.status_code})") from exc
    except tweepy.HTTPException as exc:
        detail = "; ".join(exc.api_messages) or str(exc)
        raise XRequestRejected(f"X rejected the {what} ({detail})") from exc
    except requests.Timeout as exc:
        # Cut off by the cycle's end (give or take the timer's slack), not X's own timeout.
        if (left := scope_remaining()) is not None and left <= 1:
            raise DeadlineReached from exc
        raise XTransientError("X did not answer in time") from exc
    except requests.RequestException as exc:
        raise XTransientError("Could not reach X") from exc


def search_query(hashtags: Iterable[str]) -> str:
    """`(#a OR #b …) -is:retweet`: posts carrying any of the hashtags, retweets left out."""
    terms = [f"#{tag}" for tag in hashtags]
    group = terms[0] if len(terms) == 1 else f"({' OR '.join(terms)})"
    return f"{group} -is:retweet"


def search_page(
    client: tweepy.Client,
    *,
    query: str,
    since_id: int | None,
    until_id: int | None,
    next_token: str | None,
    max_results: int,
    rate_budget: RateBudget,
    now: datetime,
) -> SearchPage:
    """One request to recent search, after taking its share of the rate budget.

    Inside a `deadline_scope` whose time is up, DeadlineReached instead, X not asked."""
    if (left := scope_remaining()) is not None and left <= 0:
        raise DeadlineReached
    if (retry_at := rate_budget.take(now.timestamp())) is not None:
        raise XRateLimited(retry_at)
    params = {
        "max_results": max_results,
        "expansions": ["author_id"],
        "tweet_fields": TWEET_FIELDS,
        "user_fields": USER_FIELDS,
    }
    if since_id is not None:
        params["since_id"] = str(since_id)
    if until_id is not None:
        params["until_id"] = str(until_id)
    if next_token:
        params["next_token"] = next_token
    # X's reset is at most one window away; a bogus header must not park the sync for
    # longer (nor past the broker's visibility timeout for a delayed task).
    latest = int(now.timestamp()) + RATE_WINDOW_SECONDS + 60
    try:
        with _failures_as_sync_errors("search", latest=latest):
            response = client.search_recent_tweets(query, **params)
    except XRateLimited as exc:
        rate_budget.block_until(int(exc.retry_at.timestamp()), now.timestamp())
        raise
    remaining = header_int(response, "x-rate-limit-remaining")
    reset = header_int(response, "x-rate-limit-reset")
    if remaining is not None and remaining <= 0 and reset is not None:
        rate_budget.block_until(min(reset, latest), now.timestamp())
    # X bills the posts of an answer it sent, whether or not it can be read here: up to
    # max_results of them, as far as anyone can tell from a body cut off.
    try:
        payload = response.json()
    except ValueError as exc:
        logger.warning("X sent a search answer that is not valid JSON: %s", exc)
        raise XUnreadableAnswer(
            "X sent an answer that was not valid JSON", billed=max_results
        ) from exc
    if not isinstance(payload, dict):
        raise XUnreadableAnswer("X sent an answer that was not a JSON object", billed=max_results)
    return parse_page(payload)


# --- Posts by id (the compliance check) ------------------------------------------------------

LOOKUP_MAX_IDS = 100  # X's limit per request
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
NOT_AUTHORIZED = "https://api.twitter.com/2/problems/not-authorized-for-resource"


@dataclass
class LookupPage:
    """What X said about some post ids: still there, gone, or a protected account's."""

    found: set[int]
    gone: set[int]  # deleted, or its account deleted or suspended: "Not Found Error"
    protected: set[int]  # "Authorization Error": its account went protected
    result_count: int  # posts X sent: what X bills


def _error_ids(errors: list, kind: str) -> set[int]:
    ids = set()
    for error in errors:
        if not isinstance(error, dict) or error.get("type") != kind:
            continue
        if error.get("resource_type") not in (None, "tweet"):
            continue  # e.g. an expanded user's problem, not the post's
        value = error.get("resource_id") or error.get("value")
        if isinstance(value, str) and value.isdigit():
            ids.add(int(value))
    return ids


def lookup_posts(client: tweepy.Client, ids: list[int]) -> LookupPage:
    """One GET /2/tweets for up to 100 post ids: which X still shows the app."""
    if not 1 <= len(ids) <= LOOKUP_MAX_IDS:
        raise ValueError(f"look up 1 to {LOOKUP_MAX_IDS} ids at a time, not {len(ids)}")
    latest = int(time.time()) + RATE_WINDOW_SECONDS + 60
    with _failures_as_sync_errors("lookup", latest=latest):
        response = client.get_tweets([str(i) for i in ids], tweet_fields=["author_id"])
    try:
        payload = response.json()
    except ValueError as exc:
        raise XTransientError("X sent an answer that was not valid JSON") from exc
    if not isinstance(payload, dict):
        raise XTransientError("X sent an answer that was not a JSON object")
    data = payload.get("data") if isinstance(payload.get("data"), list) else []
    errors = payload.get("errors") if isinstance(payload.get("errors"), list) else []
    asked = set(ids)
    found = {
        int(post["id"])
        for post in data
        if isinstance(post, dict) and isinstance(post.get("id"), str) and post["id"].isdigit()
    }
    return LookupPage(
        found=found & asked,
        # An id X both returned and listed as a problem stays: only a clear answer removes.
        gone=(_error_ids(errors, NOT_FOUND) & asked) - found,
        protected=(_error_ids(errors, NOT_AUTHORIZED) & asked) - found,
        result_count=len(data),
    )
