"""Reading a batch of tweetups: each query read page by page up to the batch's ceiling,
and any problem put on the tweetups' sync state in plain words."""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from events.models import SYNC_AFTER_END, HashtagSync, Tweetup
from events.sync.errors import (
    DeadlineReached,
    XAuthFailed,
    XRateLimited,
    XRequestRejected,
    XSearchError,
    XTransientError,
)
from events.sync.locks import tweetup_sync_locks
from events.sync.parsing import hashtag_key
from events.sync.planning import ensure_sync_rows, pack_queries
from events.sync.policy import (
    BudgetExhausted,
    count_reads,
    due_horizon,
    next_sync_at,
    page_size,
    read_ceiling,
    within_window,
)
from events.sync.storing import store_page
from events.sync.wall import wall_keep_hashtag
from events.sync.x_client import RateBudget, search_page, search_query, x_client

# One logger for the package: log lines read "events.sync" whichever module wrote them.
logger = logging.getLogger("events.sync")

Progress = Callable[[str], None]


# --- Reports ----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    requests: int = 0
    posts_read: int = 0
    posts_skipped: int = 0  # malformed
    links_added: int = 0
    synced: set[int] = field(default_factory=set)
    skipped: set[int] = field(default_factory=set)  # locked by another run, or nothing to do
    bad_data: set[int] = field(default_factory=set)  # data the sync can't work with
    carried_over: set[int] = field(default_factory=set)  # not reached in the cycle's time
    rate_limited_until: datetime | None = None
    auth_failed: bool = False
    budget_exhausted: bool = False

    @property
    def stopped(self) -> bool:
        """X (or the budget) won't take more requests now: the cycle stops asking."""
        return bool(self.rate_limited_until or self.auth_failed or self.budget_exhausted)

    def add(self, other: SyncReport) -> None:
        self.requests += other.requests
        self.posts_read += other.posts_read
        self.posts_skipped += other.posts_skipped
        self.links_added += other.links_added
        self.synced |= other.synced
        self.skipped |= other.skipped
        self.bad_data |= other.bad_data
        self.carried_over |= other.carried_over
        self.rate_limited_until = self.rate_limited_until or other.rate_limited_until
        self.auth_failed |= other.auth_failed
        self.budget_exhausted |= other.budget_exhausted


# --- Reading ----------------------------------------------------------------------------------


def _local_time(moment: datetime, tweetup: Tweetup) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(tweetup.city.timezone))
    return f"{local:%H:%M} {local.tzname()}"


def _mark(
    members: list[tuple[Tweetup, HashtagSync]],
    *,
    now: datetime,
    message: Callable[[Tweetup], str],
    status: str | None = None,
    next_at: datetime | None = None,
) -> None:
    """Record a problem on tweetups whose locks the caller holds."""
    by_message: dict[str, list[int]] = defaultdict(list)
    for tweetup, sync in members:
        by_message[message(tweetup)].append(sync.pk)
    for text, pks in by_message.items():
        changes = {"last_error": text, "error_at": now}
        if status is not None:
            changes["status"] = status
        if next_at is not None:
            changes["next_sync_at"] = next_at
        HashtagSync.objects.filter(pk__in=pks).update(**changes)


def _mark_stop(
    report: SyncReport, members: list[tuple[Tweetup, HashtagSync]], exc: XSearchError, now
) -> None:
    """Put the reason X (or the budget) stopped the reads on each tweetup's sync state."""
    if isinstance(exc, XRateLimited):
        report.rate_limited_until = exc.retry_at
        _mark(
            members,
            now=now,
            status=HashtagSync.Status.RATE_LIMITED,
            next_at=exc.retry_at,
            message=lambda t: f"X rate limit reached, retrying at {_local_time(exc.retry_at, t)}.",
        )
    elif isinstance(exc, XAuthFailed):
        report.auth_failed = True
        logger.error("Hashtag sync stopped: %s", exc)
        _mark(
            members,
            now=now,
            status=HashtagSync.Status.FAILING,
            next_at=now + timedelta(seconds=settings.X_SYNC_FAILING_RETRY_SECONDS),
            message=lambda t: (
                "X refused the site's access to its API, so no posts can be fetched. "
                "The site's operators need to renew its X credentials."
            ),
        )
    elif isinstance(exc, BudgetExhausted):
        report.budget_exhausted = True
        resumes = exc.resumes_on
        budget = settings.X_MONTHLY_POST_READ_BUDGET
        _mark(
            members,
            now=now,
            status=HashtagSync.Status.BUDGET_EXHAUSTED,
            next_at=datetime(resumes.year, resumes.month, resumes.day, tzinfo=UTC),
            message=lambda t: (
                f"This month's budget of {budget:,} posts read from X is used up; "
                f"syncing resumes on {resumes:%-d %B}."
            ),
        )


