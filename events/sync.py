"""Hashtag sync: each active tweetup's hashtag read from X's recent search onto its wall.

Writes for Tweet, XAuthor, TweetupTweet, HashtagSync and PostReadUsage; tasks and the
`sync_hashtags` command call these, nothing else writes those tables.

How a cycle reads every post once with few requests
---------------------------------------------------
Tweetups that have read up to the same post id (`since_id`) can share one query,
`(#a OR #b …) -is:retweet`, as long as it fits X_SEARCH_QUERY_MAX_CHARS. So every query of
a cycle reads up to one common ceiling, and every tweetup the cycle polls ends at the same
`since_id`, whether its query found posts or not:

- X ids are snowflakes, the time they were made in their top bits, so the ceiling is the
  first id of a moment: the cycle's start less X_SEARCH_SETTLE_SECONDS, because X says its
  search is complete only for posts some seconds old (it refuses an end_time less than 10 s
  back). Each query asks `since_id=<its own>, until_id=<ceiling>`.
- The next cycle finds the tweetups it polled together at one since_id, so they pack into as
  few queries as fit. A tweetup that joins (a new one, with X's whole 7-day window to read,
  or one a slower polling tier wakes up) reads from its own since_id to the same ceiling,
  and from then on shares the others' queries.
- The queries of a cycle don't depend on each other, so the cycle fans them out at once.

The simpler rule, one query per batch from the batch's smallest since_id, would read again
(and pay X again for) every post between that minimum and the other tweetups' since_id; an
open-ended query per batch would leave each batch at its own newest id, and the batches
could never share a query again without re-reading. A post carrying two tweetups' hashtags
that land in different queries is still read twice.

Reads stop half-way (rate limit, X error, a killed worker): results come newest first and
each page commits together with a cursor, `pending_until_id` (the oldest post stored) and
`pending_newest_id` (where since_id goes once the gap below is read). The next run reads
just the gap, `since_id < id < pending_until_id`: nothing is lost, and only a page in
flight when a worker died (read, billed, not stored) is read again.

Locks: every write to a tweetup's HashtagSync happens under that tweetup's sync lock, a
PostgreSQL session advisory lock taken with pg_try_advisory_lock (never waited for: a run
that can't get it skips the tweetup). Session rather than transaction level, because the
lock covers several HTTP requests and several page transactions, and holding a transaction
open across X's answers would also roll back the count of posts X has already billed.
"""

from __future__ import annotations

import json
import logging
import secrets
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from events.models import (
    SYNC_AFTER_END,
    HashtagSync,
    PostReadUsage,
    Tweet,
    Tweetup,
    TweetupTweet,
    XAuthor,
)
from events.x_client import (
    RateBudget,
    SearchPage,
    XAuthFailed,
    XRateLimited,
    XRequestRejected,
    XSearchError,
    XTransientError,
    search_page,
    search_query,
    x_client,
)

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(namespace, tweetup id): the namespace keeps clear of other locks.
LOCK_NAMESPACE = 0x54_53_59  # "TSY"
SEARCH_WINDOW = timedelta(days=7)
# X ids are snowflakes: milliseconds since X's epoch, shifted left 22 bits.
X_EPOCH_MS = 1288834974657
# X refuses a since_id older than its 7-day window. One nearly that old is moved up to the
# window's edge, with this much room for the read to finish before the edge overtakes it.
WINDOW_EDGE_MARGIN = timedelta(minutes=15)
PAGE_MAX = 100
PAGE_MIN = 10

Progress = Callable[[str], None]


class BudgetExhausted(XSearchError):
    def __init__(self, resumes_on: date):
        super().__init__("monthly post budget reached")
        self.resumes_on = resumes_on


# --- Reports ----------------------------------------------------------------------------------


@dataclass
class Batch:
    """Tweetups to read in one task, up to `until_id` (exclusive)."""

    tweetup_ids: list[int]
    until_id: int


@dataclass
class SyncReport:
    requests: int = 0
    posts_read: int = 0
    posts_skipped: int = 0  # malformed
    links_added: int = 0
    synced: set[int] = field(default_factory=set)
    skipped: set[int] = field(default_factory=set)  # locked by another run, or nothing to do
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
        self.rate_limited_until = self.rate_limited_until or other.rate_limited_until
        self.auth_failed |= other.auth_failed
        self.budget_exhausted |= other.budget_exhausted


@dataclass
class CycleReport(SyncReport):
    due: int = 0
    batches: list[Batch] = field(default_factory=list)


# --- Polling policy ---------------------------------------------------------------------------


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


def _within_window(sync: HashtagSync, now: datetime) -> None:
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


def _next_month(now: datetime) -> date:
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


