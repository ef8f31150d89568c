"""Sharing the monthly budget of posts read, so one busy hashtag can't stop every wall.

- Tweetups happening now (polled every cycle: from a day before they start to a day after
  they end) are "live" and read first.
- Each tweetup reads at most X_SYNC_TWEETUP_POSTS_PER_CYCLE posts a cycle, and at most
  X_SYNC_TWEETUP_DAILY_SHARE of the monthly budget a UTC day. A read that reaches either
  stops with its cursor stored, and goes on from there later: nothing is skipped.
- The rest of the month's budget is spread over the days left: once the site has read
  today's part, tweetups that are not live wait for tomorrow; live ones go on.

A held-back tweetup says so on its organizer's panel, with when it goes on and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Sum

from events.models import SYNC_AFTER_END, HashtagSync, Tweetup
from events.sync.policy import PAGE_MIN, budget_used, next_month


def is_live(tweetup: Tweetup, now: datetime) -> bool:
    """Happening now: within a day of its start, under way, or ended less than a day ago."""
    return tweetup.starts_at - timedelta(days=1) <= now < tweetup.ends_at + SYNC_AFTER_END


def today(now: datetime) -> date:
    return now.astimezone(UTC).date()


def next_day(now: datetime) -> datetime:
    """The next UTC midnight: when daily shares start again."""
    day = today(now) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def daily_cap() -> int:
    """Posts one tweetup may read in a UTC day: its share of the monthly budget."""
    share = settings.X_MONTHLY_POST_READ_BUDGET * settings.X_SYNC_TWEETUP_DAILY_SHARE
    return max(10, math.floor(share))


def read_today(sync: HashtagSync, now: datetime) -> int:
    return sync.posts_read_on_day if sync.read_on == today(now) else 0


def site_read_today(now: datetime) -> int:
    """Posts read for tweetups today (a post on two walls counts twice: a fair gauge)."""
    total = HashtagSync.objects.filter(read_on=today(now)).aggregate(n=Sum("posts_read_on_day"))
    return total["n"] or 0


def site_daily_part(now: datetime) -> int:
    """Today's part of the month's budget: what was left this morning over the days left."""
    first_next = next_month(now)
    days_left = (first_next - today(now)).days
    left_this_morning = (
        settings.X_MONTHLY_POST_READ_BUDGET - budget_used(now) + site_read_today(now)
    )
    return max(0, left_this_morning) // max(days_left, 1)


@dataclass
class Shares:
    """What each tweetup of a run may still read: per cycle, per day, and whether the site's
    daily part lets tweetups that are not live read at all."""

    now: datetime
    spread_used_up: bool = False
    cycle: dict[int, int] = field(default_factory=dict)  # posts read this cycle
    day: dict[int, int] = field(default_factory=dict)  # posts read today, from the rows

    @classmethod
    def for_run(cls, now: datetime) -> Shares:
        spread = settings.X_SYNC_SPREAD_BUDGET
        return cls(now=now, spread_used_up=spread and site_read_today(now) >= site_daily_part(now))

    def left(self, tweetup: Tweetup, sync: HashtagSync) -> int:
        """Posts this tweetup may still read in this run."""
        day = self.day.setdefault(tweetup.pk, read_today(sync, self.now))
        cycle = self.cycle.get(tweetup.pk, 0)
        return min(settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE - cycle, daily_cap() - day)

    def held_back(self, tweetup: Tweetup, sync: HashtagSync) -> bool:
        """Not to be read now: its share is used up, or the site's daily part is (not live)."""
        if self.spread_used_up and not is_live(tweetup, self.now):
            return True
        return self.left(tweetup, sync) < PAGE_MIN

    def add(self, tweetup_id: int, posts: int) -> None:
        self.cycle[tweetup_id] = self.cycle.get(tweetup_id, 0) + posts
        self.day[tweetup_id] = self.day.get(tweetup_id, 0) + posts

    def why(self, tweetup: Tweetup) -> tuple[str, datetime | None]:
        """Why the tweetup waits, for its organizer, and when it goes on (None: at its
        next sync, as usual)."""
        cycle_cap = settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE
        if self.day.get(tweetup.pk, 0) > daily_cap() - PAGE_MIN:
            return (
                f"this tweetup has read its share of posts from X for today ({daily_cap():,}), "
                "so one busy hashtag can't use up the site's monthly budget and stop the "
                "other walls. Posts made meanwhile are read then, none are skipped.",
                next_day(self.now),
            )
        if self.cycle.get(tweetup.pk, 0) > cycle_cap - PAGE_MIN:
            return (
                f"#{tweetup.hashtag} has more posts than one sync reads for a tweetup "
                f"({cycle_cap:,}); the rest come in over the next syncs, none are skipped.",
                None,
            )
        return (
            "the site spreads its monthly budget of posts read from X over the month, and "
            "today's part is used up; tweetups happening now come first. Posts made "
            "meanwhile are read then, none are skipped.",
            next_day(self.now),
        )
