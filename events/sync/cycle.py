"""A sync cycle: the tweetups due, packed into queries up to one common ceiling (a batch
each), then read by the `sync_batch` task or here and now."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from events.models import Tweetup
from events.sync.errors import XAuthFailed, XRateLimited, XSearchError, XTransientError
from events.sync.fairness import is_live
from events.sync.locks import tweetup_sync_locks
from events.sync.planning import ensure_sync_rows, pack_queries
from events.sync.policy import (
    BudgetExhausted,
    budget_remaining,
    due_horizon,
    next_month,
    read_ceiling,
    within_window,
)
from events.sync.reading import Progress, SyncReport, sync_stopped, sync_tweetups
from events.sync.storing import link_stored_posts
from tweetups.x_deadline import deadline_scope


@dataclass
class Batch:
    """Tweetups to read in one task, up to `until_id` (exclusive)."""

    tweetup_ids: list[int]
    until_id: int


@dataclass
class CycleReport(SyncReport):
    due: int = 0
    batches: list[Batch] = field(default_factory=list)


def sync_cycle_plan(
    *, now: datetime | None = None, tweetup_ids: list[int] | None = None, force: bool = False
) -> CycleReport:
    """Pick the tweetups due and pack them into batches up to one common ceiling, live
    tweetups' first; X is not asked. With the month's budget used up there are no batches,
    and the tweetups say why.

    `tweetup_ids` limits the cycle to those tweetups; `force` takes them even if not due.
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
        reason = BudgetExhausted(next_month(now))
        sync_stopped(tweetup_ids=[t.pk for t in tweetups], reason=reason, now=now)
        return report

    syncs = ensure_sync_rows(tweetups)
    fresh = [
        t for t in tweetups if syncs[t.pk].since_id is None and not syncs[t.pk].pending_until_id
    ]
    if fresh:
        # A hashtag another tweetup has read: take its posts and read state now, so the
        # tweetup shares that one's query from this cycle on (X is not asked for them).
        with tweetup_sync_locks([t.pk for t in fresh]) as locked:
            for tweetup in fresh:
                if tweetup.pk in locked:
                    link_stored_posts(tweetup, syncs[tweetup.pk], now=now)
    for sync in syncs.values():
        within_window(sync, now)
    until_id = read_ceiling(now)
    live = {t.pk for t in tweetups if is_live(t, now)}
    for query in pack_queries([(t, syncs[t.pk]) for t in tweetups], first=live):
        report.batches.append(Batch([t.pk for t, _ in query], until_id))
    return report


def _stop_reason(report: SyncReport, now: datetime) -> XSearchError:
    if report.rate_limited_until:
        return XRateLimited(report.rate_limited_until)
    if report.auth_failed:
        return XAuthFailed("X refused the app's credentials")
    return BudgetExhausted(next_month(now))


def run_sync_cycle(
    *,
    now: datetime | None = None,
    tweetup_ids: list[int] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> CycleReport:
    """One sync cycle read here and now, batch after batch (the `sync_hashtags` command).

    It ends within X_SYNC_CYCLE_SECONDS: what it didn't reach is left for the next cycle
    (`carried_over`). `tweetup_ids` limits the cycle to those tweetups; `force` reads them
    even if not due.
    """
    now = now or timezone.now()
    deadline = time.time() + settings.X_SYNC_CYCLE_SECONDS
    report = sync_cycle_plan(now=now, tweetup_ids=tweetup_ids, force=force)
    with deadline_scope(deadline):
        for index, batch in enumerate(report.batches):
            if time.time() >= deadline:
                report.carried_over.update(
                    pk for b in report.batches[index:] for pk in b.tweetup_ids
                )
                if progress:
                    progress("the cycle's time is up: the rest is left for the next cycle")
                break
            try:
                report.add(sync_tweetups(**vars(batch), force=force, now=now, progress=progress))
            except XTransientError as exc:
                report.add(getattr(exc, "report", None) or SyncReport())  # pages stored stay
                if progress:
                    progress(f"{exc}: left for the next cycle")
            if report.stopped:  # the rest would not get through either: say so, ask nothing
                rest = [pk for later in report.batches[index + 1 :] for pk in later.tweetup_ids]
                sync_stopped(tweetup_ids=rest, reason=_stop_reason(report, now), now=now)
                break
    return report