def _count_reads(posts: int, now: datetime) -> None:
    """Add a request's posts to the month's count, committed at once: X has billed them."""
    month = _month_start(now)
    changes = {"posts_read": F("posts_read") + posts, "requests": F("requests") + 1}
    if not PostReadUsage.objects.filter(month=month).update(**changes):
        PostReadUsage.objects.get_or_create(month=month)
        PostReadUsage.objects.filter(month=month).update(**changes)


# --- Locks ------------------------------------------------------------------------------------


@contextmanager
def tweetup_sync_locks(tweetup_ids: list[int]) -> Iterator[list[int]]:
    """Take each tweetup's sync lock that is free, without waiting; yields the ids taken."""
    ids = sorted(set(tweetup_ids))
    if not ids:
        yield []
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM unnest(%s::integer[]) AS id WHERE pg_try_advisory_lock(%s, id)",
                [ids, LOCK_NAMESPACE],
            )
            taken = sorted(row[0] for row in cursor.fetchall())
        try:
            yield taken
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, id) FROM unnest(%s::integer[]) AS id",
                        [LOCK_NAMESPACE, taken],
                    )
            except Exception:  # the connection is gone, and its session locks with it
                logger.warning("Could not release sync locks %s", taken, exc_info=True)
        return
    # SQLite (make run on one machine): a lease in the shared cache. A crashed worker's
    # lease lapses after the task time limit.
    token = secrets.token_hex(8)
    timeout = settings.CELERY_TASK_TIME_LIMIT
    taken = [i for i in ids if cache.add(f"hashtag-sync-lock:{i}", token, timeout=timeout)]
    try:
        yield taken
    finally:
        for i in taken:
            if cache.get(f"hashtag-sync-lock:{i}") == token:
                cache.delete(f"hashtag-sync-lock:{i}")


# --- Planning ---------------------------------------------------------------------------------


def _ensure_sync_rows(tweetups: list[Tweetup]) -> dict[int, HashtagSync]:
    """The tweetups' HashtagSync rows, created (empty) where missing."""
    HashtagSync.objects.bulk_create(
        [HashtagSync(tweetup=t, hashtag=t.hashtag) for t in tweetups], ignore_conflicts=True
    )
    rows = HashtagSync.objects.filter(tweetup__in=tweetups)
    return {row.tweetup_id: row for row in rows}


def _read_state(sync: HashtagSync) -> tuple:
    """Tweetups with the same read state can share a query."""
    return (
        sync.since_id is not None,
        sync.since_id or 0,
        sync.pending_until_id or 0,
        sync.pending_newest_id or 0,
    )


def _chunks(members: list[tuple[Tweetup, HashtagSync]]) -> list[list[tuple]]:
    """Split tweetups into queries that fit X_SEARCH_QUERY_MAX_CHARS (a hashtag once each)."""
    limit = settings.X_SEARCH_QUERY_MAX_CHARS
    chunks, current, tags = [], [], []
    for member in sorted(members, key=lambda m: (m[0].hashtag.lower(), m[0].pk)):
        tag = member[0].hashtag.lower()
        wanted = tags if tag in tags else [*tags, tag]
        if current and len(search_query(wanted)) > limit:
            chunks.append(current)
            current, wanted = [], [tag]
        current.append(member)
        tags = wanted
    if current:
        chunks.append(current)
    return chunks


def _grouped(members: list[tuple[Tweetup, HashtagSync]]) -> list[list[tuple]]:
    """Members by read state, furthest behind first."""
    ordered = sorted(members, key=lambda m: _read_state(m[1]))
    return [list(group) for _, group in groupby(ordered, key=lambda m: _read_state(m[1]))]


# --- Storing a page ---------------------------------------------------------------------------


