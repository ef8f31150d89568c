"""Part of bench/sync.py (run that): what the compliance check costs over the bench's live
walls, 1% of their posts deleted on X first. Prints figures; asserts nothing."""

import time
from datetime import datetime

from django.conf import settings

from events.models import PostReadUsage, Tweetup, TweetupTweet
from events.sync.compliance import compliance_check
from xemulator.client import EmulatorClient


def compliance(control: EmulatorClient, now: datetime) -> None:
    """The compliance check over every live wall, 1% of their posts deleted on X first."""
    shown = list(TweetupTweet.objects.values_list("tweet_id", flat=True).distinct())
    deleted = shown[:: len(shown) // (len(shown) // 100)][: len(shown) // 100]
    for tweet_id in deleted:
        control.delete_tweet(str(tweet_id))
    control.clear_requests()
    before = PostReadUsage.objects.get().posts_read
    cap, settings.X_COMPLIANCE_MAX_POSTS = settings.X_COMPLIANCE_MAX_POSTS, 10**7
    t0 = time.perf_counter()
    report = compliance_check(now=now)
    seconds = time.perf_counter() - t0
    settings.X_COMPLIANCE_MAX_POSTS = cap
    requests = len(control.requests("/2/tweets"))
    counted = PostReadUsage.objects.get().posts_read - before
    runs = len(settings.X_COMPLIANCE_HOURS_UTC.split(","))
    walls = Tweetup.objects.count()
    print()
    print(
        f"compliance check over {walls} live walls, {report.posts_to_check:,} posts shown "
        f"({report.posts_to_check / walls:.0f} a wall), {len(deleted)} deleted on X: "
        f"{requests} requests, {report.posts_read:,} posts read, {report.deleted} removed, "
        f"in {seconds:.1f} s (counted against the budget: {counted:,})"
    )
    print(
        f"per day ({runs} runs, X_COMPLIANCE_HOURS_UTC={settings.X_COMPLIANCE_HOURS_UTC}): "
        f"{runs * requests} requests, {runs * report.posts_read:,} posts read and counted; X "
        f"bills a post once per UTC day: {report.posts_read:,} billed "
        f"(${report.posts_read * 0.005:,.2f}), {report.posts_read / walls:.0f} per live wall "
        f"(${report.posts_read / walls * 0.005:.2f}); a wall is checked while live and "
        f"{settings.X_COMPLIANCE_RECENT_DAYS} day(s) after"
    )
    print(
        f"with the default cap of {cap:,} posts a run: {-(-min(cap, report.posts_to_check) // 100)}"
        f" requests a run, the newest {min(cap, report.posts_to_check):,} posts; "
        f"{max(report.posts_to_check - cap, 0):,} older ones not checked"
    )
