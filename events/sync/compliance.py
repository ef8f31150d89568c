"""Posts deleted on X, and posts from accounts that went protected, leave our walls within a
day, as X's developer terms ask.

The check looks up, by id, the posts people can see on walls that are live or recent (the
tweetup ends in the future or ended at most X_COMPLIANCE_RECENT_DAYS ago): 100 ids per
request to GET /2/tweets, and only those posts. Hidden posts and the walls of older
tweetups are not looked up, which is what bounds its cost: each post X returns is a billed
read (once per UTC day however often it is read), counted against the monthly budget. The
check runs whatever that budget says, because the terms don't wait for next month.

X answers for each id: the post (still there), "Not Found Error" (deleted, or its account
deleted or suspended: the post is removed) or "Authorization Error" (its account went
protected: every stored post of that account is removed, and the account; a person here
with that X account is marked protected, as at sign-in). Anything else keeps the post until
the next check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.services import users_x_protected_update
from events.models import Tweet, Tweetup, TweetupTweet, XAuthor
from events.sync.errors import XSearchError
from events.sync.policy import count_reads
from events.sync.x_client import LOOKUP_MAX_IDS, LookupPage, lookup_posts, x_client
from tweetups import page_cache

logger = logging.getLogger("events.sync")


@dataclass
class ComplianceReport:
    posts_to_check: int = 0
    requests: int = 0
    posts_read: int = 0  # what X bills
    deleted: int = 0  # posts removed: gone from X
    protected: int = 0  # posts removed: their account went protected
    left: int = 0  # not checked this time: the check stopped (see `stopped`)
    beyond_cap: int = 0  # the oldest, past X_COMPLIANCE_MAX_POSTS: not checked
    stopped: str = ""


def posts_to_check(now: datetime) -> tuple[list[int], int]:
    """Ids of the posts shown on live and recent walls, newest first (the live walls'),
    at most X_COMPLIANCE_MAX_POSTS; and how many there are in all."""
    recent = now - timedelta(days=settings.X_COMPLIANCE_RECENT_DAYS)
    shown = (
        TweetupTweet.objects.filter(hidden=False, tweetup__ends_at__gte=recent)
        .order_by("-tweet_id")
        .values_list("tweet_id", flat=True)
        .distinct()
    )
    cap = settings.X_COMPLIANCE_MAX_POSTS
    ids = list(shown[: cap + 1])
    total = len(ids) if len(ids) <= cap else shown.count()
    return ids[:cap], total


@transaction.atomic
def posts_remove(*, gone: set[int], protected: set[int]) -> tuple[int, int]:
    """Remove posts X no longer shows: those `gone`, and every post of the accounts behind
    the `protected` ones (with the accounts). Returns (gone removed, protected removed)."""
    accounts = set(Tweet.objects.filter(x_id__in=protected).values_list("author_id", flat=True))
    doomed = Tweet.objects.filter(Q(x_id__in=gone) | Q(author_id__in=accounts))
    walls = set(
        Tweetup.objects.filter(tweet_links__tweet__in=doomed).values_list("slug", flat=True)
    )
    removed_gone = Tweet.objects.filter(x_id__in=gone).exclude(author_id__in=accounts).count()
    _, counts = doomed.delete()  # their wall links go with them
    XAuthor.objects.filter(x_id__in=accounts).delete()
    # Someone here with a protected account is shown only to their followers from now on.
    users_x_protected_update(protected={str(x_id) for x_id in accounts})
    page_cache.forget(*(f"tweetup:{slug}" for slug in walls))
    removed = counts.get(Tweet._meta.label, 0)
    return removed_gone, removed - removed_gone


def compliance_check(
    *, now: datetime | None = None, progress: Callable[[str], None] | None = None
) -> ComplianceReport:
    """Look up the posts of live and recent walls on X and remove those X no longer shows.

    Stops at the first request X doesn't answer (rate limit, error, timeout); the posts not
    reached are checked next time (`left`)."""
    now = now or timezone.now()
    ids, total = posts_to_check(now)
    report = ComplianceReport(posts_to_check=total, beyond_cap=total - len(ids))
    if report.beyond_cap:
        logger.warning(
            "Compliance check: %s of %s posts on live and recent walls are beyond "
            "X_COMPLIANCE_MAX_POSTS and not checked",
            report.beyond_cap,
            total,
        )
    client = x_client()
    chunks = list(batched(ids, LOOKUP_MAX_IDS, strict=False))
    for index, chunk in enumerate(chunks):
        try:
            page: LookupPage = lookup_posts(client, list(chunk))
        except XSearchError as exc:
            report.left = sum(len(c) for c in chunks[index:])
            report.stopped = str(exc)
            logger.warning("Compliance check stopped, %s posts left: %s", report.left, exc)
            break
        count_reads(page.result_count, now)
        report.requests += 1
        report.posts_read += page.result_count
        if page.gone or page.protected:
            gone, protected = posts_remove(gone=page.gone, protected=page.protected)
            report.deleted += gone
            report.protected += protected
    if progress:
        progress(
            f"{report.posts_to_check} post(s) on live and recent walls, {report.requests} "
            f"request(s), {report.posts_read} read; removed {report.deleted} deleted on X and "
            f"{report.protected} from protected accounts"
            + (f"; stopped ({report.stopped}), {report.left} left" if report.stopped else "")
            + (f"; {report.beyond_cap} beyond the cap, not checked" if report.beyond_cap else "")
        )
    return report