def _insert(
    model, fields: list[str], rows: list[tuple], *, conflict: list[str], update=(), returning=None
) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING (or DO UPDATE `update`) in one statement, rows in the
    order given; with `returning`, that field of the rows inserted.

    Django's bulk_create writes the same SQL, but compiling it for every page of posts cost
    more than PostgreSQL took to run it.
    """
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name

    def columns(names) -> str:
        return ", ".join(quote(meta.get_field(name).column) for name in names)

    action = "DO NOTHING"
    if update:
        sets = (quote(meta.get_field(name).column) for name in update)
        action = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in sets)
    # Table and column names come from the model, values go as parameters.
    head = f"INSERT INTO {quote(meta.db_table)} ({columns(fields)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({columns(conflict)}) {action}"
    if returning:
        tail += f" RETURNING {columns([returning])}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            found = execute_values(
                cursor.cursor, head + "%s" + tail, rows, page_size=len(rows), fetch=bool(returning)
            )
            return found or []
        found, row = [], "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), 100):  # SQLite's limit on parameters
            chunk = rows[start : start + 100]
            params = [value for r in chunk for value in r]
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, params)
            if returning:
                found += cursor.fetchall()
        return found


def _store_page(
    page: SearchPage,
    members: list[tuple[Tweetup, HashtagSync]],
    *,
    done: bool,
    target_id: int | None,
    now: datetime,
) -> int:
    """Upsert the page's posts and authors, link them to the tweetups whose hashtag they
    carry, and move the read cursor, in one transaction. Returns the links added."""
    by_tag: dict[str, list[int]] = defaultdict(list)
    for tweetup, _ in members:
        by_tag[tweetup.hashtag.lower()].append(tweetup.pk)
    pairs = sorted(
        {
            (post.x_id, tweetup_id)
            for post in page.posts
            for tag in post.hashtags
            for tweetup_id in by_tag.get(tag, ())
        }
    )
    wanted = {tweet_id for tweet_id, _ in pairs}
    posts = sorted((p for p in page.posts if p.x_id in wanted), key=lambda p: p.x_id)
    authors = sorted({page.authors[p.author_id] for p in posts}, key=lambda a: a.x_id)
    stamp = connection.ops.adapt_datetimefield_value

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A crash of PostgreSQL itself may lose the last commits, never half of one: the
            # posts and the cursor that covers them go together, and are read again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Rows go in id order, so two workers storing overlapping pages can't deadlock.
        _insert(
            XAuthor,
            ["x_id", "username", "name", "profile_image_url", "updated_at"],
            [(a.x_id, a.username, a.name, a.profile_image_url, stamp(now)) for a in authors],
            conflict=["x_id"],
            update=["username", "name", "profile_image_url", "updated_at"],
        )
        _insert(
            Tweet,
            ["x_id", "author", "text", "entities", "lang", "created_at", "stored_at"],
            [
                (
                    p.x_id,
                    p.author_id,
                    p.text,
                    json.dumps(p.entities),
                    p.lang,
                    stamp(p.created_at),
                    stamp(now),
                )
                for p in posts
            ],
            conflict=["x_id"],
        )
        linked = _insert(
            TweetupTweet,
            ["tweet", "tweetup", "hidden", "created_at"],
            [(tweet_id, tweetup_id, False, stamp(now)) for tweet_id, tweetup_id in pairs],
            conflict=["tweetup", "tweet"],
            returning="tweetup",
        )
        added: Counter[int] = Counter(tweetup_id for (tweetup_id,) in linked)

        common = {"since_id": members[0][1].since_id}
        if done:
            common |= {
                "since_id": max(common["since_id"] or 0, target_id)
                if target_id is not None
                else common["since_id"],
                "pending_until_id": None,
                "pending_newest_id": None,
                "last_synced_at": now,
                "status": HashtagSync.Status.OK,
            }
        elif page.oldest_id is not None and target_id is not None:
            common |= {"pending_until_id": page.oldest_id, "pending_newest_id": target_id}
        # One UPDATE per distinct change: usually one or two.
        changes: dict[tuple, list[int]] = defaultdict(list)
        for tweetup, sync in members:
            key = (added[tweetup.pk], next_sync_at(tweetup, now) if done else None)
            changes[key].append(sync.pk)
        for (count, next_at), pks in changes.items():
            update = dict(common)
            if count:
                update["posts_stored"] = F("posts_stored") + count
            if next_at is not None:
                update["next_sync_at"] = next_at
            HashtagSync.objects.filter(pk__in=pks).update(**update)
    return sum(added.values())


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


def _page_size(now: datetime) -> int:
    remaining = budget_remaining(now)
    if remaining <= 0:
        raise BudgetExhausted(_next_month(now))
    # A page may carry up to max_results posts: ask for no more than the budget has left.
    return max(PAGE_MIN, min(PAGE_MAX, remaining))


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
    tags = list(dict.fromkeys(t.hashtag.lower() for t, _ in members))
    query = search_query(tags)
    next_token, pages, read, added = None, 0, 0, 0
    while True:
        page = search_page(
            client,
            query=query,
            since_id=since_id,
            until_id=upper,
            next_token=next_token,
            max_results=_page_size(now),
            rate_budget=rate_budget,
            now=now,
        )
        _count_reads(page.result_count, now)
        pages += 1
        read += page.result_count
        report.requests += 1
        report.posts_read += page.result_count
        report.posts_skipped += page.skipped
        done = page.next_token is None
        added += _store_page(page, members, done=done, target_id=target_id, now=now)
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
    are skipped. Rate limits,
    refused credentials and the post budget end the run with the state recorded (see the
    report); 5xx and timeouts raise XTransientError after recording it, for a retry.
    """
    now = now or timezone.now()
    until_id = until_id or read_ceiling(now)
    report = SyncReport()
    with tweetup_sync_locks(tweetup_ids) as locked:
        report.skipped |= set(tweetup_ids) - set(locked)
        if not locked:
            return report
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = _ensure_sync_rows(tweetups)
        work = []
        for tweetup in tweetups:
            sync = syncs[tweetup.pk]
            if sync.hashtag.lower() != tweetup.hashtag.lower():
                # The organizer changed the hashtag: read the new one from the start.
                sync.hashtag, sync.since_id = tweetup.hashtag, None
                sync.pending_until_id = sync.pending_newest_id = None
                sync.save(
                    update_fields=["hashtag", "since_id", "pending_until_id", "pending_newest_id"]
                )
            _within_window(sync, now)
            if _needs_read(tweetup, sync, until_id=until_id, now=now, force=force):
                work.append((tweetup, sync))
            else:
                report.skipped.add(tweetup.pk)

        client, rate_budget = x_client(), RateBudget()
        queries = [chunk for group in _grouped(work) for chunk in _chunks(group)]
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
        syncs = _ensure_sync_rows(tweetups)
        _mark(
            [(t, syncs[t.pk]) for t in tweetups],
            now=now,
            status=HashtagSync.Status.FAILING,
            next_at=now,
            message=lambda t: f"{error}; gave up for now and will try again at the next sync.",
        )


