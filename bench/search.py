"""Search and filtered listings at 1k and 100k tweetups across ~5k cities.

Run: .venv/bin/python bench/search.py

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_search), creates and migrates it, and
TRUNCATES its tables for every size. Each page is requested in process with Django's test
client with the page cache off, so every request runs its queries and renders: the server
time a visitor would wait for on a cache miss. Prints p50/p95 and the queries per page at
each size, and the time its SQL took (as the database driver saw it); asserts nothing
about time. A bare view is measured last: on a busy machine, read the figures against it.
"""

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bootstrap, load_average, truncate

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_search"
)
SIZES = (1_000, 100_000)
CITIES = 5_000
USERS = 2_000
UPCOMING_SHARE = 0.3
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "60"))
BATCH = 5_000

ZONES = [
    "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "Asia/Tokyo", "Australia/Sydney", "Africa/Lagos", "Asia/Kolkata", "America/Sao_Paulo",
    "Pacific/Auckland", "Asia/Singapore", "America/Mexico_City", "Europe/Moscow",
]  # fmt: skip
SYLLABLES = ["ka", "lo", "ber", "mi", "ta", "ran", "so", "vel", "dun", "ha", "ri", "mont", "el"]
KINDS = [
    "Tech Drinks", "Book Club", "Startup Breakfast", "Design Night", "Photo Walk",
    "Running Club", "Gaming Night", "Coffee Morning", "Music Jam", "Art Crawl",
    "Founders Lunch", "Science Pub", "Media Mixer", "Picnic", "Pub Quiz",
]  # fmt: skip
WORDS = [
    "drinks", "chat", "people", "timeline", "friends", "code", "books", "coffee", "run",
    "walk", "photos", "music", "art", "startup", "founders", "design", "gaming", "science",
    "podcast", "newsletter", "ramen", "tacos", "beer", "wine",
]  # fmt: skip

bootstrap(BENCH_DATABASE_URL)

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import City, Rsvp, Topic, Tweetup  # noqa: E402


