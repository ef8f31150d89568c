"""Everything the emulator remembers: the app, users, grants, tokens, posts, faults and a
request log.

One `EmulatorState` per server, guarded by one lock. The HTTP layer (`oauth.py`, `users.py`,
`search.py`, `control.py`) reads and changes it only through these methods.
"""

from __future__ import annotations

import hmac
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from xemulator.accounts import XUser
from xemulator.demo import DEMO_USERS
from xemulator.errors import EmulatorError
from xemulator.faults import Fault, FaultsMixin
from xemulator.grants import (
    AuthorizationCode,
    ConsentRequest,
    Grant,
    GrantsMixin,
)
from xemulator.graph import FollowsMixin
from xemulator.post_reads import SEARCH_APP_BUDGET, PostReadsMixin
from xemulator.post_writes import PostWritesMixin
from xemulator.tweets import TweetStore

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
USER_ID_RE = re.compile(r"^[0-9]{1,19}$")
FIRST_NEW_USER_ID = 1900000000000000001


# X's own wording; the clients only show or log them.
@dataclass(frozen=True)
class EmulatorConfig:
    client_id: str = "tweetups-dev"
    client_secret: str = "tweetups-dev-secret"
    app_name: str = "Tweetups"
    # Registered callback URLs; empty accepts any http(s) URL, which suits local development.
    redirect_uris: tuple[str, ...] = ()
    code_ttl_seconds: float = 30.0
    access_token_ttl_seconds: int = 7200
    consent_ttl_seconds: float = 600.0
    # The app-only bearer token recent search accepts (the site's X_BEARER_TOKEN).
    bearer_token: str = "tweetups-dev-bearer"
    # 512 on self-serve plans, 4096 on higher ones.
    search_query_max_length: int = 512
    # Requests per window: per app with the bearer token, per user with a user's token.
    search_rate_limit: int = 450
    search_user_rate_limit: int = 300
    search_rate_window_seconds: int = 15 * 60
    # GET /2/users/:id/following: requests per window, per user token and per app.
    follows_rate_limit: int = 15
    follows_rate_window_seconds: int = 15 * 60
    # X's search index runs behind: a post shows up in search this many seconds after it
    # was made (its id still says when it was made).
    search_index_lag_seconds: float = 0.0
    # GET /2/tweets (post lookup), per 15 minutes: per app, and per user.
    lookup_rate_limit: int = 3500
    lookup_user_rate_limit: int = 5000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> EmulatorConfig:
        defaults = cls()
        uris = environ.get("XEMU_REDIRECT_URIS", "")
        return cls(
            client_id=environ.get("XEMU_CLIENT_ID", defaults.client_id),
            client_secret=environ.get("XEMU_CLIENT_SECRET", defaults.client_secret),
            app_name=environ.get("XEMU_APP_NAME", defaults.app_name),
            redirect_uris=tuple(u.strip() for u in uris.split(",") if u.strip()),
            code_ttl_seconds=float(environ.get("XEMU_CODE_TTL", defaults.code_ttl_seconds)),
            bearer_token=environ.get("XEMU_BEARER_TOKEN", defaults.bearer_token),
            search_query_max_length=int(
                environ.get("XEMU_SEARCH_QUERY_MAX_LENGTH", defaults.search_query_max_length)
            ),
            search_rate_limit=int(
                environ.get("XEMU_SEARCH_RATE_LIMIT", defaults.search_rate_limit)
            ),
            access_token_ttl_seconds=int(
                environ.get("XEMU_ACCESS_TOKEN_TTL", defaults.access_token_ttl_seconds)
            ),
        )

    def public(self) -> dict:
        """The configuration minus the secrets, for the control API."""
        data = asdict(self)
        del data["client_secret"]
        del data["bearer_token"]
        data["redirect_uris"] = list(self.redirect_uris)
        return data


