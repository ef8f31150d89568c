"""A tweetup's sync state told in plain words: why X (or the budget, or its share of it)
stopped a read, and when it goes on. The caller holds the tweetups' sync locks."""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings

from events.models import HashtagSync, Tweetup
from events.sync.errors import XAuthFailed, XRateLimited, XSearchError
from events.sync.fairness import Shares
from events.sync.policy import BudgetExhausted, failing_retry_at, next_sync_at

# One logger for the package: log lines read "events.sync" whichever module wrote them.
logger = logging.getLogger("events.sync")

Member = tuple[Tweetup, HashtagSync]


def local_time(moment: datetime, tweetup: Tweetup) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(tweetup.city.timezone))
    return f"{local:%H:%M} {local.tzname()}"


def mark(
    members: list[Member],
    *,
    now: datetime,
    message: Callable[[Tweetup], str],
    status: str | None = None,
    next_at: Callable[[Tweetup, HashtagSync], datetime] | datetime | None = None,
) -> None:
    """Record a problem (or a wait) on the tweetups' sync state."""
    by_change: dict[tuple, list[int]] = defaultdict(list)
    for tweetup, sync in members:
        when = next_at(tweetup, sync) if callable(next_at) else next_at
        by_change[(message(tweetup), when)].append(sync.pk)
    for (text, when), pks in by_change.items():
        changes = {"last_error": text, "error_at": now}
        if status is not None:
            changes["status"] = status
        if when is not None:
            changes["next_sync_at"] = when
        HashtagSync.objects.filter(pk__in=pks).update(**changes)


def mark_failing(members: list[Member], *, now: datetime, message: str) -> dict[int, datetime]:
    """X refused the search: try again soon, then less and less often. Returns when, by id."""
    retry = {t.pk: failing_retry_at(sync, now) for t, sync in members}
    mark(
        members,
        now=now,
        status=HashtagSync.Status.FAILING,
        next_at=lambda t, _sync: retry[t.pk],
        message=lambda t: f"{message} Trying again at {local_time(retry[t.pk], t)}.",
    )
    return retry


def mark_held_back(members: list[Member], *, shares: Shares, now: datetime) -> None:
    """The tweetups read their share (or the site its daily part): say why, and until when."""
    for tweetup, sync in members:
        reason, until = shares.why(tweetup)
        when = until or next_sync_at(tweetup, now)
        prefix = "Catching up" if until is None else f"Held back until {local_time(when, tweetup)}"
        mark(
            [(tweetup, sync)],
            now=now,
            status=HashtagSync.Status.HELD_BACK,
            next_at=when,
            message=lambda _t, text=f"{prefix}: {reason}": text,
        )


def mark_stop(members: list[Member], exc: XSearchError, now: datetime) -> dict[int, datetime]:
    """Put the reason X (or the budget) stopped the reads on each tweetup's sync state;
    for refused credentials, when each is tried again."""
    if isinstance(exc, XRateLimited):
        mark(
            members,
            now=now,
            status=HashtagSync.Status.RATE_LIMITED,
            next_at=exc.retry_at,
            message=lambda t: f"X rate limit reached, retrying at {local_time(exc.retry_at, t)}.",
        )
    elif isinstance(exc, XAuthFailed):
        logger.error("Hashtag sync stopped: %s", exc)
        return mark_failing(
            members,
            now=now,
            message=(
                "X refused the site's access to its API, so no posts can be fetched. If it "
                "goes on, the site's operators need to renew its X credentials."
            ),
        )
    elif isinstance(exc, BudgetExhausted):
        resumes = exc.resumes_on
        budget = settings.X_MONTHLY_POST_READ_BUDGET
        mark(
            members,
            now=now,
            status=HashtagSync.Status.BUDGET_EXHAUSTED,
            next_at=datetime(resumes.year, resumes.month, resumes.day, tzinfo=UTC),
            message=lambda t: (
                f"This month's budget of {budget:,} posts read from X is used up; "
                f"syncing resumes on {resumes:%-d %B}."
            ),
        )
    return {}


def data_problem(tweetup: Tweetup, exc: Exception) -> str:
    if isinstance(exc, OverflowError):
        return (
            f"This tweetup's dates ({tweetup.starts_at:%-d %B %Y} to {tweetup.ends_at:%-d %B %Y})"
            " are too far out for the sync to work with, so its wall is not being filled. "
            "Correct the dates and the sync picks it up again."
        )
    return (
        "The sync could not work with this tweetup's data, so its wall is not being filled. "
        "The site's operators have been told."
    )


def mark_bad_data(member: Member, exc: Exception, now: datetime) -> None:
    """Data the sync can't work with won't fix itself in seconds: the long wait."""
    mark(
        [member],
        now=now,
        status=HashtagSync.Status.FAILING,
        next_at=now + timedelta(seconds=settings.X_SYNC_FAILING_RETRY_SECONDS),
        message=lambda t: data_problem(t, exc),
    )
