"""When a tweetup is read and how far: polling tiers, the read ceiling, X's 7-day search
window, and the monthly budget of posts read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from events.models import HashtagSync, PostReadUsage, Tweet, Tweetup
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


def query_since_id(since_id: int | None, now: datetime) -> int | None:
    """The since_id to ask X for: the read state less an overlap.

    X's index can show a post some seconds (rarely minutes) after it was made, by when a
    cycle may have moved past its id. Each read goes back X_SEARCH_OVERLAP_SECONDS behind
    the read state, so a post indexed that late is still found; posts read again are
    stored once, and X bills a post once per UTC day.
    """
    if since_id is None:
        return None
    overlap = (settings.X_SEARCH_OVERLAP_SECONDS * 1000) << 22
    edge = first_id_at(now - SEARCH_WINDOW + WINDOW_EDGE_MARGIN)
    return max(since_id - overlap, min(since_id, edge))


def failing_retry_at(sync: HashtagSync, now: datetime) -> datetime:
    """When to try a failing tweetup again: soon at first, then twice as long each time X
    refuses again, up to X_SYNC_FAILING_RETRY_SECONDS."""
    shortest = settings.X_SYNC_FAILING_RETRY_MIN_SECONDS
    longest = settings.X_SYNC_FAILING_RETRY_SECONDS
    delay = shortest
    if sync.status == HashtagSync.Status.FAILING and sync.error_at and sync.next_sync_at:
        previous = (sync.next_sync_at - sync.error_at).total_seconds()
        delay = max(shortest, min(longest, previous * 2))
    return now + timedelta(seconds=delay)


def _month_start(now: datetime) -> date:
    return now.date().replace(day=1)


def next_month(now: datetime) -> date:
    first = _month_start(now)
    return (first + timedelta(days=32)).replace(day=1)


def budget_used(now: datetime) -> int:
    """Posts billed this month."""
    used = (
        PostReadUsage.objects.filter(month=_month_start(now))
        .values_list("posts_read", flat=True)
        .first()
    )
    return used or 0


def budget_remaining(now: datetime | None = None) -> int:
    """Posts X may still send this month before polling stops."""
    return settings.X_MONTHLY_POST_READ_BUDGET - budget_used(now or timezone.now())


def read_already_today(post_ids: list[int], now: datetime) -> set[int]:
    """The posts among these read (and stored) already this UTC day: X bills a post once a
    day, so they cost nothing again. A post sent but not stored (malformed, say) is not
    among them and counts every time: never fewer than X bills."""
    if not post_ids:
        return set()
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    found = Tweet.objects.filter(x_id__in=post_ids, stored_at__gte=day_start)
    return set(found.values_list("x_id", flat=True))


def count_reads(posts: int, now: datetime) -> None:
    """Add a request's billed posts to the month's count, committed at once."""
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
