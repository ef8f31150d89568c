"""Your X network (issue 12): what reading whom people follow costs on X, and what it
costs the pages that show it.

Run: .venv/bin/python bench/network.py

1. X cost, a model (no database): 10,000 active users whose follow counts have a
   heavy-tailed spread (log-normal body, Pareto tail: most follow a few hundred, a few
   follow tens of thousands), each read up to NETWORK_MAX_FOLLOWS_READ and refreshed every
   NETWORK_REFRESH_DAYS, at X's price and page size (bench/x_api_prices.json, from
   ../shared/x-api/README.md). Prints the requests per refresh, the X cost per active user
   per month, and how far NETWORK_MONTHLY_USER_READ_BUDGET goes.
2. Pages: 10,000 users who each follow 1,000 people (200 of them on the site), built with
   bulk INSERT … SELECT on PostgreSQL, thousands of upcoming tweetups and their RSVPs; the
   query count and server time of a signed-in city page (badges, then ?sort=network) and
   of the "Your network" page, in process.
3. The weekly digest on that data: the one query that finds who gets one this week, and
   composing one network reader's digest.

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_network), creates and migrates it, and
TRUNCATES its tables (BENCH_NETWORK_REUSE=1 keeps what a previous run seeded: the 10M
followed ids take a while to insert). Prints figures; asserts nothing about time.
"""

import json
import math
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bootstrap, load_average, truncate

# X's price and limits for following lists, copied from ../shared/x-api/README.md.
X_API = json.loads((Path(__file__).parent / "x_api_prices.json").read_text())
USD_PER_USER_READ = X_API["usd_per_user_read"]
FOLLOWING_PAGE_SIZE = X_API["following_page_size"]
FOLLOWING_REQUESTS_PER_WINDOW = X_API["following_requests_per_window"]
FOLLOWING_WINDOW_MINUTES = X_API["following_window_minutes"]

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_network"
)
USERS = int(os.environ.get("BENCH_NETWORK_USERS", "10000"))
FOLLOWS_EACH = int(os.environ.get("BENCH_NETWORK_FOLLOWS", "1000"))
FOLLOWED_ON_SITE = FOLLOWS_EACH // 5  # of whom they follow, how many have an account here
UPCOMING = 3_000
GOING_EACH = 4  # upcoming tweetups each person is going to
MEASURED_CITY = "berlin"
REQUESTS = int(os.environ.get("BENCH_NETWORK_REQUESTS", "40"))
DAYS_PER_MONTH = 30

CITIES = [
    ("Berlin", "Germany", "berlin", "Europe/Berlin", 3),
    ("London", "United Kingdom", "london", "Europe/London", 2),
    ("New York", "United States", "new-york", "America/New_York", 2),
    ("Tokyo", "Japan", "tokyo", "Asia/Tokyo", 1),
    ("Lagos", "Nigeria", "lagos", "Africa/Lagos", 1),
    ("São Paulo", "Brazil", "sao-paulo", "America/Sao_Paulo", 1),
]


# --- 1. X cost (a model) ----------------------------------------------------------------
def follow_counts(n: int, rng: random.Random) -> list[int]:
    """A heavy-tailed spread of how many accounts people follow: log-normal around a few
    hundred (median ~350), with one in twenty from a Pareto tail (power users, brands)."""
    counts = []
    for _ in range(n):
        if rng.random() < 0.05:
            count = int(2_000 * rng.paretovariate(1.2))  # 2k and up, some past 100k
        else:
            count = int(rng.lognormvariate(math.log(350), 1.0))
        counts.append(min(count, 1_000_000))
    return counts


