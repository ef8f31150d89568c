"""How the city and tweetup pages scale with the number of tweetups, and their throughput.

Run: .venv/bin/python bench/pages.py

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench), creates and migrates it, and
TRUNCATES its tables for every size. Settings are bench.settings: DEBUG off, plain static
storage. Prints figures; asserts nothing about time.

In process, each page is timed twice: with every part rendered from the database (the
page cache off), and as served, with the parts everyone shares from the cache. Under
gunicorn, a visitor (no cookie) gets whole cached pages; a signed-in person's page is
rendered per request around the cached parts. Both are compared with a bare view, and
signed-in pages also with a bare view that loads the session and the user, the floor
under any signed-in page.
"""

import http.client
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    REPO_ROOT,
    bootstrap,
    free_port,
    load_average,
    stop_process_group,
    truncate,
)

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench"
)

SIZES = (1_000, 100_000)
USERS = 1_000
TARGET_GOING = 200
UPCOMING_SHARE = 0.3  # most of a year's tweetups on a site are in the past
REQUESTS_PER_PAGE = 120
ROUNDS = 3
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
LOAD_CONNECTIONS = 4  # two sync workers: enough to keep both busy, not a queueing test
BATCH = 5_000
MEASURED_CITY = "berlin"

# (name, country, slug, IANA zone, weight): the measured city is the busiest one.
CITIES = [
    ("Berlin", "Germany", "berlin", "Europe/Berlin", 3),
    ("London", "United Kingdom", "london", "Europe/London", 2),
    ("New York", "United States", "new-york", "America/New_York", 2),
    ("San Francisco", "United States", "san-francisco", "America/Los_Angeles", 2),
    ("Tokyo", "Japan", "tokyo", "Asia/Tokyo", 1),
    ("São Paulo", "Brazil", "sao-paulo", "America/Sao_Paulo", 1),
    ("Sydney", "Australia", "sydney", "Australia/Sydney", 1),
    ("Lagos", "Nigeria", "lagos", "Africa/Lagos", 1),
    ("Mumbai", "India", "mumbai", "Asia/Kolkata", 1),
    ("Mexico City", "Mexico", "mexico-city", "America/Mexico_City", 1),
    ("Toronto", "Canada", "toronto", "America/Toronto", 1),
    ("Singapore", "Singapore", "singapore", "Asia/Singapore", 1),
]


bootstrap(BENCH_DATABASE_URL)

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import City, Rsvp, Tweetup  # noqa: E402


# --- Seeding --------------------------------------------------------------------------
def wipe() -> None:
    truncate(Rsvp, Tweetup, City, User, tables=("django_session",))


def evening_in(city: City, day: datetime, rng: random.Random) -> datetime:
    """A start at 18:00-20:30 local time on the given day, in UTC."""
    local = datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(city.timezone))
    local = local.replace(hour=rng.choice((18, 19, 20)), minute=rng.choice((0, 30)))
    return local.astimezone(UTC)