def city_name(rng: random.Random, i: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title() + str(i)


def seed(n: int) -> dict:
    rng = random.Random(n)
    now = datetime.now(UTC)
    truncate(Rsvp, Tweetup, City, User, tables=("django_session",))
    cities = [
        City(name="Kreuzberg", country="Germany", slug="kreuzberg", timezone="Europe/Berlin",
             latitude=52.4986, longitude=13.4030),
    ]  # fmt: skip
    for i in range(CITIES - 1):
        name = city_name(rng, i)
        cities.append(
            City(
                name=name,
                country="Benchland",
                slug=name.lower(),
                timezone=rng.choice(ZONES),
                latitude=rng.uniform(-55, 70),
                longitude=rng.uniform(-180, 180),
            )
        )
    cities = City.objects.bulk_create(cities, batch_size=BATCH)
    users = User.objects.bulk_create(
        (
            User(
                username=f"x_{i}",
                password=make_password(None),
                x_id=str(10_000 + i),
                x_username=f"friend{i}",
                display_name=f"Friend {i}",
            )
            for i in range(USERS)
        ),
        batch_size=BATCH,
    )
    topics = list(Topic.objects.all())
    links = []
    batch = []

    def flush():
        Tweetup.objects.bulk_create(batch)
        for tweetup in batch:
            links.extend(
                Tweetup.topics.through(tweetup_id=tweetup.pk, topic_id=topic.pk)
                for topic in rng.sample(topics, rng.randint(1, 3))
            )
        batch.clear()

    for i in range(n):
        # A few busy cities and a long tail, as on a real site.
        busy = cities[min(int(rng.paretovariate(1.0)) - 1, CITIES - 1)]
        city = busy if i % 3 else rng.choice(cities)
        if rng.random() < UPCOMING_SHARE:
            starts = now + timedelta(days=rng.uniform(0.1, 180))
        else:
            starts = now - timedelta(days=rng.uniform(1, 365))
        capacity = rng.choice((None, None, 10, 20, 40))
        placed = rng.random() < 0.3
        title = "Kreuzberg Tech Drinks" if i == 7 else f"{city.name} {rng.choice(KINDS)}"
        batch.append(
            Tweetup(
                city=city,
                organizer=rng.choice(users),
                title=title,
                slug=f"t-{n}-{i}",
                description=" ".join(rng.choices(WORDS, k=rng.randint(8, 40))),
                venue_name=f"Venue {i % 500}",
                venue_address=f"{i % 300} Main Street",
                venue_latitude=city.latitude + rng.uniform(-0.05, 0.05) if placed else None,
                venue_longitude=city.longitude + rng.uniform(-0.05, 0.05) if placed else None,
                starts_at=starts,
                ends_at=starts + timedelta(hours=rng.choice((2, 3, 4))),
                capacity=capacity,
                going_count=rng.randint(1, capacity) if capacity else rng.randint(1, 30),
                hashtag=f"tu{n}_{i}" if i != 7 else "KreuzbergDrinks",
                status="cancelled" if rng.random() < 0.03 else "scheduled",
            )
        )
        if len(batch) == BATCH:
            flush()
    flush()
    Tweetup.topics.through.objects.bulk_create(links, batch_size=BATCH * 4)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    busy = max(cities[:50], key=lambda c: c.tweetups.count())
    return {"busy": busy, "some_city": cities[1234]}


def pages(data: dict) -> dict[str, str]:
    busy, other = data["busy"], data["some_city"]
    near = {"lat": f"{busy.latitude:.3f}", "lon": f"{busy.longitude:.3f}", "km": "100"}
    everything = {"when": "week", "topic": "tech", "seats": "1", **near}
    return {
        "search: two words": "/search/?q=tech+drinks",
        "search: a city": "/search/?" + urlencode({"q": other.name}),
        "search: #hashtag": "/search/?q=%23KreuzbergDrinks",
        "search: @handle": "/search/?q=%40friend12",
        "search: typo": "/search/?q=Kreuzberg+Tech+Drinsk",
        "search: typo, one word": "/search/?q=Bokk+Club",
        "search: 10,000 chars": "/search/?" + urlencode({"q": "tech " * 2000}),
        "search: words + all filters": "/search/?" + urlencode({"q": "club", **everything}),
        "listing: all filters": "/search/?" + urlencode(everything),
        "listing: weekend": "/search/?when=weekend",
        "topic: all filters": "/topics/tech/?" + urlencode(everything),
        "topic: plain": "/topics/books/",
        "city: all filters": f"/c/{busy.slug}/?" + urlencode(everything),
        "city: plain": f"/c/{busy.slug}/",
        "topics index": "/topics/",
        # Every shared part made: what the first visitor after a write waits for.
        "home": "/",
        # What the machine gives any request now: read the figures above against it.
        "calibration: bare view": "/_bench/bare/",
    }


def measure(client: Client, url: str) -> dict:
    with override_settings(PAGE_CACHE_SECONDS=0):
        for _ in range(3):
            client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
        times, db_times = [], []
        for _ in range(REQUESTS_PER_PAGE):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            db_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    times.sort()
    return {
        "queries": queries,
        "p50": statistics.median(times),
        "p95": times[max(int(len(times) * 0.95) - 1, 0)],
        "db": statistics.median(db_times),
    }


def main() -> None:
    results = {}
    for n in SIZES:
        started = time.perf_counter()
        data = seed(n)
        print(f"seeded {n:,} tweetups in {time.perf_counter() - started:.0f} s", flush=True)
        client = Client(SERVER_NAME="127.0.0.1")
        results[n] = {name: measure(client, url) for name, url in pages(data).items()}
        print(f"\n{n:,} tweetups, {CITIES:,} cities (load {load_average()})")
        print(f"{'page':32} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8}")
        for name, r in results[n].items():
            print(f"{name:32} {r['queries']:>7} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['db']:>8.1f}")
    small, big = results[SIZES[0]], results[SIZES[-1]]
    same = [name for name in big if big[name]["queries"] == small[name]["queries"]]
    print(f"\nqueries per page the same at {SIZES[0]:,} and {SIZES[-1]:,}: {len(same)}/{len(big)}")
    for name in big:
        if name not in same:
            print(f"  differs: {name}: {small[name]['queries']} vs {big[name]['queries']}")
    worst = max(big.values(), key=lambda r: r["p95"])["p95"]
    print(f"worst p95 at {SIZES[-1]:,}: {worst:.1f} ms (target 50 ms)")


if __name__ == "__main__":
    main()
