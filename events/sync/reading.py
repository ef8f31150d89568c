"""Reading a batch of tweetups: each query read page by page up to the batch's ceiling,
within each tweetup's share of the budget; a query X rejects is narrowed down to the
hashtag it rejects, and the others go on."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from events.models import SYNC_AFTER_END, HashtagSync, Tweetup
from events.sync.errors import (
    DeadlineReached,
    XAuthFailed,
    XRateLimited,
    XRequestRejected,
    XSearchError,
    XTransientError,
    XUnreadableAnswer,
)
from events.sync.fairness import Shares, is_live
from events.sync.locks import tweetup_sync_locks
from events.sync.marking import (
    Member,
    mark,
    mark_bad_data,
    mark_failing,
    mark_held_back,
    mark_stop,
)
from events.sync.parsing import SearchPage, hashtag_key
from events.sync.planning import ensure_sync_rows, pack_queries
from events.sync.policy import (
    PAGE_MIN,
    BudgetExhausted,
    count_reads,
    due_horizon,
    next_sync_at,
    page_size,
    query_since_id,
    read_already_today,
    read_ceiling,
    within_window,
)
from events.sync.storing import link_stored_posts, store_page
from events.sync.wall import wall_keep_hashtag
from events.sync.x_client import RateBudget, search_page, search_query, x_client

# One logger for the package: log lines read "events.sync" whichever module wrote them.
logger = logging.getLogger("events.sync")

Progress = Callable[[str], None]
CURSOR_FIELDS = ["since_id", "pending_until_id", "pending_newest_id"]


# --- Reports ----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    requests: int = 0
    posts_read: int = 0  # posts X sent
    posts_billed: int = 0  # what X bills for them: a post once per UTC day
    posts_skipped: int = 0  # malformed
    links_added: int = 0  # posts put on walls, whether the read finished or not
    synced: set[int] = field(default_factory=set)
    skipped: set[int] = field(default_factory=set)  # locked by another run, or nothing to do
    bad_data: set[int] = field(default_factory=set)  # data the sync can't work with
    held_back: set[int] = field(default_factory=set)  # their share of the budget is read
    failing: dict[int, datetime] = field(default_factory=dict)  # X refused: retry at
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
        self.posts_billed += other.posts_billed
        self.posts_skipped += other.posts_skipped
        self.links_added += other.links_added
        self.synced |= other.synced
        self.skipped |= other.skipped
        self.bad_data |= other.bad_data
        self.held_back |= other.held_back
        self.failing |= other.failing
        self.carried_over |= other.carried_over
        self.rate_limited_until = self.rate_limited_until or other.rate_limited_until
        self.auth_failed |= other.auth_failed
        self.budget_exhausted |= other.budget_exhausted

    def stop(self, exc: XSearchError) -> None:
        if isinstance(exc, XRateLimited):
            self.rate_limited_until = exc.retry_at
        elif isinstance(exc, XAuthFailed):
            self.auth_failed = True
        elif isinstance(exc, BudgetExhausted):
            self.budget_exhausted = True


# --- Reading ----------------------------------------------------------------------------------


def _attributed(page: SearchPage, members: list[Member], *, leave_out: set[int]) -> Counter[int]:
    """Posts of the page read for each tweetup: those carrying its hashtag."""
    by_tag: dict[str, list[int]] = defaultdict(list)
    for tweetup, _ in members:
        by_tag[hashtag_key(tweetup.hashtag)].append(tweetup.pk)
    return Counter(
        tweetup_id
        for post in page.posts
        if post.x_id not in leave_out
        for tag in post.hashtags
        for tweetup_id in by_tag.get(tag, ())
    )


def _read(
    client,
    members: list[Member],
    *,
    until_id: int,
    now: datetime,
    report: SyncReport,
    rate_budget: RateBudget,
    shares: Shares,
    progress: Progress | None,
) -> list[Member]:
    """Read one query's posts to the end of its range, a page (one transaction) at a time.

    Returns the members whose share ran out before the end (their cursor is stored).
    """
    sync = members[0][1]
    since_id = query_since_id(sync.since_id, now)
    if sync.pending_until_id is not None:  # finish the gap an earlier read left
        upper, target_id = sync.pending_until_id, sync.pending_newest_id
    else:
        upper, target_id = until_id, until_id - 1
    tags = list(dict.fromkeys(hashtag_key(t.hashtag) for t, _ in members))
    query = search_query(tags)
    next_token, pages, read, added, held = None, 0, 0, 0, []
    while True:
        budget_page = page_size(now)  # the month's budget, used up, stops every read
        # X's smallest page is PAGE_MIN posts: a tweetup with fewer left waits, so no
        # tweetup reads more than its share.
        allowance = min(shares.left(t, s) for t, s in members)
        if allowance < PAGE_MIN:
            held = [(t, s) for t, s in members if shares.left(t, s) < PAGE_MIN]
            break
        max_results = min(budget_page, allowance)
        try:
            page = search_page(
                client,
                query=query,
                since_id=since_id,
                until_id=upper,
                next_token=next_token,
                max_results=max_results,
                rate_budget=rate_budget,
                now=now,
            )
        except XUnreadableAnswer as exc:
            # X billed what it sent, read or not: never count fewer posts than X bills.
            count_reads(exc.billed, now)
            report.requests += 1
            report.posts_billed += exc.billed
            raise
        again = read_already_today([p.x_id for p in page.posts], now)
        billed = max(page.result_count - len(again), 0)
        count_reads(billed, now)
        pages += 1
        read += page.result_count
        report.requests += 1
        report.posts_read += page.result_count
        report.posts_billed += billed
        report.posts_skipped += page.skipped
        reads = _attributed(page, members, leave_out=again)  # shares count billed posts
        for tweetup_id, count in reads.items():
            shares.add(tweetup_id, count)
        done = page.next_token is None
        stored = store_page(page, members, done=done, target_id=target_id, now=now, reads=reads)
        added += stored
        report.links_added += stored
        if done:
            break
        next_token = page.next_token
    held_ids = {t.pk for t, _ in held}
    report.synced |= {t.pk for t, _ in members if t.pk not in held_ids}
    if progress:
        shown = query if len(query) <= 70 else query[:67] + "…"
        stopped = f", {len(held)} held back" if held else ""
        progress(
            f"{shown}  [{len(members)} tweetup(s), since_id {since_id or '-'}, "
            f"until_id {upper}]: {pages} page(s), {read} post(s) read, {added} new{stopped}"
        )
    return held


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
        sync.save(update_fields=["hashtag", *CURSOR_FIELDS])
        wall_keep_hashtag(tweetup=tweetup)  # again: a read of the old tag may have been in flight
    if sync.since_id is None and sync.pending_until_id is None:
        # Another tweetup has read this hashtag: its posts are here already.
        link_stored_posts(tweetup, sync, now=now)
    within_window(sync, now)
    if not _needs_read(tweetup, sync, until_id=until_id, now=now, force=force):
        return False
    next_sync_at(tweetup, now)  # storing a page needs it: a date it can't handle fails here
    return True


def _split(members: list[Member]) -> list[list[Member]]:
    """A query's tweetups in two halves by hashtag, to find the one X rejects."""
    tags = sorted({hashtag_key(t.hashtag) for t, _ in members})
    first = set(tags[: len(tags) // 2])
    halves = [
        [m for m in members if hashtag_key(m[0].hashtag) in first],
        [m for m in members if hashtag_key(m[0].hashtag) not in first],
    ]
    for tweetup_sync in members:  # pages read before the refusal moved the cursor
        tweetup_sync[1].refresh_from_db(fields=CURSOR_FIELDS)
    return halves


def sync_tweetups(
    *,
    tweetup_ids: list[int],
    until_id: int | None = None,
    force: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Read the tweetups' hashtags from X (up to `until_id`, exclusive; default: the read
    ceiling of `now`) onto their walls, live tweetups first, each within its share.

    Tweetups another run holds, not due (unless `force`), or read up to `until_id` already
    are skipped; so is a tweetup whose data the sync can't work with, marked failing.
    Rate limits, refused credentials and the post budget end the run with the state
    recorded (see the report); 5xx and timeouts raise XTransientError after recording it,
    for a retry, with what was read before in its `report`.
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
        shares = Shares.for_run(now)
        work, held = [], []
        for tweetup in tweetups:
            sync = syncs[tweetup.pk]
            try:
                wanted = _prepare(tweetup, sync, until_id=until_id, now=now, force=force)
            except Exception as exc:  # one tweetup's bad data must not stop the others
                logger.exception("Hashtag sync can't work with tweetup %s", tweetup.pk)
                mark_bad_data((tweetup, sync), exc, now)
                report.bad_data.add(tweetup.pk)
                continue
            if not wanted:
                report.skipped.add(tweetup.pk)
            elif shares.held_back(tweetup, sync):
                held.append((tweetup, sync))
            else:
                work.append((tweetup, sync))
        mark_held_back(held, shares=shares, now=now)
        report.held_back |= {t.pk for t, _ in held}

        client, rate_budget = x_client(), RateBudget()
        live = {t.pk for t, _ in work if is_live(t, now)}
        queries = deque(pack_queries(work, first=live))
        while queries:
            members = queries.popleft()
            try:
                held = _read(
                    client,
                    members,
                    until_id=until_id,
                    now=now,
                    report=report,
                    rate_budget=rate_budget,
                    shares=shares,
                    progress=progress,
                )
            except DeadlineReached:
                # Pages read so far are stored with their cursor; the rest is the next cycle's.
                report.carried_over |= {t.pk for chunk in [members, *queries] for t, _ in chunk}
                if progress:
                    progress("the cycle's time is up: the rest is left for the next cycle")
                break
            except (XRateLimited, XAuthFailed, BudgetExhausted) as exc:
                # Nothing more will get through now: every query left waits.
                report.stop(exc)
                left = [member for chunk in [members, *queries] for member in chunk]
                report.failing |= mark_stop(left, exc, now)
                if progress:
                    progress(f"stopped: {exc}")
                break
            except XRequestRejected as exc:
                if len({hashtag_key(t.hashtag) for t, _ in members}) > 1:
                    queries.extendleft(reversed(_split(members)))  # the others go on
                    continue
                logger.error("X rejected the search for %s: %s", [t.pk for t, _ in members], exc)
                report.failing |= mark_failing(members, now=now, message=f"{exc}.")
            except XTransientError as exc:
                logger.warning("Hashtag sync: %s", exc)
                mark(members, now=now, message=lambda t, exc=exc: f"{exc}; retrying shortly.")
                exc.report = report  # what was stored before stays counted
                raise
            if held:
                mark_held_back(held, shares=shares, now=now)
                report.held_back |= {t.pk for t, _ in held}
                rest = [m for m in members if m not in held]
                if rest:  # the others read on from where the query stopped
                    for _, sync in rest:
                        sync.refresh_from_db(fields=CURSOR_FIELDS)
                    queries.appendleft(rest)
    return report


def sync_failed(*, tweetup_ids: list[int], error: str) -> None:
    """Retries ran out on X's errors: say so on the tweetups' state; the next cycle tries again."""
    now = timezone.now()
    with tweetup_sync_locks(tweetup_ids) as locked:
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = ensure_sync_rows(tweetups)
        mark(
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
        mark_stop([(t, syncs[t.pk]) for t in tweetups], reason, now)
