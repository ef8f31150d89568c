"""How the feeds scale: server time and queries for a city's iCalendar and Atom feeds and a
person's private calendar feed, at 1k and 100k tweetups.

Run: .venv/bin/python bench/feeds.py [size ...]   (default: 1000 100000)

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_feeds), creates and migrates it, and
TRUNCATES its tables for every size. Settings are bench.settings. Timed in process with
Django's test client (middleware included, no network): a feed rendered afresh (the first
poller after a change to one of its tweetups: no kept body, the other events' texts kept),
rendered with nothing cached (the first poller after a deploy or a cache flush: each
event's text read from the database, where migration 0022 and the services keep it), served
from the rendered-feed cache, and to a poller whose copy is current (If-None-Match: a
304). Prints figures; asserts nothing about time.

Tweetups spread over CITIES cities, a year back and a year ahead; the measured city has a
twentieth of them, so its window (upcoming plus 30 days) is far past the feed's cap at
100k. The measured person answered going/maybe to RSVPS tweetups over the same two years.
"""

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bootstrap, load_average, truncate

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_feeds"
)
SIZES = tuple(int(arg) for arg in sys.argv[1:]) or (1_000, 100_000)
CITIES = 2_000
BUSY_SHARE = 0.05  # of all tweetups, in the measured city
USERS = 500
RSVPS = 400  # the measured person's answers
REQUESTS = 200
BATCH = 5_000
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]

bootstrap(BENCH_DATABASE_URL)

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models.functions import Now  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from events.calendar_feeds import store_all_vevents  # noqa: E402
from events.models import City, Rsvp, Tweetup  # noqa: E402
from feeds.models import CalendarFeedToken  # noqa: E402
from feeds.services import calendar_feed_token_replace  # noqa: E402
from feeds.sources import (  # noqa: E402
    FeedSource,
    atom_rows,
    calendar_window,
    city_source,
    personal_source,
)


def seed(n: int) -> dict:
    rng = random.Random(n)
    now = datetime.now(UTC)
    truncate(CalendarFeedToken, Rsvp, Tweetup, City, User, tables=("django_session",))
    cities = City.objects.bulk_create(
        City(name=f"City {i}", country="Benchland", slug=f"city-{i}", timezone=ZONES[i % 5])
        for i in range(CITIES)
    )
    busy = cities[0]
    users = User.objects.bulk_create(
        User(
            username=f"x_{i}",
            password=make_password(None),
            x_id=str(10_000 + i),
            x_username=f"friend{i}",
        )
        for i in range(USERS)
    )
    rows = []
    for i in range(n):
        city = busy if rng.random() < BUSY_SHARE else rng.choice(cities)
        starts_at = now + timedelta(days=rng.uniform(-365, 365))
        rows.append(
            Tweetup(
                city=city,
                organizer=rng.choice(users),
                title=f"Tweetup #{i}",
                slug=f"tweetup-{i}",
                description="Drinks and chat with people from the timeline.\nAll welcome.",
                venue_name=f"Bar {i % 300}",
                venue_address=f"{i % 200} Main Street",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=3),
                hashtag=f"tu{n}_{i}",
                status=Tweetup.Status.CANCELLED if rng.random() < 0.03 else "scheduled",
                going_count=1,
            )
        )
    Tweetup.objects.bulk_create(rows, batch_size=BATCH)
    store_all_vevents()  # as migration 0022 and the services keep them
    Rsvp.objects.bulk_create(
        (Rsvp(tweetup=t, user=t.organizer, status=Rsvp.Status.GOING) for t in rows),
        batch_size=BATCH,
    )
    person = User.objects.create(username="measured", x_id="1", x_username="measured")
    answered = rng.sample(rows, min(RSVPS, n))
    Rsvp.objects.bulk_create(
        Rsvp(tweetup=t, user=person, status=rng.choice(["going", "maybe", "not_going"]))
        for t in answered
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    token = calendar_feed_token_replace(user=person)
    return {"city": busy, "person": person, "token": token}


def timed(client: Client, url: str, count: int, *, before=None, **headers) -> tuple:
    times = []
    for _ in range(count):
        if before is not None:
            before()  # outside the timing
        start = time.perf_counter()
        client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def queries(client: Client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    return len(captured)


def measure(client: Client, url: str, source: FeedSource, kind: str) -> dict:
    if kind == "ics":
        changed = calendar_window(source).ids[:1]  # none in an empty feed
    else:
        changed = list(atom_rows(source).values_list("id", flat=True)[:1])

    def change():
        Tweetup.objects.filter(pk__in=changed).update(updated_at=Now())

    cache.clear()
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    cache.clear()
    cold = queries(client, url)
    change()
    counts = (cold, queries(client, url), queries(client, url))
    last = client.get(url)
    etag = {"If-None-Match": last["ETag"]}
    counts += (queries(client, url, **etag),)
    return {
        "bytes": len(first.content),
        "queries": counts,
        "changed": timed(client, url, REQUESTS // 4, before=change),
        "cold": timed(client, url, REQUESTS // 4, before=cache.clear),
        "cached": timed(client, url, REQUESTS),
        "304": timed(client, url, REQUESTS, **etag),
    }


# An in-process cache, so clearing it touches nobody else's Redis database; room for every
# event's text (a feed keeps one each) as Redis would have.
@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
)
def main() -> None:
    print(f"load average at start: {load_average()}")
    print(
        "queries: nothing cached/after a change/cached/304; server time in ms, in process:"
        " rendered after a change to one tweetup, rendered with nothing cached, cached, 304"
    )
    for n in SIZES:
        started = time.monotonic()
        data = seed(n)
        print(f"\n{n:,} tweetups, {CITIES:,} cities (seeded in {time.monotonic() - started:.0f} s)")
        client = Client(HTTP_HOST="127.0.0.1")
        slug = data["city"].slug
        city, person = city_source(data["city"]), personal_source(data["person"])
        feeds = {
            "city calendar": (reverse("feeds:city_calendar", args=[slug]), city, "ics"),
            "city atom": (reverse("feeds:city_atom", args=[slug]), city, "atom"),
            "private calendar": (
                reverse("feeds:personal_calendar", args=[data["token"]]),
                person,
                "ics",
            ),
        }
        for name, (url, source, kind) in feeds.items():
            f = measure(client, url, source, kind)
            times = "  ".join(
                f"{label} p50 {f[label][0]:5.1f} p95 {f[label][1]:5.1f}"
                for label in ("changed", "cold", "cached", "304")
            )
            count = "/".join(map(str, f["queries"]))
            print(f"  {name:16} {f['bytes'] // 1024:3d} KiB  queries {count}  {times}")
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
