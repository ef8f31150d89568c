"""A small client for the /_emulator/ control API (standard library only).

Tests get one as `emulator.control`; a browser test or a script can point one at an emulator
running in another process: `EmulatorClient("http://127.0.0.1:8010").add_fault("/2/users/me")`.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.error import HTTPError
from urllib.request import Request, urlopen


class EmulatorControlError(RuntimeError):
    def __init__(self, status: int, payload: object):
        super().__init__(f"emulator control API answered {status}: {payload}")
        self.status = status
        self.payload = payload


class EmulatorClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: dict | None = None):
        body = json.dumps(payload).encode() if payload is not None else None
        request = Request(  # noqa: S310 (the URL is the emulator's, http by design)
            f"{self.base_url}/_emulator/{path}",
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except HTTPError as exc:
            with exc:
                raise EmulatorControlError(exc.code, json.loads(exc.read() or b"null")) from None

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def users(self) -> list[dict]:
        return self._call("GET", "users")["data"]

    def user(self, user_id: str) -> dict:
        return self._call("GET", f"users/{user_id}")["data"]

    def add_user(self, username: str, **profile) -> dict:
        """Create an X account; `name`, `id`, `profile_image_url`, ... are optional."""
        return self._call("POST", "users", {"username": username, **profile})["data"]

    def update_user(self, user_id: str, **changes) -> dict:
        return self._call("PATCH", f"users/{user_id}", changes)["data"]

    def delete_user(self, user_id: str) -> None:
        """The account is deleted on X: its tokens die, its follows go."""
        self._call("DELETE", f"users/{user_id}")

    def revoke_tokens(self, user_id: str) -> int:
        """The person took the app's access away on X; returns how many tokens stopped."""
        return self._call("POST", f"users/{user_id}/revoke", {})["data"]["revoked"]

    def following(self, user_id: str) -> dict:
        """Whom the account follows: {"count", "user_ids", "generated", ...}."""
        return self._call("GET", f"users/{user_id}/following")["data"]

    def set_following(
        self,
        user_id: str,
        user_ids: list[str] = (),
        *,
        generate: int = 0,
        seed: int = 0,
        protected_every: int = 0,
    ) -> dict:
        """Replace whom the account follows: existing accounts `user_ids` (newest follow
        first), then `generate` made-up ones (cheap: 100,000 are computed, not stored)."""
        payload = {
            "user_ids": list(user_ids),
            "generate": generate,
            "seed": seed,
            "protected_every": protected_every,
        }
        return self._call("PUT", f"users/{user_id}/following", payload)["data"]

    def add_fault(
        self,
        path: str,
        kind: str = "status",
        *,
        count: int = 1,
        status: int | None = None,
        delay_seconds: float = 0.0,
        body: object = None,
        reset_seconds: float | None = None,
        headers: dict[str, str] | None = None,
        query_contains: str | None = None,
        after: int = 0,
    ) -> dict:
        """Break the next `count` requests to `path`: kind is status, malformed, slow, json,
        headers (an answer as usual, with `headers` over the usual ones), truncated (an
        answer billed in full, its body cut in half) or trickle (an answer as usual, its body
        sent one byte every `delay_seconds`). With `query_contains`, only requests whose
        query has that text; `after` lets that many of them through first.

        A 429 on recent search or a following list says in x-rate-limit-reset that the
        budget comes back in `reset_seconds` (default: when the current window ends). Any
        kind sends `headers`."""
        payload = {"path": path, "kind": kind, "count": count, "delay_seconds": delay_seconds}
        if after:
            payload["after"] = after
        if status is not None:
            payload["status"] = status
        if body is not None:
            payload["body"] = body
        if reset_seconds is not None:
            payload["reset_seconds"] = reset_seconds
        if headers:
            payload["headers"] = headers
        if query_contains:
            payload["query_contains"] = query_contains
        if after:
            payload["after"] = after
        return self._call("POST", "faults", payload)["data"]

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(self, path: str | None = None) -> list[dict]:
        """X API requests the emulator answered, oldest first; only those to `path` if given."""
        log = self._call("GET", "requests")["data"]
        return [entry for entry in log if path is None or entry["path"] == path]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def advance_clock(self, seconds: float) -> float:
        return self._call("POST", "clock", {"advance_seconds": seconds})["now"]

    def config(self) -> dict:
        return self._call("GET", "config")["data"]

    def configure(self, **changes) -> dict:
        return self._call("PATCH", "config", changes)["data"]

    # --- posts and recent search -----------------------------------------------------

    def post_tweet(
        self,
        username: str | None,
        text: str | None = None,
        *,
        author_id: str | None = None,
        created_at: datetime | str | None = None,
        is_retweet: bool = False,
        retweet_of: str | None = None,
        lang: str | None = None,
        public_metrics: dict | None = None,
    ) -> dict:
        """Post as @username (created if new) or as `author_id`; returns the post as recent
        search would, every field included. `retweet_of` (a stored post's id) replaces text."""
        spec = _tweet_spec(
            username=username,
            author_id=author_id,
            text=text,
            created_at=created_at,
            is_retweet=is_retweet,
            retweet_of=retweet_of,
            lang=lang,
            public_metrics=public_metrics,
        )
        return self._call("POST", "tweets", spec)["data"]

    def post_tweets(self, tweets: list[dict]) -> dict:
        """Post many at once, all or none: each dict takes post_tweet's arguments
        (`username`, `text`, `created_at`, ...). Returns {"created", "newest_id", "oldest_id"}."""
        specs = [_tweet_spec(**tweet) for tweet in tweets]
        return self._call("POST", "tweets/bulk", {"tweets": specs})["data"]

    def generate_tweets(self, hashtags: list[str], count: int, **options) -> dict:
        """Post `count` demo-like posts cycling through `hashtags`, spread over the last six
        days; options: usernames, span_seconds, newest_at, retweet_every, seed."""
        if isinstance(options.get("newest_at"), datetime):
            options["newest_at"] = options["newest_at"].isoformat()
        payload = {"hashtags": hashtags, "count": count, **options}
        return self._call("POST", "tweets/bulk", payload)["data"]

    def tweets(self) -> list[dict]:
        """Every stored post, newest first."""
        return self._call("GET", "tweets")["data"]

    def clear_tweets(self) -> None:
        self._call("DELETE", "tweets")

    def usage(self) -> dict:
        """What X bills: {"posts_billed" (each post once per UTC day), "posts_sent", "by_day"}."""
        return self._call("GET", "usage")["data"]

    def delete_tweet(self, tweet_id: str) -> None:
        """The author deletes the post: X's search and lookup no longer find it."""
        self._call("DELETE", f"tweets/{tweet_id}")

    def rate_limit(self) -> dict:
        """The app's recent-search budget: limit, remaining, reset, window_seconds."""
        return self._call("GET", "rate-limit")["data"]

    def set_rate_limit(
        self,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        window_seconds: int | None = None,
        reset_in_seconds: float | None = None,
    ) -> dict:
        """Resize the recent-search budget, or say what is left of it and when it resets."""
        changes = {
            "limit": limit,
            "remaining": remaining,
            "window_seconds": window_seconds,
            "reset_in_seconds": reset_in_seconds,
        }
        payload = {name: value for name, value in changes.items() if value is not None}
        return self._call("POST", "rate-limit", payload)["data"]


def _tweet_spec(**fields) -> dict:
    if isinstance(fields.get("created_at"), datetime):
        fields["created_at"] = fields["created_at"].isoformat()
    if not fields.get("is_retweet"):
        fields.pop("is_retweet", None)
    return {name: value for name, value in fields.items() if value is not None}
