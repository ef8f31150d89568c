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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bootstrap

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_search"
)
bootstrap(BENCH_DATABASE_URL)

from bench._listings import compare, run, search_pages  # noqa: E402


def main() -> None:
    compare(run(search_pages))


if __name__ == "__main__":
    main()
