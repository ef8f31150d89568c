"""The hashtag sync at scale: X requests per cycle, posts read twice, storage speed, the wall,
the overlap's cost, the compliance check's cost (bench/_sync_compliance.py), and one hot
hashtag against 300 quiet ones (bench/_sync_share.py).

Run: .venv/bin/python bench/sync.py

500 active tweetups, 50,000 posts in the X emulator (10,000 of them on one tweetup), read
through tweepy's real Client over HTTP, stored in PostgreSQL. Then steady cycles two
minutes apart with new posts, and a quiet one. Beside each cycle, the naive way (one query
per tweetup, each with its own since_id) is run against the same posts, for comparison.
Then the compliance check (posts deleted on X leave the walls) over those 500 live walls,
with 1% of the posts deleted on X: its requests and posts read per run and per day.

Uses its own PostgreSQL database (BENCH_SYNC_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_sync), creates and migrates it and
TRUNCATES its tables. Settings are bench.settings. Prints figures; asserts nothing.
"""

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO_ROOT, bootstrap, free_port, load_average, truncate

DATABASE_URL = os.environ.get(
    "BENCH_SYNC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_sync"
)

TWEETUPS = 500
POSTS = 50_000
HOT_POSTS = 10_000  # on one tweetup, for the wall
STEADY_CYCLES = 5
NEW_POSTS_PER_CYCLE = 500  # two minutes of a busy evening across 500 tweetups
CYCLE_SECONDS = 120
WALL_PAGE = 20
WALL_RUNS = 50
CITIES = ["Berlin", "London", "Austin", "Lagos", "Tokyo", "Sydney", "Toronto", "Mumbai"]


bootstrap(DATABASE_URL)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from bench._sync_compliance import compliance  # noqa: E402
from bench._sync_share import report_fairness  # noqa: E402
from events.models import (  # noqa: E402
    City,
    HashtagSync,
    PostReadUsage,
    Rsvp,
    Tweet,
    Tweetup,
    TweetupTweet,
    XAuthor,
)
from events.sync import reading as sync_reading  # noqa: E402
from events.sync.cycle import run_sync_cycle  # noqa: E402
from events.sync.policy import read_ceiling  # noqa: E402
from events.sync.x_client import RateBudget, search_page, search_query, x_client  # noqa: E402
from xemulator.client import EmulatorClient  # noqa: E402


# --- Setup ----------------------------------------------------------------------------------
def start_emulator() -> tuple[subprocess.Popen, EmulatorClient]:
    """The X emulator in a process of its own, so it doesn't share this one's CPU time."""
    port = free_port()
    env = {
        **os.environ,
        "XEMU_BEARER_TOKEN": settings.X_BEARER_TOKEN,
        # The backfill needs more than X's 450 requests a window: see the note it prints.
        "XEMU_SEARCH_RATE_LIMIT": "1000000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "xemulator", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    control = EmulatorClient(f"http://127.0.0.1:{port}", timeout=120)
    deadline = time.monotonic() + 30
    while True:
        try:
            control.config()
            return process, control
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the X emulator did not start") from None
            time.sleep(0.1)


def wipe() -> None:
    truncate(TweetupTweet, Tweet, XAuthor, HashtagSync, PostReadUsage, Rsvp, Tweetup, City, User)


def seed_tweetups(now: datetime) -> list[Tweetup]:
    """500 tweetups under way or starting within the day: all polled every cycle."""
    organizer = User.objects.create(username="organizer", x_id="1", x_username="organizer")
    cities = City.objects.bulk_create(
        City(name=name, country="-", slug=name.lower(), timezone="UTC") for name in CITIES
    )
    tweetups = []
    for i in range(TWEETUPS):
        city = cities[i % len(cities)]
        starts_at = now + timedelta(hours=(i % 30) - 6)
        tweetups.append(
            Tweetup(
                city=city,
                organizer=organizer,
                title=f"{city.name} tweetup {i}",
                slug=f"bench-sync-{i}",
                venue_name="Bar",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=3),
                hashtag=f"{city.name}Tweetup{i}",
                going_count=1,
            )
        )
    return Tweetup.objects.bulk_create(tweetups)


