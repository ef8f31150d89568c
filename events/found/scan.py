"""The daily search for tweetup talk: each active city's recent posts read once a UTC day,
several cities a query, within a daily cap of posts read (as X bills them); candidates
grouped by author and day into drafts. Nobody is contacted on X: it only reads.

Once a day per city: the day's `CityPostScan` row is the claim (unique per city and day),
taken with an UPDATE under `select_for_update(skip_locked)`, so a second beat, or two at
once, finds nothing left to read. Failures are retried by later runs the same day, at most
FOUND_MAX_ATTEMPTS times; a 429 puts the cities back until X's reset.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Sum
from django.utils import timezone

from events.found.dates import named_day
from events.found.drafts import Candidate, drafts_store
from events.found.query import CityTerms, city_of, city_terms, is_talk, pack_cities, talk_query
from events.models import MAX_DURATION, City, CityPostScan, Tweetup
from events.sync.errors import (
    DeadlineReached,
    XAuthFailed,
    XRateLimited,
    XSearchError,
    XUnreadableAnswer,
)
from events.sync.fairness import today
from events.sync.parsing import SearchPage
from events.sync.policy import budget_remaining, count_reads, first_id_at, read_ceiling
from events.sync.x_client import RateBudget, search_page, x_client
from tweetups.x_deadline import deadline_scope

logger = logging.getLogger(__name__)
Status = CityPostScan.Status
X_MIN_RESULTS, X_MAX_RESULTS = 10, 100  # recent search's max_results


class Capped(XSearchError):
    """The day's cap (or the month's budget) of posts read is reached."""


@dataclass
class FindReport:
    cities: int = 0
    queries: int = 0
    requests: int = 0
    posts_read: int = 0
    drafts_created: int = 0
    failed: int = 0
    stopped: str = ""
    retry_at: datetime | None = None
    left_out: list[str] = field(default_factory=list)


def active_cities(now: datetime):
    """Cities with a tweetup coming up, under way, or ended within FOUND_ACTIVE_DAYS."""
    since = now - timedelta(days=settings.FOUND_ACTIVE_DAYS) - MAX_DURATION
    recent = Tweetup.objects.filter(city=OuterRef("pk"), starts_at__gte=since)
    return City.objects.filter(Exists(recent)).order_by("pk")


def scans_claim(now: datetime) -> list[CityPostScan]:
    """Today's scans of the active cities not yet read (or failed, or stuck in a killed
    run), taken by this run; none that another run holds."""
    day = today(now)
    CityPostScan.objects.bulk_create(
        [CityPostScan(city=city, day=day) for city in active_cities(now)],
        ignore_conflicts=True,
    )
    lease = now - timedelta(seconds=settings.FOUND_CLAIM_LEASE_SECONDS)
    claimable = (
        Q(day=day, attempts__lt=settings.FOUND_MAX_ATTEMPTS)
        & (
            Q(status=Status.PENDING)
            | Q(status=Status.FAILED)
            | Q(status=Status.RUNNING, claimed_at__lt=lease)
        )
        & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    )
    with transaction.atomic():
        ids = list(
            CityPostScan.objects.select_for_update(skip_locked=True)
            .filter(claimable)
            .values_list("pk", flat=True)
        )
        CityPostScan.objects.filter(pk__in=ids).filter(claimable).update(
            status=Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(
        CityPostScan.objects.filter(pk__in=ids, status=Status.RUNNING, claimed_at=now)
        .select_related("city")
        .order_by("city_id")
    )


def _since_ids(scans: list[CityPostScan], now: datetime) -> dict[int, int]:
    """Where each city's read starts: where its last finished read ended, but no further
    back than FOUND_LOOKBACK_HOURS (recent talk only)."""
    floor = first_id_at(now - timedelta(hours=settings.FOUND_LOOKBACK_HOURS))
    last = dict(
        CityPostScan.objects.filter(
            city_id__in=[s.city_id for s in scans], day__lt=today(now), until_id__isnull=False
        )
        .values("city_id")
        .annotate(until=Max("until_id"))
        .values_list("city_id", "until")
    )
    return {s.city_id: max(floor, last.get(s.city_id) or 0) for s in scans}


class Ledger:
    """Posts read today against FOUND_DAILY_POST_READ_CAP (and the month's budget), counted
    as X bills them: once per post per UTC day, and a page that can't be read at its size."""

    def __init__(self, now: datetime):
        self.now = now
        used = CityPostScan.objects.filter(day=today(now)).aggregate(n=Sum("posts_read"))["n"]
        self.used = used or 0
        self.seen: set[int] = set()

    def page_size(self) -> int:
        left = min(settings.FOUND_DAILY_POST_READ_CAP - self.used, budget_remaining(self.now))
        if left < X_MIN_RESULTS:
            raise Capped(f"The cap of {settings.FOUND_DAILY_POST_READ_CAP} posts a day is reached.")
        return min(X_MAX_RESULTS, left)

    def bill(self, page: SearchPage | None, *, unreadable: int = 0) -> int:
        """What X bills for a page (posts it sent, less those already read today)."""
        if page is None:
            billed = unreadable
        else:
            again = sum(1 for post in page.posts if post.x_id in self.seen)
            self.seen.update(post.x_id for post in page.posts)
            billed = page.result_count - again
        self.used += billed
        count_reads(billed, self.now)
        return billed


def _candidates(page: SearchPage, batch: list[CityTerms], now: datetime):
    """Posts read per city of the batch, and the page's candidates."""
    per_city = dict.fromkeys((t.city.pk for t in batch), 0)
    found: list[Candidate] = []
    for post in page.posts:
        terms = city_of(post.text, post.hashtags, batch)
        per_city[(terms or batch[0]).city.pk] += 1
        if terms is None or post.text.startswith("RT @") or not is_talk(post.text):
            continue
        tz = terms.city.tzinfo
        day = named_day(post.text, post.created_at, tz)
        local_today = now.astimezone(tz).date()
        if day is None or not local_today <= day <= local_today + timedelta(
            days=settings.FOUND_MAX_DAYS_AHEAD
        ):
            continue
        author = page.authors[post.author_id]
        tags = post.entities.get("hashtags") or []
        found.append(
            Candidate(
                author_x_id=str(post.author_id),
                author_username=author.username,
                city=terms.city,
                date=day,
                post_x_id=post.x_id,
                post_text=post.text,
                tags=tuple(
                    t["tag"] for t in tags if isinstance(t, dict) and isinstance(t.get("tag"), str)
                ),
            )
        )
    # Malformed posts X sent (and bills) count for the first city of the query.
    per_city[batch[0].city.pk] += page.result_count - len(page.posts)
    return per_city, found


def _record(scans: dict[int, CityPostScan], per_city: dict[int, int], candidates, created):
    """A page's figures on the scans of its query's cities (every city of a query counts
    its requests)."""
    found = Counter(c.city.pk for c in candidates)
    made = Counter(c.city.pk for c in created)
    for city_id, scan in scans.items():
        CityPostScan.objects.filter(pk=scan.pk).update(
            posts_read=F("posts_read") + per_city.get(city_id, 0),
            requests=F("requests") + 1,
            candidates=F("candidates") + found[city_id],
            drafts_created=F("drafts_created") + made[city_id],
        )


def _read_batch(client, batch, scans, *, since_id, until_id, ledger, rate_budget, now, report):
    query = talk_query(batch)
    next_token = None
    while True:
        size = ledger.page_size()
        try:
            page = search_page(
                client,
                query=query,
                since_id=since_id,
                until_id=until_id,
                next_token=next_token,
                max_results=size,
                rate_budget=rate_budget,
                now=now,
            )
        except XUnreadableAnswer as exc:
            billed = ledger.bill(None, unreadable=exc.billed)
            report.requests += 1
            report.posts_read += billed
            _record(scans, {batch[0].city.pk: billed}, [], [])
            raise
        report.requests += 1
        report.posts_read += ledger.bill(page)
        per_city, candidates = _candidates(page, batch, now)
        created = drafts_store(candidates)
        report.drafts_created += len(created)
        _record(scans, per_city, candidates, created)
        if not page.next_token or not page.posts and not page.result_count:
            return
        next_token = page.next_token


def _finish(scans, status, now, *, error="", since_id=None, until_id=None, release_until=None):
    rows = CityPostScan.objects.filter(pk__in=[s.pk for s in scans])
    if release_until is not None or status == Status.PENDING:
        # Put back, not tried: a rate limit or the run's time up is not an attempt.
        rows.update(
            status=Status.PENDING,
            claimed_at=None,
            not_before=release_until,
            attempts=F("attempts") - 1,
        )
        return
    changes = {"status": status, "finished_at": now, "last_error": error[:500]}
    if status == Status.DONE:
        changes |= {"since_id": since_id, "until_id": until_id}
    rows.update(**changes)


def tweetups_find(*, now: datetime | None = None) -> FindReport:
    """Search today's unread active cities for tweetup talk; drafts for what is found."""
    now = now or timezone.now()
    report = FindReport()
    scans = scans_claim(now)
    report.cities = len(scans)
    if not scans:
        return report
    by_city = {s.city_id: s for s in scans}
    terms = []
    for scan in scans:
        if (t := city_terms(scan.city)) is None:
            _finish([scan], Status.FAILED, now, error="The city's name gives nothing to search.")
            continue
        terms.append(t)
    since = _since_ids(scans, now)
    until_id = read_ceiling(now)
    # Cities whose reads start at the same id share queries.
    groups: dict[int, list[CityTerms]] = {}
    for t in terms:
        groups.setdefault(since[t.city.pk], []).append(t)
    batches = []
    for since_id, members in sorted(groups.items()):
        packed, too_long = pack_cities(members)
        for t in too_long:
            report.left_out.append(t.city.name)
            _finish(
                [by_city[t.city.pk]], Status.FAILED, now, error="Its name is too long for a query."
            )
        batches += [(since_id, batch) for batch in packed]
    report.queries = len(batches)
    ledger, rate_budget, client = Ledger(now), RateBudget(), x_client()
    try:
        with deadline_scope(time.time() + settings.FOUND_RUN_SECONDS):
            for index, (since_id, batch) in enumerate(batches):
                batch_scans = {t.city.pk: by_city[t.city.pk] for t in batch}
                rest = [by_city[t.city.pk] for _, later in batches[index:] for t in later]
                if since_id >= until_id:  # read up to here already (a clock set back)
                    _finish(
                        list(batch_scans.values()),
                        Status.DONE,
                        now,
                        since_id=since_id,
                        until_id=since_id,
                    )
                    continue
                try:
                    _read_batch(
                        client,
                        batch,
                        batch_scans,
                        since_id=since_id,
                        until_id=until_id,
                        ledger=ledger,
                        rate_budget=rate_budget,
                        now=now,
                        report=report,
                    )
                except XRateLimited as exc:
                    report.stopped, report.retry_at = str(exc), exc.retry_at
                    _finish(rest, Status.PENDING, now, release_until=exc.retry_at)
                    break
                except DeadlineReached as exc:
                    report.stopped = str(exc)
                    _finish(rest, Status.PENDING, now)
                    break
                except Capped as exc:
                    report.stopped = str(exc)
                    _finish(rest, Status.CAPPED, now, error=str(exc))
                    break
                except XAuthFailed as exc:
                    logger.warning("Finding tweetups in posts: %s", exc)
                    report.stopped, report.failed = str(exc), len(rest)
                    _finish(rest, Status.FAILED, now, error=str(exc))
                    break
                except Exception as exc:  # X's errors, and anything hostile data trips
                    logger.warning(
                        "Finding tweetups in posts for %s failed: %s",
                        ", ".join(t.city.name for t in batch),
                        exc,
                        exc_info=not isinstance(exc, XSearchError),
                    )
                    report.failed += len(batch)
                    message = (
                        str(exc)
                        if isinstance(exc, XSearchError)
                        else "Something went wrong reading X's answer."
                    )
                    _finish(list(batch_scans.values()), Status.FAILED, now, error=message)
                    continue
                _finish(
                    list(batch_scans.values()),
                    Status.DONE,
                    now,
                    since_id=since_id,
                    until_id=until_id,
                )
    finally:
        client.session.close()
    return report
