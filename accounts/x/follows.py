"""Whom a person follows on X: GET /2/users/:id/following, a page of up to 1,000 at a time.

    for page in following_ids(token, user.x_id, max_ids=5000):
        seen.update(page.ids)

Every way X can fail to give the list is a FollowsError subclass with a `message` to show
the person, so a caller keeps what it had and says what happened:

- FollowsTokenRevoked (401): the token was revoked or has expired;
- FollowsForbidden (403): the token was granted without follows.read;
- FollowsRateLimited (429): `reset_at` says when to try again, `resume_token` where; the
  client never sleeps (X allows 15 requests per 15 minutes per person);
- FollowsUserGone: X could not find the account (deleted, or suspended);
- FollowsNotAuthorized: a protected account this token may not see;
- FollowsMalformedPage: X's answer was not the shape it documents;
- FollowsUnavailable: X is down, slow or unreachable (worth retrying with backoff);
- FollowsRejected: any other refusal (a bad parameter), not worth retrying as it is.

X bills every user object a page returns, so a page asks for no more than `max_ids` allows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
import tweepy

from accounts.x.client import user_client
from accounts.x.formats import X_ID_RE
from tweetups.x_api import header_int

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000  # X's most per request
RATE_WINDOW_SECONDS = 15 * 60
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
NOT_AUTHORIZED_TYPE = "https://api.twitter.com/2/problems/not-authorized-for-resource"


class FollowsError(Exception):
    """X did not give the following list; `message` says so in plain words."""

    message = "X did not give us the list of people you follow."

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.message)


class FollowsTokenRevoked(FollowsError):
    message = "X no longer accepts this connection: it was revoked or has expired."


class FollowsForbidden(FollowsError):
    message = "X did not give permission to read who you follow."


class FollowsRateLimited(FollowsError):
    message = "X asked us to slow down; we will try again later."

    def __init__(self, reset_at: datetime, resume_token: str | None):
        super().__init__(f"rate limited until {reset_at.isoformat()}")
        self.reset_at = reset_at
        self.resume_token = resume_token


class FollowsUserGone(FollowsError):
    message = "X could not find this account: it may have been deleted or suspended."


class FollowsNotAuthorized(FollowsError):
    message = "This X account is protected and X would not show whom it follows."


class FollowsMalformedPage(FollowsError):
    message = "X sent an answer we could not read."


class FollowsUnavailable(FollowsError):
    message = "X could not be reached just now."


class FollowsRejected(FollowsError):
    message = "X refused to give the list of people you follow."


@dataclass(frozen=True)
class FollowingPage:
    """One page of a following list: X ids, newest follow first, and X's rate-limit figures
    after this request (None when X sent none)."""

    ids: tuple[str, ...]
    protected_ids: frozenset[str]
    next_token: str | None
    rate_limit_remaining: int | None
    rate_limit_reset: datetime | None
    # Those X said in so many words are not protected (`protected: false`).
    public_ids: frozenset[str] = frozenset()


def following_ids(
    access_token: str,
    x_user_id: str,
    *,
    max_ids: int,
    pagination_token: str | None = None,
) -> Iterator[FollowingPage]:
    """Pages of whom `x_user_id` follows, up to `max_ids` ids in all, starting at
    `pagination_token` (a FollowsRateLimited's `resume_token`) or the beginning.

    `access_token` is the person's OAuth 2.0 token with follows.read (or the app's bearer
    token). Raises a FollowsError subclass at the page that failed; the pages before it
    were already yielded.
    """
    if not X_ID_RE.match(x_user_id):
        raise ValueError(f"not an X id: {x_user_id!r}")
    if max_ids < 1:
        return
    client = user_client(access_token)
    try:
        read = 0
        while read < max_ids:
            page = _page(client, x_user_id, min(PAGE_SIZE, max_ids - read), pagination_token)
            if len(page.ids) > max_ids - read:  # more than asked: never keep past the cap
                page = _truncated(page, max_ids - read)
            read += len(page.ids)
            yield page
            if page.next_token is None:
                return
            pagination_token = page.next_token
    finally:
        client.session.close()


def _truncated(page: FollowingPage, size: int) -> FollowingPage:
    ids = page.ids[:size]
    return FollowingPage(
        ids=ids,
        protected_ids=page.protected_ids & frozenset(ids),
        public_ids=page.public_ids & frozenset(ids),
        next_token=page.next_token,
        rate_limit_remaining=page.rate_limit_remaining,
        rate_limit_reset=page.rate_limit_reset,
    )


def _page(
    client: tweepy.Client, x_user_id: str, max_results: int, pagination_token: str | None
) -> FollowingPage:
    # X's reset is at most one window away; a bogus header must not park a refresh longer.
    latest = int(time.time()) + RATE_WINDOW_SECONDS + 60
    try:
        response = client.get_users_following(
            x_user_id,
            max_results=max_results,
            pagination_token=pagination_token,
            user_fields=["protected"],
            user_auth=False,
        )
    except tweepy.TooManyRequests as exc:
        reset = min(exc.reset_time or latest, latest)
        raise FollowsRateLimited(datetime.fromtimestamp(reset, UTC), pagination_token) from exc
    except tweepy.Unauthorized as exc:
        raise FollowsTokenRevoked() from exc
    except tweepy.Forbidden as exc:
        raise FollowsForbidden() from exc
    except tweepy.TwitterServerError as exc:
        raise FollowsUnavailable(f"X had a problem ({exc.response.status_code})") from exc
    except tweepy.HTTPException as exc:
        detail = "; ".join(exc.api_messages) or str(exc)
        raise FollowsRejected(f"X rejected the request ({detail})") from exc
    except requests.Timeout as exc:
        raise FollowsUnavailable("X did not answer in time") from exc
    except requests.RequestException as exc:
        raise FollowsUnavailable("Could not reach X") from exc
    try:
        payload = response.json()
    except ValueError as exc:
        logger.warning("X sent a following page that is not valid JSON: %s", exc)
        raise FollowsMalformedPage("not valid JSON") from exc
    return _parse(payload, response)


def _parse(payload: object, response: requests.Response) -> FollowingPage:
    if not isinstance(payload, dict):
        raise FollowsMalformedPage("the answer is not a JSON object")
    if "data" not in payload and payload.get("errors"):
        _raise_for_errors(payload["errors"])
    data = payload.get("data", [])
    meta = payload.get("meta")
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise FollowsMalformedPage("no list of users, or no meta")
    ids, protected, public = [], set(), set()
    for user in data:
        user_id = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user_id, str) or not X_ID_RE.match(user_id):
            raise FollowsMalformedPage("a user without a valid id")
        ids.append(user_id)
        if user.get("protected") is True:
            protected.add(user_id)
        elif user.get("protected") is False:
            public.add(user_id)
    next_token = meta.get("next_token")
    result_count = meta.get("result_count")
    if next_token is not None and (not isinstance(next_token, str) or not next_token):
        raise FollowsMalformedPage("a next_token that is not a string")
    if result_count is not None and result_count != len(ids):
        raise FollowsMalformedPage(f"result_count {result_count!r} for {len(ids)} users")
    reset = header_int(response, "x-rate-limit-reset")
    return FollowingPage(
        ids=tuple(dict.fromkeys(ids)),
        protected_ids=frozenset(protected),
        public_ids=frozenset(public),
        next_token=next_token,
        rate_limit_remaining=header_int(response, "x-rate-limit-remaining"),
        rate_limit_reset=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
    )


def _raise_for_errors(errors: object) -> None:
    """X answers 200 with only `errors` when the account itself is the problem."""
    if not isinstance(errors, list):
        raise FollowsMalformedPage("errors is not a list")
    for error in errors:
        if not isinstance(error, dict):
            continue
        if error.get("type") == NOT_FOUND_TYPE:
            raise FollowsUserGone(str(error.get("detail", "")))
        if error.get("type") == NOT_AUTHORIZED_TYPE:
            raise FollowsNotAuthorized(str(error.get("detail", "")))
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    raise FollowsRejected(str(first.get("detail") or first.get("title") or "X sent errors"))