# --- Instruments ----------------------------------------------------------------------------
class Recorder:
    """Every post id X sent the sync, and how long storing took."""

    def __init__(self):
        self.ids: Counter[int] = Counter()
        self.store_seconds = 0.0
        self.stored_posts = 0

    def client(self):
        client = x_client()

        def hook(response, *args, **kwargs):
            if response.status_code == 200:
                for post in response.json().get("data", []):
                    self.ids[int(post["id"])] += 1

        client.session.hooks["response"].append(hook)
        return client

    def timed_store(self, store):
        def wrapper(page, members, **kwargs):
            started = time.perf_counter()
            added = store(page, members, **kwargs)
            self.store_seconds += time.perf_counter() - started
            self.stored_posts += len(page.posts)
            return added

        return wrapper


def naive_cycle(tweetups: list[Tweetup], since: dict[int, int | None], now: datetime) -> dict:
    """One query per tweetup with its own since_id, to the same ceiling; reads, stores nothing."""
    client, budget = x_client(), RateBudget()
    until_id = read_ceiling(now)
    requests = posts = 0
    for tweetup in tweetups:
        token = None
        while True:
            page = search_page(
                client,
                query=search_query([tweetup.hashtag]),
                since_id=since[tweetup.pk],
                until_id=until_id,
                next_token=token,
                max_results=100,
                rate_budget=budget,
                now=now,
            )
            requests += 1
            posts += page.result_count
            if not (token := page.next_token):
                break
        since[tweetup.pk] = until_id - 1
    return {"requests": requests, "posts": posts}


