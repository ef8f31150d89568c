"""Everything the emulator remembers: the app, users, grants, tokens, posts, faults and a
request log.

One `EmulatorState` per server, guarded by one lock. The HTTP layer (`oauth.py`, `users.py`,
`search.py`, `control.py`) reads and changes it only through these methods.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from xemulator.accounts import XUser
from xemulator.demo import DEMO_USERS
from xemulator.errors import EmulatorError
from xemulator.graph import FollowsMixin
from xemulator.posts import SEARCH_APP_BUDGET, PostsMixin
from xemulator.tweets import TweetStore

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
USER_ID_RE = re.compile(r"^[0-9]{1,19}$")
FAULT_KINDS = ("status", "malformed", "slow", "json", "headers", "truncated", "trickle")
FIRST_NEW_USER_ID = 1900000000000000001

# X's own wording; the clients only show or log them.
INVALID_CODE = "Value passed for the authorization code was invalid."
INVALID_REFRESH_TOKEN = "Value passed for the token was invalid."
REDIRECT_URI_MISMATCH = (
    "Value passed for the redirect uri did not match the uri of the authorization code."
)
PKCE_MISMATCH = "Value passed for the code verifier did not match the code challenge."


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


@dataclass(frozen=True)
class ConsentRequest:
    """An authorize call waiting on the consent screen."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str
    created_at: float


@dataclass
class Grant:
    """What an authorization code, access token or refresh token stands for."""

    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float | None = None


@dataclass
class AuthorizationCode:
    grant: Grant
    redirect_uri: str
    code_challenge: str
    used: bool = False
    issued_tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    refresh_token: str | None

    def as_json(self) -> dict:
        data = {
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "access_token": self.access_token,
            "scope": " ".join(self.scopes),
        }
        if self.refresh_token:
            data["refresh_token"] = self.refresh_token
        return data


@dataclass
class Fault:
    path: str
    kind: str = "status"
    remaining: int = 1
    status: int | None = None  # "status" faults default to 503, "json" ones to 200
    delay_seconds: float = 0.0
    body: object = None
    # For a 429: when x-rate-limit-reset says the budget comes back, in seconds from now.
    reset_seconds: float | None = None
    # Response headers to send as given, over the usual ones (a malformed rate-limit header).
    headers: dict[str, str] = field(default_factory=dict)
    # Only requests whose `query` parameter contains this (case-insensitive) are hit: X
    # refusing one hashtag, say.
    query_contains: str | None = None
    # Let this many matching requests through before the fault starts (a 400 on page 2).
    after: int = 0

    def as_json(self) -> dict:
        return asdict(self)


