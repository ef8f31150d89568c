"""The errors the sync tells apart: each message is for the organizer, in plain words."""

from __future__ import annotations

from datetime import datetime


class XSearchError(Exception):
    """A search that did not go through; the message is for the organizer, in plain words."""


class XTransientError(XSearchError):
    """5xx, timeout, dropped connection or a cut-off body: worth retrying with backoff."""


class XUnreadableAnswer(XTransientError):
    """X answered 200 with a body that can't be read (cut off, not JSON): X has billed up
    to `billed` posts for it all the same."""

    def __init__(self, message: str, *, billed: int):
        super().__init__(message)
        self.billed = billed


class XRateLimited(XSearchError):
    """X's rate limit (or our share of it) is used up until `retry_at`."""

    def __init__(self, retry_at: datetime):
        super().__init__("X rate limit reached")
        self.retry_at = retry_at


class XAuthFailed(XSearchError):
    """X refused our credentials (401/403): retrying won't help until someone fixes them."""


class DeadlineReached(XSearchError):
    """The cycle's time is up: what it didn't reach is read by the next cycle."""

    def __init__(self):
        super().__init__("the cycle's time is up")


class XRequestRejected(XSearchError):
    """X said the request itself was wrong (400 and other 4xx)."""
