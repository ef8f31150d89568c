"""Fixtures for the hashtag sync tests: the X emulator's recent search with posts on it, and
tweetups whose hashtags the sync reads.

- `x_search`: the X emulator (reset for the test) with the site pointed at it and a rate
  budget of the test's own; `x_search.post(...)`, `x_search.post_many(...)`,
  `x_search.requests()` (recent-search requests the emulator answered), `x_search.control`,
  `x_search.cycle_time()`: the moment to run the next sync cycle at, and
  `x_search.rewind()` for tests whose cycles run at the real time (tasks, workers).
- `sync_tweetup(hashtag, starts_in=...)`: a scheduled tweetup with that hashtag.
- `rescheduled`: the sync_batch tasks a test's sync asked to run again, as (args, options),
  recorded instead of queued.

And helpers to import: `wall(tweetup)`, the ids of the posts on its wall, newest first,
`state(tweetup)`, its HashtagSync row, and `statuses(x_search)`, the status codes recent
search answered, oldest first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from events import tasks
from events.models import HashtagSync, TweetupTweet
from tests.factories import TweetupFactory

SEARCH_PATH = "/2/tweets/search/recent"


def wall(tweetup) -> list[int]:
    return list(
        TweetupTweet.objects.filter(tweetup=tweetup)
        .order_by("-tweet_id")
        .values_list("tweet_id", flat=True)
    )


def state(tweetup) -> HashtagSync:
    return HashtagSync.objects.get(tweetup=tweetup)


def statuses(x_search) -> list[int]:
    return [r["status"] for r in x_search.requests()]


class XSearch:
    path = SEARCH_PATH

    def __init__(self, emulator):
        self.emulator = emulator
        self.control = emulator.control

    def post(self, text: str, username: str = "alice", **fields) -> dict:
        """One post on the emulator, as recent search returns it."""
        return self.control.post_tweet(username, text, **fields)

    def post_many(self, hashtag: str, count: int, *, username: str = "alice") -> list[int]:
        """`count` posts carrying #hashtag, made in order; their ids, oldest first."""
        specs = [{"username": username, "text": f"Post {i} #{hashtag}"} for i in range(count)]
        self.control.post_tweets(specs)
        ids = [int(t["id"]) for t in self.control.tweets() if f"#{hashtag}" in t["text"]]
        return sorted(ids)

    def cycle_time(self, *, after_seconds: float = 0) -> datetime:
        """When to run the next sync cycle: late enough that the posts so far are settled
        (X_SEARCH_SETTLE_SECONDS old), plus `after_seconds`. The emulator's clock moves there
        too, so posts made next come after the cycle, as they would in real time."""
        seconds = django_settings.X_SEARCH_SETTLE_SECONDS + 1 + after_seconds
        return datetime.fromtimestamp(self.control.advance_clock(seconds), UTC)

    def rewind(self) -> None:
        """Set the emulator's clock back past the settle time: posts made from now on are
        already settled for a cycle run at the real time (by a task or a worker). Make the
        posts before the first such cycle: X's clock is then behind ours, and a post made
        after a cycle would count as older than its ceiling."""
        self.control.advance_clock(-(django_settings.X_SEARCH_SETTLE_SECONDS + 5))

    def requests(self) -> list[dict]:
        """Recent-search requests the emulator answered, oldest first."""
        return self.control.requests(SEARCH_PATH)

    def fault(self, kind: str = "status", **options) -> dict:
        return self.control.add_fault(SEARCH_PATH, kind, **options)


@pytest.fixture
def x_search(x_emulator_settings, settings):
    # Its own keys for the shared rate budget, so a Redis run's counters don't leak.
    settings.X_RATE_BUDGET_KEY_PREFIX = f"test-x-rate:{uuid.uuid4().hex}"
    return XSearch(x_emulator_settings)


@pytest.fixture
def sync_tweetup(db, berlin):
    """Make a scheduled tweetup with the given hashtag, starting `starts_in` from now."""

    def make(hashtag: str, *, starts_in: timedelta = timedelta(hours=2), **fields):
        starts_at = timezone.now() + starts_in
        return TweetupFactory(
            city=berlin,
            hashtag=hashtag,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            **fields,
        )

    return make


@pytest.fixture
def rescheduled(monkeypatch):
    """sync_batch.apply_async calls, recorded instead of queued."""
    calls = []
    monkeypatch.setattr(
        tasks.sync_batch, "apply_async", lambda args, **options: calls.append((args, options))
    )
    return calls