def explain_ms(queryset) -> tuple[float, str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    execution = next(float(line.split()[2]) for line in lines if line.startswith("Execution Time"))
    return execution, "\n".join(lines)


def median_ms(function, runs: int = WALL_RUNS) -> float:
    for _ in range(3):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# --- Main -----------------------------------------------------------------------------------
def main() -> None:
    started = time.monotonic()
    print(f"load average at start: {load_average()}")
    emulator, control = start_emulator()
    settings.X_API_BASE_URL = control.base_url
    settings.X_SEARCH_RATE_LIMIT = 1_000_000
    settings.X_MONTHLY_POST_READ_BUDGET = 10**9
    # The backfill here measures throughput: no tweetup's share of a cycle holds it back
    # (bench/_sync_share.py measures the shares).
    shares = (settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE, settings.X_SYNC_TWEETUP_DAILY_SHARE)
    settings.X_SYNC_TWEETUP_POSTS_PER_CYCLE = 10**9
    settings.X_RATE_BUDGET_KEY_PREFIX = f"bench-sync:{time.time()}"
    settings.X_SYNC_CYCLE_SECONDS = 3600  # the backfill is one long cycle here
    recorder = Recorder()
    # Patched where the reads look them up (events.sync.reading).
    sync_reading.x_client = recorder.client
    sync_reading.store_page = recorder.timed_store(sync_reading.store_page)

    try:
        wipe()
        now = datetime.fromtimestamp(control.advance_clock(0), UTC)
        tweetups = seed_tweetups(now)
        hot = tweetups[0]
        settled = (now - timedelta(seconds=60)).isoformat()
        t0 = time.monotonic()
        control.generate_tweets([hot.hashtag], HOT_POSTS, newest_at=settled, seed=1)
        control.generate_tweets(
            [t.hashtag for t in tweetups[1:]], POSTS - HOT_POSTS, newest_at=settled, seed=2
        )
        print(
            f"seeded {TWEETUPS} tweetups and {POSTS:,} posts on the emulator "
            f"({HOT_POSTS:,} on #{hot.hashtag}) in {time.monotonic() - t0:.1f} s"
        )
        naive_since = {t.pk: None for t in tweetups}
        rows = []

        # The first cycle reads X's whole 7-day window for every tweetup.
        control.clear_requests()
        t0 = time.perf_counter()
        report = run_sync_cycle(now=now)
        backfill_seconds = time.perf_counter() - t0
        requests = len(control.requests("/2/tweets/search/recent"))
        naive = naive_cycle(tweetups, naive_since, now)
        rows.append(("backfill (7 days)", report, requests, naive))
        backfill_posts = recorder.stored_posts
        backfill_store = recorder.store_seconds

        # Steady cycles: new posts on every hashtag, two minutes apart; then a quiet one.
        tags = [t.hashtag for t in tweetups]
        for cycle in range(STEADY_CYCLES + 1):
            now = datetime.fromtimestamp(control.advance_clock(CYCLE_SECONDS), UTC)
            newest = (now - timedelta(seconds=settings.X_SEARCH_SETTLE_SECONDS + 1)).isoformat()
            quiet = cycle == STEADY_CYCLES
            if not quiet:
                control.generate_tweets(
                    tags, NEW_POSTS_PER_CYCLE, newest_at=newest, span_seconds=80, seed=10 + cycle
                )
            control.clear_requests()
            report = run_sync_cycle(now=now)
            requests = len(control.requests("/2/tweets/search/recent"))
            naive = naive_cycle(tweetups, naive_since, now)
            name = (
                "quiet (no new posts)" if quiet else f"steady {cycle + 1} (+{NEW_POSTS_PER_CYCLE})"
            )
            rows.append((name, report, requests, naive))

        emulator_posts = len(control.tweets())
        stored = Tweet.objects.count()
        links = TweetupTweet.objects.count()
        read_twice = sum(1 for count in recorder.ids.values() if count > 1)
        # The overlap: posts X sent again in the steady cycles (it bills each once a day).
        steady_rows = rows[1:-1]
        again = [r.posts_read - r.posts_billed for _, r, _, _ in steady_rows]
        billed_again = sum(r.posts_billed for _, r, _, _ in steady_rows) - sum(
            NEW_POSTS_PER_CYCLE for _ in steady_rows
        )

        print()
        print(f"{'cycle':<24}{'due':>5}{'requests':>10}{'naive':>8}{'fewer':>8}"
              f"{'posts read':>12}{'naive read':>12}")  # fmt: skip
        for name, report, requests, naive in rows:
            ratio = naive["requests"] / requests if requests else float("inf")
            print(
                f"{name:<24}{report.due:>5}{requests:>10}{naive['requests']:>8}{ratio:>7.1f}x"
                f"{report.posts_read:>12,}{naive['posts']:>12,}"
            )
        steady = rows[1:-1]
        steady_requests = statistics.mean(r for _, _, r, _ in steady)
        steady_naive = statistics.mean(n["requests"] for *_, n in steady)
        print(
            f"steady cycles: {steady_requests:.1f} requests vs {steady_naive:.0f} one query per "
            f"tweetup: {steady_naive / steady_requests:.1f}x fewer (aim: 10x)"
        )
        print(
            f"posts on the emulator {emulator_posts:,}; read by the sync {len(recorder.ids):,}; "
            f"read more than once: {read_twice:,} (the overlap); stored {stored:,} posts, "
            f"{links:,} wall links"
        )
        per_day = 86_400 / CYCLE_SECONDS
        print(
            f"overlap ({settings.X_SEARCH_OVERLAP_SECONDS} s behind the read state): "
            f"{statistics.mean(again):,.0f} posts read again per steady cycle "
            f"({statistics.mean(again) / NEW_POSTS_PER_CYCLE:.1f}x the new ones), "
            f"{statistics.mean(again) * per_day:,.0f} a day at one cycle every "
            f"{CYCLE_SECONDS} s; billed again: {billed_again} (X bills a post once a day)"
        )
        print(
            f"backfill: {backfill_posts:,} posts in {backfill_seconds:.1f} s end to end "
            f"({backfill_posts / backfill_seconds:,.0f}/s, HTTP and JSON included); storing "
            f"alone {backfill_store:.2f} s: {backfill_posts / backfill_store:,.0f} posts/s "
            "into PostgreSQL, one process (aim: 5,000/s)"
        )
        usage = PostReadUsage.objects.get()
        print(
            f"post reads counted against the budget: {usage.posts_read:,} in {usage.requests} "
            f"requests (${usage.posts_read * 0.005:,.2f} at $0.005 a post)"
        )
        first = rows[0][2]
        print(
            f"note: the backfill's {first} requests exceed X's 450 per 15 minutes; with X's "
            f"limit it spreads over {-(-first // 450)} windows (rate-limited, rescheduled)."
        )

        compliance(control, now)

        # The wall with 10,000 posts on one tweetup (a tenth of them hidden).
        hidden = list(TweetupTweet.objects.filter(tweetup=hot).values_list("pk", flat=True)[::10])
        TweetupTweet.objects.filter(pk__in=hidden).update(hidden=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        visible = Tweet.objects.for_wall(hot)
        middle = visible[HOT_POSTS // 2].x_id
        newest = visible.first().x_id
        queries = {
            "first page": visible[:WALL_PAGE],
            "organizer's first page": Tweet.objects.for_wall(hot, include_hidden=True)[:WALL_PAGE],
            "page 250 back (older_than)": visible.older_than(middle)[:WALL_PAGE],
            "refresh, nothing new (newer_than)": visible.newer_than(newest)[:100],
        }
        print()
        print(f"wall query on #{hot.hashtag}: {visible.count():,} visible posts")
        print(f"{'query':<36}{'server (EXPLAIN)':>17}{'Django, rows':>15}")
        plans = {}
        for name, queryset in queries.items():
            server_ms, plans[name] = explain_ms(queryset)
            python_ms = median_ms(lambda qs=queryset: list(qs.all()))
            print(f"{name:<36}{server_ms:>15.2f}ms{python_ms:>13.2f}ms")
        print("plan of the first page:")
        print("\n".join("  " + line for line in plans["first page"].splitlines()[:12]))

        try:
            url = reverse("events:tweetup_wall", args=[hot.slug])
        except NoReverseMatch:
            url = None
        if url:
            client = Client(HTTP_HOST="127.0.0.1")
            htmx = {"HTTP_HX_REQUEST": "true"}
            # An open wall's poll: new posts, and which of the (up to WALL_POLL_CHECKS_POSTS)
            # posts it shows back to `since` are still on the wall.
            poll = {"after": str(newest), "since": str(middle)}
            checks = {
                "wall page": (url, {}, {}, 0),
                "wall refresh fragment (htmx)": (url, {"after": str(newest)}, htmx, 0),
                "wall poll, 500 posts checked": (url, poll, htmx, 0),
                "wall poll, cached (visitor)": (url, poll, htmx, 60),
                "wall older fragment (htmx)": (url, {"before": str(middle)}, htmx, 0),
            }
            print()
            cache_seconds = settings.PAGE_CACHE_SECONDS
            for name, (path, query, headers, cached) in checks.items():
                settings.PAGE_CACHE_SECONDS = cached  # rendered each time, unless it says
                status = client.get(path, query, **headers).status_code
                if status != 200:
                    print(f"{name}: HTTP {status}, not measured")
                    continue
                ms = median_ms(lambda p=path, q=query, h=headers: client.get(p, q, **h))
                print(f"{name:<36}{ms:>9.2f} ms median (Django test client, in process)")
            settings.PAGE_CACHE_SECONDS = cache_seconds
        report_fairness(control, User.objects.get(username="organizer"), shares=shares)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    print(f"total run time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
