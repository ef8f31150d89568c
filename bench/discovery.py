"""Finding tweetups: how fast each discovery feature answers. One function per section;
`main` runs them all, or those named on the command line.

Run: .venv/bin/python bench/discovery.py [section ...]   (autocomplete, pages, feeds)

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench), created and migrated. Prints figures;
asserts nothing about time.

Sections:
- autocomplete: the city field's suggestions over the whole gazetteer (about 34,000
  cities), for real prefixes, alternate names, qualified names and junk: the search
  alone, and the htmx endpoint in process (its one query and the fragment's template).
- pages: the site seeded with 1k and then 100k tweetups across 5k cities (bench/_listings.py,
  as bench/search.py; its tables are TRUNCATED for each size), and each page's server time
  in process with the page cache off (p50/p95, SQL time) and its SQL queries at both
  sizes: search (words, a city, a city one letter off, typos, #hashtag), filtered
  listings, near me (a point and a distance, nearest first), the feeds (iCalendar and
  Atom, as a poller without a copy gets them and rendered afresh: for a calendar, after a
  change to one of its tweetups, and with nothing cached, each event's text read from the
  database where the seed keeps it as migration 0022 does), and the city
  autocomplete's htmx endpoint. A bare view is measured last: read the figures against it
  on a busy machine.
- feeds: the feed rows of `pages` alone (not run unless named).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from urllib.parse import urlencode

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


def feed_pages(name: str, url: str, source) -> dict:
    """A calendar feed rendered afresh: after a change to one of its tweetups (a new ETag,
    so no kept body; the changed row is updated around the services, so its event is
    written, the others' texts are kept), and with nothing cached at all (the first poller
    after a deploy or a cache flush: every event's text comes from the database)."""
    from django.db.models.functions import Now

    from bench._listings import Page
    from events.models import Tweetup
    from feeds.sources import calendar_window

    changed = calendar_window(source).ids[:1]  # none in an empty feed: nothing to change

    def change():
        Tweetup.objects.filter(pk__in=changed).update(updated_at=Now())

    return {
        f"feed: {name}, after a change": Page(url, before=change),
        f"feed: {name}, nothing cached": Page(url, fresh=True),
    }


def discovery_feed_pages(data: dict) -> dict:
    from bench._listings import Page
    from events.models import Topic
    from events.search import SearchText
    from feeds.sources import city_source, search_source, topic_source

    busy = data["busy"]
    tech = Topic.objects.get(slug="tech")
    return {
        "feed: city .ics": f"/c/{busy.slug}/calendar.ics",
        **feed_pages("city .ics", f"/c/{busy.slug}/calendar.ics", city_source(busy)),
        "feed: city atom, rendered": Page(f"/c/{busy.slug}/atom.xml", fresh=True),
        **feed_pages("topic .ics", "/topics/tech/calendar.ics", topic_source(tech)),
        **feed_pages(
            "search .ics",
            "/search/calendar.ics?" + urlencode({"q": "tech drinks"}),
            search_source(SearchText.parse("tech drinks")),
        ),
    }


def discovery_pages(data: dict) -> dict:
    from bench._listings import Page, search_pages

    busy, other = data["busy"], data["some_city"]
    searches = search_pages(data)
    typo = other.name[:2] + other.name[3:]  # a letter dropped
    here = {"lat": f"{busy.latitude:.2f}", "lon": f"{busy.longitude:.2f}"}
    return {
        **{name: url for name, url in searches.items() if not name.startswith("calibration")},
        "search: a city one letter off": "/search/?" + urlencode({"q": typo}),
        # Near me: what the button asks for (two decimals, 25 km), nearest first.
        "near me: 25 km": "/search/?" + urlencode({**here, "km": "25"}),
        "near me: 25 km, this week": "/search/?" + urlencode({**here, "km": "25", "when": "week"}),
        "near me: 500 km, map": "/search/?" + urlencode({**here, "km": "500", "view": "map"}),
        "near me: 1000 km, nothing": "/search/?"
        + urlencode({"lat": "-48.9", "lon": "-123.4", "km": "1000"}),
        **discovery_feed_pages(data),
        "autocomplete: Reykj (htmx)": Page("/cities/search/?city_query=Reykj", htmx=True),
        "autocomplete: munchen (htmx)": Page("/cities/search/?city_query=munchen", htmx=True),
        "calibration: bare view": searches["calibration: bare view"],
    }


def pages() -> None:
    from bench._listings import compare, run
    from events.gazetteer import gazetteer

    print("\n== pages ==")
    gazetteer()  # loaded once per process: the autocomplete rows time a search, not the load
    compare(run(discovery_pages))


def feeds() -> None:
    """The feed rows of `pages` alone, against the bare view."""
    from bench._listings import compare, run, search_pages

    print("\n== feeds ==")

    def feed_pages_only(data: dict) -> dict:
        bare = search_pages(data)["calibration: bare view"]
        return {**discovery_feed_pages(data), "calibration: bare view": bare}

    compare(run(feed_pages_only))


# `feeds` is part of `pages`: all sections run both (name one to run it alone).
SECTIONS = {"autocomplete": autocomplete, "pages": pages, "feeds": feeds}


def main(names: list[str]) -> None:
    unknown = set(names) - set(SECTIONS)
    if unknown:
        sys.exit(f"Unknown section(s): {', '.join(sorted(unknown))}. Known: {', '.join(SECTIONS)}")
    bootstrap(BENCH_DATABASE_URL)
    print(f"load average: {load_average()}")
    for name, section in SECTIONS.items():
        if name in names or (not names and name != "feeds"):
            section()


if __name__ == "__main__":
    main(sys.argv[1:])