def percentile(values: list[int | float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def x_cost(settings) -> None:
    cap, every = settings.NETWORK_MAX_FOLLOWS_READ, settings.NETWORK_REFRESH_DAYS
    budget = settings.NETWORK_MONTHLY_USER_READ_BUDGET
    counts = follow_counts(USERS, random.Random(12))
    read = [min(c, cap) for c in counts]
    requests = [max(1, math.ceil(r / FOLLOWING_PAGE_SIZE)) for r in read]
    refreshes = DAYS_PER_MONTH / every
    month_reads = sum(read) * refreshes
    month_usd = month_reads * USD_PER_USER_READ
    print(f"\n== X cost: {USERS:,} active users, refreshed every {every} days, cap {cap:,}")
    print(
        f"follows: median {percentile(counts, 0.5):,.0f}, mean {statistics.mean(counts):,.0f},"
        f" p90 {percentile(counts, 0.9):,.0f}, p99 {percentile(counts, 0.99):,.0f},"
        f" max {max(counts):,}; over the cap: {sum(c > cap for c in counts) / USERS:.1%}"
    )
    print(
        f"requests per refresh: mean {statistics.mean(requests):.2f}, median"
        f" {percentile(requests, 0.5):.0f}, p99 {percentile(requests, 0.99):.0f}, max"
        f" {max(requests)} (X allows {FOLLOWING_REQUESTS_PER_WINDOW} per"
        f" {FOLLOWING_WINDOW_MINUTES} min per person: a refresh never waits for a window)"
    )
    print(
        f"user objects read per refresh: mean {statistics.mean(read):,.0f};"
        f" per month {month_reads:,.0f} ({refreshes:g} refreshes each)"
    )
    print(
        f"X cost: ${month_usd:,.0f} a month, ${month_usd / USERS:.2f} per active user per"
        f" month (${USD_PER_USER_READ} per user object; a person at the cap costs"
        f" ${cap * USD_PER_USER_READ * refreshes:,.0f} a month)"
    )
    covered = budget / (month_reads / USERS)
    print(
        f"NETWORK_MONTHLY_USER_READ_BUDGET {budget:,} (${budget * USD_PER_USER_READ:,.0f})"
        f" covers about {covered:,.0f} active users a month at this spread; beyond that,"
        " refreshes wait for next month"
    )
    print("per active user per month, by cap and refresh interval (the two settings):")
    for other_cap in (1_000, 2_000, cap):
        capped = sum(min(c, other_cap) for c in counts)
        row = ", ".join(
            f"every {days} days ${capped * (DAYS_PER_MONTH / days) * USD_PER_USER_READ / USERS:.2f}"
            for days in (3, 7, 14, 30)
        )
        print(f"  cap {other_cap:>5,}: {row}")


# --- 2. Pages at 10k users x 1,000 follows ------------------------------------------------
def seed():
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from accounts.models import FollowedXId, User, XNetworkConsent
    from events.models import City, Rsvp, Tweetup

    truncate(FollowedXId, XNetworkConsent, Rsvp, Tweetup, City, User, tables=("django_session",))
    rng = random.Random(7)
    cities = City.objects.bulk_create(
        City(name=name, country=country, slug=slug, timezone=zone)
        for name, country, slug, zone, _ in CITIES
    )
    weights = [w for *_, w in CITIES]
    password = make_password(None)
    started = time.perf_counter()
    User.objects.bulk_create(
        (
            User(
                username=f"x_{i}",
                password=password,
                x_id=str(10_000 + i),
                x_username=f"friend{i}",
                display_name=f"Friend {i}",
                avatar_url=f"https://pbs.twimg.com/profile_images/{i}.jpg",
            )
            for i in range(USERS)
        ),
        batch_size=5_000,
    )
    users = list(User.objects.order_by("id").values_list("id", flat=True))
    now = datetime.now(UTC)
    tweetups = []
    for i in range(UPCOMING):
        city = rng.choices(cities, weights)[0]
        starts_at = now + timedelta(days=rng.uniform(0.5, 120))
        tweetups.append(
            Tweetup(
                city=city,
                organizer_id=rng.choice(users),
                title=f"{city.name} tweetup #{i}",
                slug=f"{city.slug}-tweetup-{i}",
                venue_name=f"Bar {i % 300}",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=3),
                hashtag=f"tw{i}x",
            )
        )
    tweetups = Tweetup.objects.bulk_create(tweetups, batch_size=5_000)
    rsvps, going = [], {}
    for user_id in users:
        for tweetup in rng.sample(tweetups, GOING_EACH):
            rsvps.append(Rsvp(tweetup=tweetup, user_id=user_id, status=Rsvp.Status.GOING))
            going[tweetup.pk] = going.get(tweetup.pk, 0) + 1
    Rsvp.objects.bulk_create(rsvps, batch_size=10_000)
    for tweetup in tweetups:
        tweetup.going_count = going.get(tweetup.pk, 0)
    Tweetup.objects.bulk_update(tweetups, ["going_count"], batch_size=5_000)
    XNetworkConsent.objects.bulk_create(
        (
            XNetworkConsent(
                user_id=user_id,
                access_token_enc=b"-",
                granted_at=timezone.now(),
                last_read_at=timezone.now(),
            )
            for user_id in users
        ),
        batch_size=5_000,
    )
    # Whom they follow: FOLLOWED_ON_SITE accounts here (a different 200 for each person,
    # spread by a stride coprime with USERS), the rest X accounts with no account here.
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # the web's 10 s bound is for pages
        cursor.execute(
            """
            INSERT INTO accounts_followedxid (user_id, x_id)
            SELECT u.id,
                   CASE WHEN g <= %(on_site)s
                        THEN (10000 + ((u.id + g * 37) %% %(users)s))::text
                        ELSE (100000000 + u.id::bigint * 10000 + g)::text END
            FROM accounts_user u, generate_series(1, %(follows)s) g
            """,
            {"on_site": FOLLOWED_ON_SITE, "users": USERS, "follows": FOLLOWS_EACH},
        )
        cursor.execute("ANALYZE accounts_followedxid")
        cursor.execute("ANALYZE events_rsvp")
        cursor.execute("ANALYZE events_tweetup")
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("RESET statement_timeout")
    return time.perf_counter() - started


def time_page(client, url: str) -> tuple[int, float, float, str, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # A view of connection.queries, which the next request's request_started clears.
    captured = list(queries.captured_queries)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    slowest = max(captured, key=lambda q: float(q["time"]))
    query_ms = [round(float(q["time"]) * 1000, 1) for q in captured]
    return len(captured), statistics.median(times), percentile(times, 0.9), slowest["sql"], query_ms


def pages() -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import FollowedXId, User
    from events.models import City

    print(f"\n== Pages: {USERS:,} users, each following {FOLLOWS_EACH:,} ({FOLLOWED_ON_SITE} here)")
    if os.environ.get("BENCH_NETWORK_REUSE") == "1" and (
        FollowedXId.objects.count() == USERS * FOLLOWS_EACH
    ):
        print("reusing the data a previous run seeded (BENCH_NETWORK_REUSE=1)")
    else:
        seconds = seed()
        print(f"seeded {FollowedXId.objects.count():,} followed ids in {seconds:.0f} s")
    city = City.objects.get(slug=MEASURED_CITY)
    viewer = User.objects.order_by("id")[USERS // 2]
    client = Client(HTTP_HOST="127.0.0.1")  # bench.settings' ALLOWED_HOSTS
    client.force_login(viewer)
    urls = {
        "city page (badges)": city.get_absolute_url(),
        "city page ?sort=network": city.get_absolute_url() + "?sort=network",
        "Your network page": reverse("events:network"),
    }
    print(f"load average before timing: {load_average()} (other work on this machine skews it)")
    for name, url in urls.items():
        count, median, p90, slowest, query_ms = time_page(client, url)
        print(f"{name:<26} {count} queries, median {median:.1f} ms, p90 {p90:.1f} ms")
        print(f"  each query, once (ms): {query_ms}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + slowest)
            plan = [row[0] for row in cursor.fetchall()]
        print("  slowest query's plan: " + " | ".join(line.strip() for line in plan[-2:]))


def digest() -> None:
    """The weekly digest on the same data: who gets one (one set-based query, the city
    follows and the network together) and composing one network reader's digest."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from notifications.mail import compose
    from notifications.models import MessageKind, OutgoingMessage, digest_week
    from notifications.schedules import digest_recipients

    with connection.cursor() as cursor:  # everyone can be mailed (allauth's verified address)
        cursor.execute(
            """
            INSERT INTO account_emailaddress (user_id, email, verified, "primary")
            SELECT u.id, u.username || '@example.com', true, true FROM accounts_user u
            WHERE NOT EXISTS (SELECT 1 FROM account_emailaddress e WHERE e.user_id = u.id)
            """
        )
        cursor.execute("ANALYZE account_emailaddress")
    now = timezone.now()
    print(f"\n== Weekly digest: load average {load_average()}")
    recipients = digest_recipients(now=now).order_by("pk").values_list("pk", flat=True)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        found = list(recipients.all())  # a fresh queryset: no result cache
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"who gets one: {len(found):,} of {USERS:,} people, 1 query, "
        f"median {statistics.median(times):.0f} ms of 5"
    )
    reader = User.objects.get(pk=found[len(found) // 2])
    message = OutgoingMessage(
        recipient=reader, kind=MessageKind.DIGEST, revision=0, week=digest_week(now), created_at=now
    )
    times = []
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            compose(message, address="reader@example.com")
            times.append((time.perf_counter() - start) * 1000)
    query_ms = [round(float(q["time"]) * 1000, 1) for q in queries.captured_queries]
    print(
        f"composing one digest: {len(queries)} queries ({query_ms} ms), median "
        f"{statistics.median(times):.1f} ms, p90 {percentile(times, 0.9):.1f} ms"
    )
    with connection.cursor() as cursor:
        sql, params = recipients.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print("  who gets one, plan: " + " | ".join(line.strip() for line in plan[:6] + plan[-1:]))


def main() -> None:
    bootstrap(BENCH_DATABASE_URL)
    from django.conf import settings

    print(f"load average: {load_average()}")
    x_cost(settings)
    if os.environ.get("BENCH_NETWORK_SKIP_PAGES") != "1":
        pages()
        digest()


if __name__ == "__main__":
    main()
