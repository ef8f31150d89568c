"""When a tweetup is read and how far: polling tiers, the read ceiling, X's 7-day search
window, and the monthly budget of posts read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from events.models import HashtagSync, PostReadUsage, Tweetup
from events.sync.errors import XSearchError

SEARCH_WINDOW = timedelta(days=7)
# X ids are snowflakes: milliseconds since X's epoch, shifted left 22 bits.
X_EPOCH_MS = 1288834974657
# X refuses a since_id older than its 7-day window. One nearly that old is moved up to the
# window's edge, with this much room for the read to finish before the edge overtakes it.
WINDOW_EDGE_MARGIN = timedelta(minutes=15)
PAGE_MAX = 100
PAGE_MIN = 10


class BudgetExhausted(XSearchError):
    def __init__(self, resumes_on: date):
        super().__init__("monthly post budget reached")
        self.resumes_on = resumes_on


def cycle_interval() -> timedelta:
    return timedelta(seconds=settings.X_SYNC_INTERVAL_SECONDS)


def read_ceiling(now: datetime) -> int:
    """The until_id of a cycle starting at `now`: posts made before the settle time."""
    return first_id_at(now - timedelta(seconds=settings.X_SEARCH_SETTLE_SECONDS))


def due_horizon(now: datetime) -> datetime:
    """A tweetup is due when its next sync is before this: a little early beats a cycle late."""
    return now + cycle_interval() * 0.9


def next_sync_at(tweetup: Tweetup, now: datetime) -> datetime:
    """Every cycle from a day before the start; hourly a week out; every 6 hours before.

    The slower tiers run on a clock grid (on the hour, every 6 hours from midnight UTC), so
    the tweetups in a tier come due in the same cycle and share queries.
    """
    day_before = tweetup.starts_at - timedelta(days=1)
    if now >= day_before:
        return now + cycle_interval()
    week_before = tweetup.starts_at - timedelta(days=7)
    if now >= week_before:
        interval, boundary = settings.X_SYNC_NEAR_INTERVAL_SECONDS, day_before
    else:
        interval, boundary = settings.X_SYNC_FAR_INTERVAL_SECONDS, week_before
    grid = (int(now.timestamp()) // interval + 1) * interval
    return min(datetime.fromtimestamp(grid, UTC), boundary)


def first_id_at(moment: datetime) -> int:
    """The smallest X id a post made at `moment` can have."""
    return max(int(moment.timestamp() * 1000) - X_EPOCH_MS, 0) << 22


def within_window(sync: HashtagSync, now: datetime) -> None:
    """Move a read state older than X's search window up to its edge (in memory).

    Posts older than the window can't be searched any more, and X refuses such a since_id.
    """
    edge = first_id_at(now - SEARCH_WINDOW + WINDOW_EDGE_MARGIN)
    if sync.pending_until_id is not None and sync.pending_until_id <= edge:
        sync.since_id = sync.pending_newest_id  # the unread gap has left the window
        sync.pending_until_id = sync.pending_newest_id = None
    if sync.since_id is not None and sync.since_id < edge:
        sync.since_id = edge


def _month_start(now: datetime) -> date:
    return now.date().replace(day=1)


def next_month(now: datetime) -> date:
    first = _month_start(now)
    return (first + timedelta(days=32)).replace(day=1)


def budget_remaining(now: datetime | None = None) -> int:
    """Posts X may still send this month before polling stops."""
    now = now or timezone.now()
    used = (
        PostReadUsage.objects.filter(month=_month_start(now))
        .values_list("posts_read", flat=True)
        .first()
    )
    return settings.X_MONTHLY_POST_READ_BUDGET - (used or 0)


def count_reads(posts: int, now: datetime) -> None:
    """Add a request's posts to the month's count, committed at once: X has billed them."""
    month = _month_start(now)
    changes = {"posts_read": F("posts_read") + posts, "requests": F("requests") + 1}
    if not PostReadUsage.objects.filter(month=month).update(**changes):
        PostReadUsage.objects.get_or_create(month=month)
        PostReadUsage.objects.filter(month=month).update(**changes)


def page_size(now: datetime) -> int:
    remaining = budget_remaining(now)
    if remaining <= 0:
        raise BudgetExhausted(next_month(now))
    # A page may carry up to max_results posts: ask for no more than the budget has left.
    return max(PAGE_MIN, min(PAGE_MAX, remaining))