def seed(n: int) -> dict:
    """N tweetups over the past and next year, ~1k users, one target with 200 going."""
    rng = random.Random(n)
    now = datetime.now(UTC)
    wipe()
    cities = City.objects.bulk_create(
        City(name=name, country=country, slug=slug, timezone=zone)
        for name, country, slug, zone, _ in CITIES
    )
    weights = [w for *_, w in CITIES]
    users = User.objects.bulk_create(
        (
            User(
                username=f"x_{i}",
                password=make_password(None),  # unusable: people sign in with X
                x_id=str(10_000 + i),
                x_username=f"friend{i}",
                display_name=f"Friend {i}",
                avatar_url="" if i % 5 == 0 else f"https://pbs.twimg.com/profile_images/{i}.jpg",
            )
            for i in range(USERS)
        ),
        batch_size=BATCH,
    )

    # A few more RSVPs on one tweetup in twenty (at most 9 going: every capacity is >= 20).
    statuses = [Rsvp.Status.GOING] * 8 + [Rsvp.Status.MAYBE] * 3 + [Rsvp.Status.NOT_GOING]

    def tweetups():
        """(tweetup, its guests' RSVPs), going_count already as the RSVP services keep it."""
        for i in range(n):
            city = rng.choices(cities, weights)[0]
            if rng.random() < UPCOMING_SHARE:
                day = now + timedelta(days=rng.uniform(0.5, 365))
            else:
                day = now - timedelta(days=rng.uniform(1, 365))
            starts_at = evening_in(city, day, rng)
            cancelled = rng.random() < 0.03
            organizer = rng.choice(users)
            guests = []
            if rng.random() < 0.05:
                others = [u for u in rng.sample(users, 9) if u is not organizer]
                guests = [(u, rng.choice(statuses)) for u in others[: rng.randint(1, 8)]]
            tweetup = Tweetup(
                city=city,
                organizer=organizer,
                title=f"{city.name} tweetup #{i}",
                slug=f"{city.slug}-tweetup-{i}",
                description="Drinks and chat with people from the timeline.\nAll welcome.",
                venue_name=f"Bar {i % 300}",
                venue_address=f"{i % 200} Main Street",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=rng.choice((2, 3, 4))),
                capacity=rng.choice((None, None, 20, 40, 80)),
                hashtag=f"tu{n}_{i}",  # unique, so the hashtag exclusion constraint holds
                status=Tweetup.Status.CANCELLED if cancelled else Tweetup.Status.SCHEDULED,
                cancelled_at=now if cancelled else None,
                going_count=1 + sum(status == Rsvp.Status.GOING for _, status in guests),
            )
            yield tweetup, guests

    rsvps, batch = [], []

    def flush():
        Tweetup.objects.bulk_create([tweetup for tweetup, _ in batch])
        for tweetup, guests in batch:
            # As tweetup_create does, the organizer is the first person going.
            rsvps.append(Rsvp(tweetup=tweetup, user=tweetup.organizer, status=Rsvp.Status.GOING))
            rsvps.extend(Rsvp(tweetup=tweetup, user=u, status=st) for u, st in guests)
        batch.clear()

    for row in tweetups():
        batch.append(row)
        if len(batch) == BATCH:
            flush()
    flush()

    city = next(c for c in cities if c.slug == MEASURED_CITY)
    starts_at = evening_in(city, now + timedelta(days=10), rng)
    target = Tweetup.objects.create(
        city=city,
        organizer=users[0],
        title="The big Berlin tweetup",
        slug="bench-target",
        description="Two hundred people are going.",
        venue_name="Biergarten",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        capacity=250,
        hashtag="benchtarget",
        going_count=TARGET_GOING,
    )
    rsvps += [
        Rsvp(tweetup=target, user=user, status=Rsvp.Status.GOING) for user in users[:TARGET_GOING]
    ]
    rsvps += [
        Rsvp(tweetup=target, user=user, status=Rsvp.Status.MAYBE)
        for user in users[TARGET_GOING : TARGET_GOING + 20]
    ]
    Rsvp.objects.bulk_create(rsvps, batch_size=BATCH)

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # settled tables, as on a site past its bulk loads
        cursor.execute("CHECKPOINT")  # and the load written out now, not while measuring
    upcoming = Tweetup.objects.in_city(city).upcoming().count()
    return {
        "city": city,
        "target": target,
        "viewer": users[1],  # going to the target, so the page shows their RSVP
        "target_going": target.rsvps.going().count(),
        "city_tweetups": Tweetup.objects.in_city(city).count(),
        "city_upcoming": upcoming,
        "rsvps": len(rsvps),
    }