def _read(
    client,
    members: list[tuple[Tweetup, HashtagSync]],
    *,
    until_id: int,
    now: datetime,
    report: SyncReport,
    rate_budget: RateBudget,
    progress: Progress | None,
) -> None:
    """Read one query's posts to the end of its range, a page (one transaction) at a time."""
    sync = members[0][1]
    since_id = sync.since_id
    if sync.pending_until_id is not None:  # finish the gap an earlier read left
        upper, target_id = sync.pending_until_id, sync.pending_newest_id
    else:
        upper, target_id = until_id, until_id - 1
    tags = list(dict.fromkeys(hashtag_key(t.hashtag) for t, _ in members))
    query = search_query(tags)
    next_token, pages, read, added = None, 0, 0, 0
    while True:
        page = search_page(
            client,
            query=query,
            since_id=since_id,
            until_id=upper,
            next_token=next_token,
            max_results=page_size(now),
            rate_budget=rate_budget,
            now=now,
        )
        count_reads(page.result_count, now)
        pages += 1
        read += page.result_count
        report.requests += 1
        report.posts_read += page.result_count
        report.posts_skipped += page.skipped
        done = page.next_token is None
        added += store_page(page, members, done=done, target_id=target_id, now=now)
        if done:
            break
        next_token = page.next_token
    report.links_added += added
    report.synced |= {t.pk for t, _ in members}
    if progress:
        shown = query if len(query) <= 70 else query[:67] + "…"
        progress(
            f"{shown}  [{len(members)} tweetup(s), since_id {since_id or '-'}, "
            f"until_id {upper}]: {pages} page(s), {read} post(s) read, {added} new"
        )


def _needs_read(
    tweetup: Tweetup, sync: HashtagSync, *, until_id: int, now: datetime, force: bool
) -> bool:
    if tweetup.status != Tweetup.Status.SCHEDULED or tweetup.ends_at + SYNC_AFTER_END <= now:
        return False
    due = (
        force
        or sync.next_sync_at is None
        or sync.next_sync_at <= due_horizon(now)
        or sync.status == HashtagSync.Status.BUDGET_EXHAUSTED  # the cycle found budget again
    )
    unread = sync.pending_until_id is not None or (sync.since_id or 0) < until_id - 1
    return due and unread


def _prepare(
    tweetup: Tweetup, sync: HashtagSync, *, until_id: int, now: datetime, force: bool
) -> bool:
    """Bring the tweetup's read state up to date; whether to read it now."""
    if hashtag_key(sync.hashtag) != hashtag_key(tweetup.hashtag):
        # The organizer changed the hashtag: read the new one from the start.
        sync.hashtag, sync.since_id = tweetup.hashtag, None
        sync.pending_until_id = sync.pending_newest_id = None
        sync.save(update_fields=["hashtag", "since_id", "pending_until_id", "pending_newest_id"])
        wall_keep_hashtag(tweetup=tweetup)  # again: a read of the old tag may have been in flight
    within_window(sync, now)
    if not _needs_read(tweetup, sync, until_id=until_id, now=now, force=force):
        return False
    next_sync_at(tweetup, now)  # storing a page needs it: a date it can't handle fails here
    return True


def _data_problem(tweetup: Tweetup, exc: Exception) -> str:
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


