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

import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bootstrap,
    load_average,
)

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench"
)

SIZES = (1_000, 100_000)
REQUESTS_PER_PAGE = 120
ROUNDS = 3


bootstrap(BENCH_DATABASE_URL)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bench._load import LOAD_CONNECTIONS, LOAD_SECONDS, throughput  # noqa: E402
from bench._pages_seed import seed  # noqa: E402


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