def _stop_reason(report: SyncReport, now: datetime) -> XSearchError:
    if report.rate_limited_until:
        return XRateLimited(report.rate_limited_until)
    if report.auth_failed:
        return XAuthFailed("X refused the app's credentials")
    return BudgetExhausted(_next_month(now))


def _mark_with_locks(tweetup_ids: list[int], exc: XSearchError, now: datetime) -> None:
    with tweetup_sync_locks(tweetup_ids) as locked:
        tweetups = list(Tweetup.objects.filter(pk__in=locked).select_related("city"))
        syncs = _ensure_sync_rows(tweetups)
        _mark_stop(SyncReport(), [(t, syncs[t.pk]) for t in tweetups], exc, now)


def run_sync_cycle(
    *,
    now: datetime | None = None,
    tweetup_ids: list[int] | None = None,
    force: bool = False,
    dispatch: Callable[[Batch], None] | None = None,
    progress: Progress | None = None,
) -> CycleReport:
    """One sync cycle: pick the tweetups due, pack them into queries up to one common ceiling
    and hand each query's batch to `dispatch` (default: read it here and now).

    `tweetup_ids` limits the cycle to those tweetups; `force` reads them even if not due.
    """
    now = now or timezone.now()
    report = CycleReport()
    tweetups = Tweetup.objects.sync_window_open(now)
    if tweetup_ids is not None:
        tweetups = tweetups.filter(pk__in=tweetup_ids)
    if not force:
        tweetups = tweetups.due_for_sync(due_horizon(now))
    tweetups = list(tweetups.order_by("pk"))
    report.due = len(tweetups)
    if not tweetups:
        return report
    if budget_remaining(now) <= 0:
        report.budget_exhausted = True
        _mark_with_locks([t.pk for t in tweetups], BudgetExhausted(_next_month(now)), now)
        return report

    syncs = _ensure_sync_rows(tweetups)
    for sync in syncs.values():
        _within_window(sync, now)
    until_id = read_ceiling(now)
    members = [(t, syncs[t.pk]) for t in tweetups]
    for group in _grouped(members):
        for chunk in _chunks(group):
            report.batches.append(Batch([t.pk for t, _ in chunk], until_id))
    for index, batch in enumerate(report.batches):
        if dispatch is not None:
            dispatch(batch)
            continue
        try:
            report.add(sync_tweetups(**vars(batch), force=force, now=now, progress=progress))
        except XTransientError as exc:
            if progress:
                progress(f"{exc}: left for the next cycle")
        if report.stopped:  # the rest would not get through either: say so, ask nothing
            rest = [pk for later in report.batches[index + 1 :] for pk in later.tweetup_ids]
            _mark_with_locks(rest, _stop_reason(report, now), now)
            break
    return report


# --- The wall ---------------------------------------------------------------------------------


@transaction.atomic
def tweet_hide(*, tweetup: Tweetup, tweet: Tweet, actor: User, hidden: bool) -> TweetupTweet:
    """Hide a post from the tweetup's wall, or show it again (organizer only); it stays stored."""
    if tweetup.organizer_id != actor.pk:
        raise PermissionDenied("Only the organizer can hide posts on this wall.")
    link = TweetupTweet.objects.select_for_update().get(tweetup=tweetup, tweet=tweet)
    if link.hidden != hidden:
        link.hidden = hidden
        link.save(update_fields=["hidden"])
    return link