class EmulatorState(GrantsMixin, FaultsMixin, PostWritesMixin, PostReadsMixin, FollowsMixin):
    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] = time.time
    ):
        self.lock = threading.RLock()
        self._initial_config = config or EmulatorConfig()
        self._clock = clock
        # Signs search's next_token; tokens outlive a reset, not a restart.
        self.token_secret = secrets.token_bytes(16)
        self.reset()

    # --- lifecycle -----------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            # Wake any request a "slow" fault is holding, so it does not outlive this run.
            interrupt = getattr(self, "_interrupt", None)
            if interrupt is not None:
                interrupt.set()
            self._interrupt = threading.Event()
            self.generation = getattr(self, "generation", 0) + 1
            self.config = self._initial_config
            self._clock_offset = 0.0
            self.users: dict[str, XUser] = {u["id"]: XUser(**u) for u in DEMO_USERS}
            self._next_user_id = FIRST_NEW_USER_ID
            self.consent_requests: dict[str, ConsentRequest] = {}
            self.codes: dict[str, AuthorizationCode] = {}
            self.access_tokens: dict[str, Grant] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.faults: list[Fault] = []
            self.request_log: list[dict] = []
            self._rate_windows: dict[tuple, tuple[float, int]] = {}
            self.tweets = TweetStore()
            self.reset_follows()
            # What X bills: each post once per UTC day it is sent, however often.
            self._billed: dict[str, set[int]] = {}
            self._posts_sent = 0

    def configure(self, **changes) -> EmulatorConfig:
        for name in (
            "search_rate_limit",
            "search_user_rate_limit",
            "follows_rate_limit",
            "lookup_rate_limit",
            "lookup_user_rate_limit",
        ):
            if name in changes and changes[name] < 0:
                raise EmulatorError(f"{name} must be 0 or more")
        if changes.get("search_index_lag_seconds", 0) < 0:
            raise EmulatorError("search_index_lag_seconds must be 0 or more")
        for name in (
            "search_rate_window_seconds",
            "search_query_max_length",
            "follows_rate_window_seconds",
            "access_token_ttl_seconds",
        ):
            if name in changes and changes[name] < 1:
                raise EmulatorError(f"{name} must be 1 or more")
        with self.lock:
            if "redirect_uris" in changes:
                changes["redirect_uris"] = tuple(changes["redirect_uris"])
            self.config = replace(self.config, **changes)
            return self.config

    def now(self) -> float:
        return self._clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            self._clock_offset += seconds
            return self.now()

    def wait(self, seconds: float) -> None:
        """Sleep for a "slow" fault; a reset or shutdown cuts it short."""
        self._interrupt.wait(seconds)

    def interrupt(self) -> None:
        self._interrupt.set()

    # --- users ---------------------------------------------------------------------

    def add_user(self, *, username: str, name: str = "", id: str | None = None, **profile) -> XUser:
        with self.lock:
            if not isinstance(username, str) or not USERNAME_RE.match(username):
                raise EmulatorError("username must be 1-15 letters, digits or underscores")
            if self.user_by_username(username):
                raise EmulatorError(f"@{username} is taken", error="conflict")
            if id is None:
                while str(self._next_user_id) in self.users:
                    self._next_user_id += 1
                id = str(self._next_user_id)
                self._next_user_id += 1
            elif not isinstance(id, str) or not USER_ID_RE.match(id) or id in self.users:
                raise EmulatorError("id must be 1-19 digits and not in use", error="conflict")
            user = XUser(id=id, username=username, name=name or username)
            self._apply_profile(user, profile)
            self.users[id] = user
            return user

    def update_user(self, user_id: str, **changes) -> XUser:
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                raise KeyError(user_id)
            username = changes.pop("username", None)
            if username is not None and username != user.username:
                if not isinstance(username, str) or not USERNAME_RE.match(username):
                    raise EmulatorError("username must be 1-15 letters, digits or underscores")
                taken = self.user_by_username(username)
                if taken and taken.id != user_id:
                    raise EmulatorError(f"@{username} is taken", error="conflict")
                user.username = username
            self._apply_profile(user, changes)
            return user

    @staticmethod
    def _apply_profile(user: XUser, profile: dict) -> None:
        text_fields = {
            "name",
            "profile_image_url",
            "description",
            "location",
            "url",
            "verified_type",
        }
        for key, value in profile.items():
            is_text = key in text_fields and isinstance(value, str)
            if is_text or (key in {"protected", "verified"} and isinstance(value, bool)):
                setattr(user, key, value)
            elif key == "created_at" and isinstance(value, str):
                user.created_at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            else:
                raise EmulatorError(f"cannot set {key!r} to {value!r}")

    def delete_user(self, user_id: str) -> XUser:
        """The account is gone from X: its tokens stop working, its follows go with it."""
        with self.lock:
            user = self.users.pop(user_id)
            self.revoke_user_tokens(user_id)
            self._forget_follows_of(user_id)
            return user

    def all_users(self) -> list[XUser]:
        with self.lock:
            return list(self.users.values())

    def user_by_username(self, username: str) -> XUser | None:
        wanted = username.lower()
        return next((u for u in self.all_users() if u.username.lower() == wanted), None)

    def _user_ids_by_username(self) -> dict[str, str]:
        return {u.username.casefold(): u.id for u in self.users.values()}

    # --- OAuth 2.0 -----------------------------------------------------------------

    def bearer_token_is(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.config.bearer_token.encode())

    def client_is(self, client_id: str, client_secret: str | None = None) -> bool:
        config = self.config
        ok = hmac.compare_digest(client_id.encode(), config.client_id.encode())
        if client_secret is not None:
            ok &= hmac.compare_digest(client_secret.encode(), config.client_secret.encode())
        return ok

    def redirect_uri_allowed(self, redirect_uri: str) -> bool:
        return not self.config.redirect_uris or redirect_uri in self.config.redirect_uris

    def rate_limit_hit(self, key: tuple, *, limit: int, window_seconds: int) -> tuple[int, int]:
        """Count one request against `key`; return (remaining, reset epoch seconds)."""
        with self.lock:
            window_start, used = self._rate_window(key, window_seconds)
            used += 1
            self._rate_windows[key] = (window_start, used)
            return limit - used, math.ceil(window_start + window_seconds)

    def rate_limit_status(self, key: tuple, *, limit: int, window_seconds: int) -> tuple[int, int]:
        """(remaining, reset) for `key` without counting a request."""
        with self.lock:
            window_start, used = self._rate_window(key, window_seconds)
            return limit - used, math.ceil(window_start + window_seconds)

    def _rate_window(self, key: tuple, window_seconds: int) -> tuple[float, int]:
        now = self.now()
        window_start, used = self._rate_windows.get(key, (now, 0))
        if now >= window_start + window_seconds:
            return now, 0
        return window_start, used

    def search_rate_limit(self) -> dict:
        """The app's recent-search budget as the next response's headers would show it."""
        with self.lock:
            config = self.config
            remaining, reset = self.rate_limit_status(
                SEARCH_APP_BUDGET,
                limit=config.search_rate_limit,
                window_seconds=config.search_rate_window_seconds,
            )
            return {
                "limit": config.search_rate_limit,
                "remaining": max(remaining, 0),
                "reset": reset,
                "window_seconds": config.search_rate_window_seconds,
            }

    def set_search_rate_limit(
        self,
        *,
        limit: int | None = None,
        window_seconds: int | None = None,
        remaining: int | None = None,
        reset_in_seconds: float | None = None,
    ) -> dict:
        """Change the app's recent-search budget: its size, what is left of the current
        window, and when that window ends."""
        changes = {}
        if limit is not None:
            changes["search_rate_limit"] = limit
        if window_seconds is not None:
            changes["search_rate_window_seconds"] = window_seconds
        with self.lock:
            config = self.configure(**changes)
            window = config.search_rate_window_seconds
            window_start, used = self._rate_window(SEARCH_APP_BUDGET, window)
            if remaining is not None:
                if not 0 <= remaining <= config.search_rate_limit:
                    raise EmulatorError("remaining must be between 0 and the limit")
                used = config.search_rate_limit - remaining
            if reset_in_seconds is not None:
                if not 0 < reset_in_seconds <= window:
                    raise EmulatorError("reset_in_seconds must be more than 0, at most the window")
                window_start = self.now() + reset_in_seconds - window
            self._rate_windows[SEARCH_APP_BUDGET] = (window_start, used)
            return self.search_rate_limit()

    # --- faults and the request log --------------------------------------------------

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.request_log.append(entry)

    def logged_requests(self) -> list[dict]:
        with self.lock:
            return list(self.request_log)

    def clear_request_log(self) -> None:
        with self.lock:
            self.request_log.clear()
