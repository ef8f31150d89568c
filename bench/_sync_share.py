"""Part of bench/sync.py (run that): one hot hashtag against 300 quiet ones on a small budget.

A budget of 1,000 posts read; one upcoming tweetup on a hashtag with 5,000 posts in X's
7 days; 300 quiet tweetups (half of them live) with a post each in the window, and new
posts on a tenth of the live ones every cycle. Run twice: with each tweetup's share, and
with the shares lifted (as before issue 10). Prints, for each, the most any one tweetup
read (as a share of the budget), how many of the live tweetups' posts reached their
walls, and whether the budget ran out. Asserts nothing.
"""

import random
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Max

from bench.common import truncate
from events.models import City, HashtagSync, PostReadUsage, Tweet, Tweetup, TweetupTweet, XAuthor
from events.sync.cycle import run_sync_cycle

BUDGET = 1_000
HOT_POSTS = 5_000
QUIET = 300
CYCLES = 10
NEW_PER_CYCLE = 15  # posts on live quiet hashtags per cycle
CYCLE_SECONDS = 120
SEARCH = "/2/tweets/search/recent"


def _seed(control, organizer, now: datetime) -> tuple[Tweetup, list[Tweetup], list[Tweetup]]:
    city = City.objects.create(name="Sharetown", country="-", slug="sharetown", timezone="UTC")

    def tweetup(i: int, tag: str, starts_in: timedelta) -> Tweetup:
        return Tweetup(
            city=city,
            organizer=organizer,
            title=f"Share {i}",
            slug=f"bench-share-{i}",
            venue_name="Bar",
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=3),
            hashtag=tag,
            going_count=1,
        )

    rows = [tweetup(0, "HotShareTag", timedelta(days=5))]
    rows += [
        tweetup(i, f"QuietShare{i}", timedelta(hours=2) if i % 2 else timedelta(days=4))
        for i in range(1, QUIET + 1)
    ]
    hot, *quiet = Tweetup.objects.bulk_create(rows)
    settled = (now - timedelta(seconds=60)).isoformat()
    control.generate_tweets([hot.hashtag], HOT_POSTS, newest_at=settled, seed=3)
    control.generate_tweets([t.hashtag for t in quiet], QUIET, newest_at=settled, seed=4)
    live = [t for t in quiet if t.starts_at < now + timedelta(days=1)]
    return hot, quiet, live


def _scenario(control, organizer, *, shares: bool) -> dict:
    # Posts stored count as read today (not billed again): start from nothing.
    truncate(TweetupTweet, Tweet, XAuthor, HashtagSync, PostReadUsage)
    Tweetup.objects.filter(slug__startswith="bench-share-").delete()
    City.objects.filter(slug="sharetown").delete()
    control.clear_tweets()
    settings.X_MONTHLY_POST_READ_BUDGET = BUDGET
    if not shares:
        settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE = 10**9
        settings.X_SYNC_TWEETUP_DAILY_SHARE = 1.0
    now = datetime.fromtimestamp(control.advance_clock(0), UTC)
    hot, quiet, live = _seed(control, organizer, now)
    rng = random.Random(5)
    requests = 0
    for cycle in range(CYCLES):
        if cycle:
            now = datetime.fromtimestamp(control.advance_clock(CYCLE_SECONDS), UTC)
            newest = now - timedelta(seconds=settings.X_SEARCH_SETTLE_SECONDS + 1)
            tags = [t.hashtag for t in rng.sample(live, NEW_PER_CYCLE)]
            control.generate_tweets(
                tags, NEW_PER_CYCLE, newest_at=newest.isoformat(), span_seconds=60
            )
        control.clear_requests()
        run_sync_cycle(now=now)
        requests += len(control.requests(SEARCH))

    live_tags = {t.hashtag.casefold() for t in live}
    posted = sum(
        1
        for post in control.tweets()
        if any(tag["tag"].casefold() in live_tags for tag in post["entities"].get("hashtags", []))
    )
    on_walls = TweetupTweet.objects.filter(tweetup__in=live).count()
    syncs = HashtagSync.objects.filter(tweetup__in=[hot, *quiet])
    most = syncs.aggregate(m=Max("posts_read_on_day"))["m"] or 0
    hot_sync = syncs.get(tweetup=hot)
    return {
        "billed": PostReadUsage.objects.get().posts_read,
        "requests": requests,
        "most": most,
        "hot": hot_sync.posts_read_on_day,
        "hot_status": hot_sync.get_status_display(),
        "live_posted": posted,
        "live_on_walls": on_walls,
        "exhausted": syncs.filter(status=HashtagSync.Status.BUDGET_EXHAUSTED).count(),
        "held": syncs.filter(status=HashtagSync.Status.HELD_BACK).count(),
    }


def report_fairness(control, organizer, *, shares: tuple[int, float]) -> None:
    """Run the scenario with the shares given (per cycle, daily) and with them lifted."""
    per_cycle, daily = shares
    results = {}
    for with_shares in (True, False):
        settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE = per_cycle
        settings.X_SYNC_TWEETUP_DAILY_SHARE = daily
        results[with_shares] = _scenario(control, organizer, shares=with_shares)
    settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE = per_cycle
    settings.X_SYNC_TWEETUP_DAILY_SHARE = daily
    share = settings.X_SYNC_TWEETUP_DAILY_SHARE
    print()
    print(
        f"fairness: budget {BUDGET:,} posts, one upcoming hot tag of {HOT_POSTS:,} posts, "
        f"{QUIET} quiet tags ({len(range(1, QUIET + 1, 2))} live), {CYCLES} cycles, "
        f"{NEW_PER_CYCLE} new live posts a cycle; a tweetup's share is {share:.0%} a day "
        f"({max(10, int(BUDGET * share))} posts), "
        f"{settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE} a cycle"
    )
    print(
        f"{'':<16}{'billed':>8}{'requests':>10}{'max share':>11}{'hot read':>10}"
        f"{'live coverage':>15}{'exhausted':>11}{'held back':>11}"
    )
    for shares, r in results.items():
        coverage = r["live_on_walls"] / r["live_posted"] if r["live_posted"] else 1
        print(
            f"{'with shares' if shares else 'shares lifted':<16}{r['billed']:>8,}"
            f"{r['requests']:>10}{r['most'] / BUDGET:>10.1%}{r['hot']:>10,}"
            f"{coverage:>9.1%} {r['live_on_walls']:>2}/{r['live_posted']:<3}"
            f"{r['exhausted']:>10}{r['held']:>11}"
        )
    print(
        "max share: the most posts any one tweetup read, over the budget; live coverage: "
        "posts on live hashtags that reached their walls"
    )