def s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class EmulatorState(PostsMixin, FollowsMixin):
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

    def open_consent(
        self, *, client_id, redirect_uri, scopes, state, code_challenge
    ) -> ConsentRequest:
        with self.lock:
            self._forget_expired_consents()
            consent = ConsentRequest(
                id=secrets.token_urlsafe(16),
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=tuple(scopes),
                state=state,
                code_challenge=code_challenge,
                created_at=self.now(),
            )
            self.consent_requests[consent.id] = consent
            return consent

    def consent(self, consent_id: str) -> ConsentRequest | None:
        with self.lock:
            self._forget_expired_consents()
            return self.consent_requests.get(consent_id)

    def close_consent(self, consent_id: str) -> ConsentRequest | None:
        """Take the consent request off the table; None if it was already answered or expired."""
        with self.lock:
            self._forget_expired_consents()
            return self.consent_requests.pop(consent_id, None)

    def _forget_expired_consents(self) -> None:
        cutoff = self.now() - self.config.consent_ttl_seconds
        for consent_id in [c.id for c in self.consent_requests.values() if c.created_at < cutoff]:
            del self.consent_requests[consent_id]

    def issue_code(self, consent: ConsentRequest, user: XUser) -> str:
        with self.lock:
            code = secrets.token_urlsafe(32)
            self.codes[code] = AuthorizationCode(
                grant=Grant(
                    user_id=user.id,
                    client_id=consent.client_id,
                    scopes=consent.scopes,
                    expires_at=self.now() + self.config.code_ttl_seconds,
                ),
                redirect_uri=consent.redirect_uri,
                code_challenge=consent.code_challenge,
            )
            return code

    def redeem_code(
        self, *, code: str, client_id: str, redirect_uri: str, code_verifier: str
    ) -> TokenSet:
        with self.lock:
            record = self.codes.get(code)
            if record is None or record.grant.client_id != client_id:
                raise EmulatorError(INVALID_CODE)
            if record.used:
                # A replayed code means it leaked: revoke what it bought (RFC 6749, 4.1.2).
                for token in record.issued_tokens:
                    self.access_tokens.pop(token, None)
                    self.refresh_tokens.pop(token, None)
                raise EmulatorError(INVALID_CODE)
            if self.now() > record.grant.expires_at:
                del self.codes[code]
                raise EmulatorError(INVALID_CODE)
            if redirect_uri != record.redirect_uri:
                raise EmulatorError(REDIRECT_URI_MISMATCH)
            if not hmac.compare_digest(s256(code_verifier), record.code_challenge):
                raise EmulatorError(PKCE_MISMATCH)
            record.used = True
            tokens = self._issue_tokens(record.grant)
            record.issued_tokens += [tokens.access_token, tokens.refresh_token or ""]
            return tokens

    def redeem_refresh_token(self, *, refresh_token: str, client_id: str) -> TokenSet:
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant.client_id != client_id:
                raise EmulatorError(INVALID_REFRESH_TOKEN)
            # X rotates refresh tokens: each one works once.
            del self.refresh_tokens[refresh_token]
            return self._issue_tokens(grant)

    def _issue_tokens(self, grant: Grant) -> TokenSet:
        ttl = self.config.access_token_ttl_seconds
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = replace(grant, expires_at=self.now() + ttl)
        refresh_token = None
        if "offline.access" in grant.scopes:
            refresh_token = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh_token] = replace(grant, expires_at=None)
        return TokenSet(access_token, ttl, grant.scopes, refresh_token)

    def revoke_token(self, token: str, client_id: str) -> None:
        """POST /2/oauth2/revoke: forget one access or refresh token of this client's."""
        with self.lock:
            for tokens in (self.access_tokens, self.refresh_tokens):
                grant = tokens.get(token)
                if grant is not None and grant.client_id == client_id:
                    del tokens[token]

    def revoke_user_tokens(self, user_id: str) -> int:
        """The person took the app's access away on X: every token they granted stops
        working. Returns how many there were."""
        with self.lock:
            revoked = 0
            for tokens in (self.access_tokens, self.refresh_tokens):
                for token in [t for t, grant in tokens.items() if grant.user_id == user_id]:
                    del tokens[token]
                    revoked += 1
            return revoked

    def grant_for_access_token(self, access_token: str) -> tuple[Grant, XUser] | None:
        """The live grant behind a bearer token and its user; None for an unknown or old one."""
        with self.lock:
            grant = self.access_tokens.get(access_token)
            if grant is None or self.now() > grant.expires_at:
                return None
            user = self.users.get(grant.user_id)
            return (grant, user) if user else None

    # --- rate limits ---------------------------------------------------------------

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

    def add_fault(self, fault: Fault) -> Fault:
        if fault.reset_seconds is not None and fault.reset_seconds < 0:
            raise EmulatorError("reset_seconds must be 0 or more")
        if fault.kind not in FAULT_KINDS:
            raise EmulatorError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if fault.after < 0:
            raise EmulatorError("after must be 0 or more")
        if not fault.path.startswith("/") or fault.remaining < 1:
            raise EmulatorError("path must start with / and count must be at least 1")
        if fault.after < 0:
            raise EmulatorError("after must be 0 or more")
        if fault.kind == "status" and not 400 <= (fault.status or 503) <= 599:
            raise EmulatorError("status must be 4xx or 5xx")
        if fault.status is not None and not 200 <= fault.status <= 599:
            raise EmulatorError("status must be between 200 and 599")
        with self.lock:
            self.faults.append(fault)
            return fault

    def take_fault(self, path: str, query: str = "") -> Fault | None:
        """The next fault armed for `path` (and a request `query` containing its
        `query_contains`), counted down by one; None when there is none."""
        with self.lock:
            for fault in self.faults:
                wanted = fault.query_contains
                if fault.path == path and (wanted is None or wanted.casefold() in query.casefold()):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return replace(fault)
            return None

    def armed_faults(self) -> list[Fault]:
        with self.lock:
            return [replace(f) for f in self.faults]

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.request_log.append(entry)

    def logged_requests(self) -> list[dict]:
        with self.lock:
            return list(self.request_log)

    def clear_request_log(self) -> None:
        with self.lock:
            self.request_log.clear()
