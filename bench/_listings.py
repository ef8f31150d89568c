"""Part of bench/search.py and bench/discovery.py (run those): the seeded site (tweetups
across ~5k cities, a few busy and a long tail, topics, capacities, venue pins) and one
page's figures in process. Import it after `bench.common.bootstrap()`.
"""

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.models import User
from bench.common import load_average, truncate
from events.calendar_feeds import store_all_vevents
from events.models import City, Rsvp, Topic, Tweetup

# BENCH_SIZES=1000,10000 to try a change at small sizes; the figures to report are these.
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
CITIES = 5_000
USERS = 2_000
UPCOMING_SHARE = 0.3
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "60"))
# BENCH_SEEDED=1: measure the database as it is (seeded by an earlier run at one size)
# instead of truncating and seeding each size; BENCH_PAGES=word: only pages whose name has it.
SEEDED = os.environ.get("BENCH_SEEDED") == "1"
PAGES = os.environ.get("BENCH_PAGES", "")
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
    # Each one's VEVENT, as migration 0022 keeps it for existing rows and the services with
    # every write (bulk_create goes around them).
    started = time.perf_counter()
    store_all_vevents()
    print(f"kept {n:,} calendar texts in {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return seeded()


def seeded() -> dict:
    """The cities the pages are about, in a database `seed` filled."""
    cities = list(City.objects.order_by("id")[:1235])
    busy = max(cities[:50], key=lambda c: c.tweetups.count())
    return {"busy": busy, "some_city": cities[1234]}


def search_pages(data: dict) -> dict[str, str]:
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
        "search: letters swapped": "/search/?q=Photo+Wlak",  # mid-word, a four-letter word
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


@dataclass(frozen=True)
class Page:
    """A request to measure: `htmx` sends HX-Request (a fragment); `fresh` empties the
    cache before each request (nothing cached: a feed's body rendered, its events' texts
    read from the database); `before` is called before each request, outside the timing
    (a change to one tweetup a feed shows: its first poller after the change)."""

    url: str
    htmx: bool = False
    fresh: bool = False
    before: Callable[[], object] | None = None


def measure(client: Client, page: "str | Page") -> dict:
    page = page if isinstance(page, Page) else Page(page)
    headers = {"HX-Request": "true"} if page.htmx else {}

    def prepare():
        if page.fresh:
            cache.clear()
        if page.before is not None:
            page.before()

    def get():
        prepare()
        return client.get(page.url, headers=headers)

    with override_settings(PAGE_CACHE_SECONDS=0):
        for _ in range(3):
            get()
        prepare()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page.url, headers=headers)
        assert response.status_code == 200, (page.url, response.status_code)
        queries = len(ctx.captured_queries)
        times, db_times = [], []
        for _ in range(REQUESTS_PER_PAGE):
            prepare()  # outside the timing: the request alone is timed
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                client.get(page.url, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
            db_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    times.sort()
    return {
        "queries": queries,
        "p50": statistics.median(times),
        "p95": times[max(int(len(times) * 0.95) - 1, 0)],
        "db": statistics.median(db_times),
    }


def run(pages_for, sizes=SIZES) -> dict[int, dict[str, dict]]:
    """Seed each size, measure every page `pages_for(data)` names, print a table a size."""
    results = {}
    if SEEDED:
        sizes = (Tweetup.objects.count(),)
    for n in sizes:
        started = time.perf_counter()
        data = seeded() if SEEDED else seed(n)
        print(f"seeded {n:,} tweetups in {time.perf_counter() - started:.0f} s", flush=True)
        client = Client(SERVER_NAME="127.0.0.1")
        pages = {
            name: url
            for name, url in pages_for(data).items()
            if PAGES in name or name.startswith("calibration")
        }
        results[n] = {name: measure(client, url) for name, url in pages.items()}
        print(f"\n{n:,} tweetups, {CITIES:,} cities (load {load_average()})")
        print(f"{'page':34} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8}")
        for name, r in results[n].items():
            print(f"{name:34} {r['queries']:>7} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['db']:>8.1f}")
    return results


def compare(results: dict[int, dict[str, dict]]) -> None:
    """Queries per page at the smallest and largest size; the worst p95 at the largest."""
    small, big = results[min(results)], results[max(results)]
    same = [name for name in big if big[name]["queries"] == small[name]["queries"]]
    print(f"\nqueries per page the same at {min(results):,} and {max(results):,}: "
          f"{len(same)}/{len(big)}")  # fmt: skip
    for name in big:
        if name not in same:
            print(f"  differs: {name}: {small[name]['queries']} vs {big[name]['queries']}")
    measured = {name: r for name, r in big.items() if not name.startswith("calibration")}
    worst = max(measured, key=lambda name: measured[name]["p95"])
    print(f"worst p95 at {max(results):,}: {measured[worst]['p95']:.1f} ms ({worst}; target 50 ms)")
