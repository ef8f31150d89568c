"""Finding tweetups: how fast each discovery feature answers. One function per section;
`main` runs them all, or those named on the command line.

Run: .venv/bin/python bench/discovery.py [section ...]

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench), created and migrated. Prints figures;
asserts nothing about time.

Sections:
- autocomplete: the city field's suggestions over the whole gazetteer (about 34,000
  cities), for real prefixes, alternate names, qualified names and junk: the search
  alone, and the htmx endpoint in process (its one query and the fragment's template).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bootstrap, load_average

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench"
)

# What people type, letter by letter, and what they shouldn't.
AUTOCOMPLETE_QUERIES = [
    *("Reykjavík"[:n] for n in range(1, 10)),
    *("Portland, Maine"[:n] for n in range(1, 16)),
    *("munchen"[:n] for n in range(1, 8)),
    "s",
    "a",
    "san",
    "new",
    "東京",
    "sao p",
    "st. lou",
    "PDX",
    "springfield, il",
    "london, ca",
    "s, x",  # a qualifier that fits nothing: the bounded scan
    "%_%",
    "😀" * 40,
    "\u202eabc\u200f",
    "x" * 10_000,
    "qqqqzzzz",
]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms  max {ordered[-1] * 1000:6.2f} ms"


def autocomplete(rounds: int = 20) -> None:
    from django.test import Client

    from events.gazetteer import gazetteer

    print("\n== autocomplete ==")
    started = time.perf_counter()
    places = gazetteer()
    seconds = time.perf_counter() - started
    print(f"gazetteer loaded in {seconds:.2f} s ({len(places.places)} cities)")

    searches = []
    for _ in range(rounds):
        for query in AUTOCOMPLETE_QUERIES:
            started = time.perf_counter()
            places.search(query)
            searches.append(time.perf_counter() - started)
    print(f"search alone       ({len(searches)} calls): {percentiles(searches)}")

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/cities/search/", {"city_query": "warm"}, headers={"HX-Request": "true"})
    requests, cpu = [], []
    for _ in range(rounds // 4 or 1):
        for query in AUTOCOMPLETE_QUERIES:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(
                "/cities/search/", {"city_query": query}, headers={"HX-Request": "true"}
            )
            requests.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert response.status_code == 200, (query, response.status_code)
    print(f"htmx endpoint      ({len(requests)} calls): {percentiles(requests)}")
    # On a busy machine wall time counts other processes' turns; CPU time is this one's.
    print(f"htmx endpoint, CPU ({len(cpu)} calls): {percentiles(cpu)}")


SECTIONS = {"autocomplete": autocomplete}


def main(names: list[str]) -> None:
    unknown = set(names) - set(SECTIONS)
    if unknown:
        sys.exit(f"Unknown section(s): {', '.join(sorted(unknown))}. Known: {', '.join(SECTIONS)}")
    bootstrap(BENCH_DATABASE_URL)
    print(f"load average: {load_average()}")
    for name, section in SECTIONS.items():
        if not names or name in names:
            section()


if __name__ == "__main__":
    main(sys.argv[1:])