def sync_tweetups(
    *,
    tweetup_ids: list[int],
    until_id: int | None = None,
    force: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Read the tweetups' hashtags from X (up to `until_id`, exclusive; default: the read
    ceiling of `now`) onto their walls.

    Tweetups another run holds, not due (unless `force`), or read up to `until_id` already
    are skipped; so is a tweetup whose data the sync can't work with, marked failing.
    Rate limits, refused credentials and the post budget end the run with the state
    recorded (see the report); 5xx and timeouts raise XTransientError after recording it,
    for a retry.
    """
    now = now or timezone.now()
    until_id = until_id or read_ceiling(now)
    report = SyncReport()
    with tweetup_sync_locks(tweetup_ids) as locked:
        report.skipped |= set(tweetup_ids) - set(locked)
        if not locked:
            return report
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = ensure_sync_rows(tweetups)
        work = []
        for tweetup in tweetups:
            sync = syncs[tweetup.pk]
            try:
                wanted = _prepare(tweetup, sync, until_id=until_id, now=now, force=force)
            except Exception as exc:  # one tweetup's bad data must not stop the others
                logger.exception("Hashtag sync can't work with tweetup %s", tweetup.pk)
                _mark(
                    [(tweetup, sync)],
                    now=now,
                    status=HashtagSync.Status.FAILING,
                    next_at=now + timedelta(seconds=settings.X_SYNC_FAILING_RETRY_SECONDS),
                    message=lambda t, exc=exc: _data_problem(t, exc),
                )
                report.bad_data.add(tweetup.pk)
                continue
            if wanted:
                work.append((tweetup, sync))
            else:
                report.skipped.add(tweetup.pk)

        client, rate_budget = x_client(), RateBudget()
        queries = pack_queries(work)
        for index, members in enumerate(queries):
            try:
                _read(
                    client,
                    members,
                    until_id=until_id,
                    now=now,
                    report=report,
                    rate_budget=rate_budget,
                    progress=progress,
                )
            except DeadlineReached:
                # Pages read so far are stored with their cursor; the rest is the next cycle's.
                report.carried_over |= {t.pk for chunk in queries[index:] for t, _ in chunk}
                if progress:
                    progress("the cycle's time is up: the rest is left for the next cycle")
                break
            except (XRateLimited, XAuthFailed, BudgetExhausted) as exc:
                # Nothing more will get through now: every query left waits.
                left = [member for chunk in queries[index:] for member in chunk]
                _mark_stop(report, left, exc, now)
                if progress:
                    progress(f"stopped: {exc}")
                break
            except XRequestRejected as exc:
                logger.error("X rejected the search for %s: %s", [t.pk for t, _ in members], exc)
                _mark(
                    members,
                    now=now,
                    status=HashtagSync.Status.FAILING,
                    next_at=now + timedelta(seconds=settings.X_SYNC_FAILING_RETRY_SECONDS),
                    message=lambda t, exc=exc: f"{exc}.",
                )
            except XTransientError as exc:
                logger.warning("Hashtag sync: %s", exc)
                _mark(members, now=now, message=lambda t, exc=exc: f"{exc}; retrying shortly.")
                raise
    return report


def sync_failed(*, tweetup_ids: list[int], error: str) -> None:
    """Retries ran out on X's errors: say so on the tweetups' state; the next cycle tries again."""
    now = timezone.now()
    with tweetup_sync_locks(tweetup_ids) as locked:
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = ensure_sync_rows(tweetups)
        _mark(
            [(t, syncs[t.pk]) for t in tweetups],
            now=now,
            status=HashtagSync.Status.FAILING,
            next_at=now,
            message=lambda t: f"{error}; gave up for now and will try again at the next sync.",
        )


def sync_stopped(*, tweetup_ids: list[int], reason: XSearchError, now: datetime) -> None:
    """X (or the budget) stopped the cycle before these tweetups were read: say why."""
    with tweetup_sync_locks(tweetup_ids) as locked:
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = ensure_sync_rows(tweetups)
        _mark_stop(SyncReport(), [(t, syncs[t.pk]) for t in tweetups], reason, now)