# --- In-process timing ----------------------------------------------------------------
def measure(client: Client, pages: dict[str, tuple[str, bool]]) -> dict[str, dict]:
    """Each page's queries, and its median time in the best of ROUNDS rounds: the rounds
    take turns between pages, so a burst of background work (PostgreSQL writing out the
    bulk load) spoils one round of each, not all of one page's requests."""
    captured, times, medians = {}, {}, {}

    def get(url: str, cached: bool):
        with override_settings(PAGE_CACHE_SECONDS=settings.PAGE_CACHE_SECONDS if cached else 0):
            return client.get(url)

    for name, (url, cached) in pages.items():
        for _ in range(3):  # warm-up: templates compiled, connection open, caches filled
            get(url, cached)
        with CaptureQueriesContext(connection) as ctx:
            response = get(url, cached)
        assert response.status_code == 200, (url, response.status_code)
        # A property over connection.queries, which the next request's request_started clears.
        captured[name] = list(ctx.captured_queries)
        times[name], medians[name] = [], []
    for _ in range(ROUNDS):
        for name, (url, cached) in pages.items():
            round_times = []
            for _ in range(REQUESTS_PER_PAGE // ROUNDS):
                start = time.perf_counter()
                get(url, cached)
                round_times.append((time.perf_counter() - start) * 1000)
            medians[name].append(statistics.median(round_times))
            times[name] += round_times
    results = {}
    for name in pages:
        ordered = sorted(times[name])
        results[name] = {
            "queries": len(captured[name]),
            "captured": captured[name],
            "median_ms": min(medians[name]),
            "p90_ms": ordered[int(len(ordered) * 0.9) - 1],
        }
    return results


def short_sql(sql: str) -> str:
    """The SQL without its long column list."""
    return re.sub(r"^SELECT .+? FROM ", "SELECT … FROM ", sql, count=1)


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


# --- Throughput against gunicorn ------------------------------------------------------
def get(base: str, path: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The status and the ETag of one GET."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("ETag")
    finally:
        conn.close()


def start_gunicorn(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tweetups.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        start_new_session=True,  # so stopping it also stops its workers
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if get(f"http://127.0.0.1:{port}", "/_bench/bare/", {})[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def load_wrk(url: str, headers: dict[str, str]) -> tuple[float, int]:
    result = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(LOAD_CONNECTIONS),
            "--duration",
            f"{LOAD_SECONDS}s",
            *(arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    errors = re.search(r"Socket errors:.*", result.stdout)
    if errors:
        print(f"  wrk {url}: {errors.group(0)}")
    return rps, int(bad.group(1)) if bad else 0


def load_python(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Threads with http.client; a fallback when wrk is missing (the GIL caps it lower)."""
    parts = urlsplit(url)
    deadline = time.monotonic() + LOAD_SECONDS
    counts = [[0, 0] for _ in range(LOAD_CONNECTIONS)]

    def worker(slot):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", parts.path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()  # gunicorn's sync workers close after every response
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            counts[slot][0] += 1
            counts[slot][1] += response.status not in (200, 304)
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(LOAD_CONNECTIONS)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    return sum(c[0] for c in counts) / elapsed, sum(c[1] for c in counts)


def throughput(runs: dict[str, tuple[str, str]]) -> tuple[dict[str, float], str]:
    """Requests per second for each (path, cookie); an empty cookie is a visitor. A path
    ending in " 304" is asked with the ETag it answered first: a browser revalidating."""
    load = load_wrk if shutil.which("wrk") else load_python
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_gunicorn(port)
    results = {}
    try:
        for name, (path, cookie) in runs.items():
            path, _, revalidate = path.partition(" ")
            headers = {"Cookie": cookie} if cookie else {}
            for _ in range(10):  # warm both workers
                status, etag = get(base, path, headers)
                assert status == 200, (path, status)
            if revalidate:
                headers["If-None-Match"] = etag
                assert get(base, path, headers)[0] == 304
            rps, bad = load(base + path, headers)
            if bad:
                print(f"  {name}: {bad} non-2xx responses")
            results[name] = rps
    finally:
        stop_process_group(process, timeout=15)
    return results, load.__name__.removeprefix("load_")


# --- Main -----------------------------------------------------------------------------
def main() -> None:
    started = time.monotonic()
    print(f"load average at start: {load_average()}")
    results = {}
    for n in SIZES:
        t0 = time.monotonic()
        data = seed(n)
        print(
            f"seeded {n:,} tweetups in {time.monotonic() - t0:.1f} s: "
            f"{data['city'].name} has {data['city_tweetups']:,} ({data['city_upcoming']:,} "
            f"upcoming), {data['rsvps']:,} RSVPs, {data['target_going']} going to the target"
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(data["viewer"])
        pages = {
            "city": data["city"].get_absolute_url(),
            "city past": data["city"].get_absolute_url() + "?when=past",
            "tweetup": data["target"].get_absolute_url(),
        }
        # Every part rendered from the database, and as served (shared parts cached).
        variants = {}
        for name, url in pages.items():
            variants[name] = (url, False)
            variants[f"{name} +cache"] = (url, True)
        results[n] = measure(client, variants)
        # Sessions die with the next wipe; the last size's session drives the load test.
        cookie = f"sessionid={client.cookies['sessionid'].value}"

    small, large = SIZES
    print()
    print(
        f"In-process (Django test Client, signed in, DEBUG off, {REQUESTS_PER_PAGE} requests, "
        f"median of the best of {ROUNDS} rounds). "
        "+cache: as served, the parts shared by everyone from the cache."
    )
    print(
        f"{'page':<16}{'queries 1k':>10}{'queries 100k':>13}"
        f"{'median 1k':>11}{'median 100k':>13}{'ratio':>7}{'p90 100k':>10}"
    )
    verdicts = {}
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        ratio = b["median_ms"] / a["median_ms"]
        same = a["queries"] == b["queries"] and b["queries"] <= 10
        verdicts[name] = (ratio, same)
        print(
            f"{name:<16}{a['queries']:>10}{b['queries']:>13}"
            f"{a['median_ms']:>9.2f}ms{b['median_ms']:>11.2f}ms{ratio:>7.2f}"
            f"{b['p90_ms']:>8.2f}ms"
        )
    print(
        "queries equal at both sizes and <= 10: "
        + ("yes" if all(same for _, same in verdicts.values()) else "NO")
    )

    for name, (ratio, same) in verdicts.items():
        if ratio > 1.5 or not same:
            captured = results[large][name]["captured"]
            print(f"\n{name} at {large:,}: ratio {ratio:.2f}; per-query times from the capture")
            for q in captured:
                print(f"  {float(q['time']) * 1000:>5.1f} ms  {short_sql(q['sql'])[:100]}")
            slowest = max(captured, key=lambda q: float(q["time"]))
            if float(slowest["time"]) < 0.002:
                print("  no query over 2 ms: the growth is not in SQL (or is noise)")
                continue
            print(f"EXPLAIN ANALYZE of the slowest:\n{short_sql(slowest['sql'])}")
            print(explain(slowest["sql"]))

    runs = {
        "bare": ("/_bench/bare/", ""),
        "home, visitor": ("/", ""),
        "city, visitor": (pages["city"], ""),
        "tweetup, visitor": (pages["tweetup"], ""),
        "tweetup, visitor 304": (pages["tweetup"] + " 304", ""),
        "bare, signed in": ("/_bench/bare-signed-in/", cookie),
        "home, signed in": ("/", cookie),
        "city, signed in": (pages["city"], cookie),
        "tweetup, signed in": (pages["tweetup"], cookie),
        # Again at the end: the machine drifts over a minute; the figures use the mean.
        "bare (again)": ("/_bench/bare/", ""),
        "bare, signed in (again)": ("/_bench/bare-signed-in/", cookie),
    }
    print(f"\nload average before the load test: {os.getloadavg()[0]:.1f}")
    rps, tool = throughput(runs)
    for name in ("bare", "bare, signed in"):
        again = rps.pop(f"{name} (again)")
        print(f"{name}: {rps[name]:.0f} then {again:.0f} req/s")
        rps[name] = (rps[name] + again) / 2
    bare, floor = rps["bare"], rps["bare, signed in"]
    print()
    print(
        f"Throughput at {large:,} tweetups: gunicorn --workers 2 (sync), {tool}, "
        f"{LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s each. A visitor sends no cookie "
        "(cached pages); signed in sends a session (rendered per request)."
    )
    print(f"{'':<24}{'req/s':>8}{'/bare':>8}{'/bare signed in':>17}")
    for name, rate in rps.items():
        against_floor = f"{rate / floor:>17.2f}" if "signed in" in name else ""
        print(f"{name:<24}{rate:>8.0f}{rate / bare:>8.2f}{against_floor}")

    print()
    print("Summary (paste into the closing note)")
    print(
        "| page      | queries 1k / 100k | median 1k | median 100k | 100k/1k "
        "| visitor req/s (/bare) | signed in req/s (/bare, /bare signed in) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        row = (
            f"| {name:<15} | {a['queries']:>7} / {b['queries']:<7} | {a['median_ms']:>6.1f} ms"
            f" | {b['median_ms']:>8.1f} ms | {verdicts[name][0]:>7.2f}"
        )
        base = name.removesuffix(" +cache")
        if name != base and f"{base}, visitor" in rps:  # the server runs with the cache
            visitor, signed_in = rps[f"{base}, visitor"], rps[f"{base}, signed in"]
            row += (
                f" | {visitor:.0f} ({visitor / bare:.2f})"
                f" | {signed_in:.0f} ({signed_in / bare:.2f}, {signed_in / floor:.2f}) |"
            )
        else:
            row += " | - | - |"
        print(row)
    print(
        f"| bare            | | | | | {bare:.0f} (1.00) | {floor:.0f} ({floor / bare:.2f}, 1.00) |"
    )
    print(f"total run time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
