"""Page times under gunicorn while Redis is hung or down.

Run: .venv/bin/python bench/outage.py

The web process's REDIS_URL (cache, sessions' cache, broker) points at a server in this
process that accepts connections and never answers ("hung"), then at a closed port
("down"). Every main page is requested BENCH_OUTAGE_REQUESTS times (default 200), one at a
time after a few to warm up, by a visitor and by a signed-in person, and RSVPs are posted
(each "going" may queue a confirmation whose publish to the broker fails). Prints p50 and
p99 times and the status codes. Asserts nothing about time. The same run against a
working Redis (BENCH_OUTAGE_REDIS_URL, default redis://127.0.0.1:6379/6, which it FLUSHES)
comes first, for comparison: other work on the machine moves every figure.

Uses its own PostgreSQL database (BENCH_OUTAGE_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_outage), which it creates, migrates and
TRUNCATES.
"""

import http.client
import os
import re
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    bootstrap,
    free_port,
    load_average,
    start_gunicorn,
    stop_process_group,
    truncate,
)

DATABASE_URL = os.environ.get(
    "BENCH_OUTAGE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_outage"
)
REQUESTS = int(os.environ.get("BENCH_OUTAGE_REQUESTS", "200"))
UP_URL = os.environ.get("BENCH_OUTAGE_REDIS_URL", "redis://127.0.0.1:6379/6")
WARM_UP = 6


def hung_redis() -> int:
    """A port that accepts connections and never answers; the connections are kept open."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    held = []

    def accept():
        while True:
            held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


HUNG_URL = f"redis://127.0.0.1:{hung_redis()}/0"
DOWN_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there

bootstrap(DATABASE_URL, REDIS_URL=HUNG_URL, PAGE_CACHE_SECONDS="60")

from allauth.account.models import EmailAddress  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import City, Rsvp, Tweetup  # noqa: E402
from events.services import TweetupDetails, tweetup_create  # noqa: E402
from notifications.models import OutgoingMessage  # noqa: E402


def seed() -> dict:
    truncate(OutgoingMessage, Rsvp, Tweetup, City, User, tables=("django_session",))
    berlin = City.objects.create(
        name="Berlin", country="Germany", slug="berlin", timezone="Europe/Berlin"
    )
    organizer, viewer = (
        User.objects.create(username=name, x_id=str(i), x_username=name, display_name=name)
        for i, name in enumerate(("olga", "vic"), start=1)
    )
    EmailAddress.objects.create(user=viewer, email="vic@example.com", verified=True, primary=True)
    soon = timezone.now() + timedelta(days=3)
    tweetups = [
        tweetup_create(  # its new-tweetup notice can't reach the broker: it waits in the outbox
            organizer=organizer,
            details=TweetupDetails(
                city=berlin,
                title=f"Berlin tweetup {i}",
                venue_name="Café Kreuzberg",
                venue_address="Oranienstraße 1",
                starts_at=soon + timedelta(days=i),
                ends_at=soon + timedelta(days=i, hours=3),
                hashtag=f"BerlinBench{i}",
                capacity=None,
                description="Drinks and talk.",
            ),
        )
        for i in range(8)
    ]
    target = tweetups[0]
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)  # a session row; its cache write fails soft
    return {
        "cookie": f"sessionid={client.cookies['sessionid'].value}",
        "pages": [
            "/",
            "/cities/?city=berlin",
            berlin.get_absolute_url(),
            berlin.get_absolute_url() + "?when=past",
            target.get_absolute_url(),
            target.get_absolute_url() + "wall/",
            "/accounts/login/",
        ],
        "signed_in_pages": ["/mine/", "/new/", "/email/"],
        "rsvp": target.get_absolute_url() + "rsvp/",
    }


def request(port: int, method: str, path: str, headers: dict, body: str = "") -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        content = response.read()
        return response.status, time.perf_counter() - started, content, response
    finally:
        conn.close()


def csrf(port: int, path: str, cookie: str) -> tuple[str, str]:
    """A CSRF token from a page, and the cookie to send with it."""
    status, _, content, response = request(port, "GET", path, {"Cookie": cookie})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    secret = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    return token, f"{cookie}; csrftoken={secret}"


def run(name: str, redis_url: str, data: dict) -> None:
    port = free_port()
    process = start_gunicorn(port, env={"REDIS_URL": redis_url, "DJANGO_LOG_LEVEL": "WARNING"})
    rows, page_times = [], []
    try:
        runs = [(path, "") for path in data["pages"]]
        runs += [(path, data["cookie"]) for path in data["pages"] + data["signed_in_pages"]]
        for path, cookie in runs:
            for _ in range(WARM_UP):  # templates compiled, connections open in both workers
                request(port, "GET", path, {"Cookie": cookie})
            statuses, times = Counter(), []
            for _ in range(REQUESTS):
                status, elapsed, _, _ = request(port, "GET", path, {"Cookie": cookie})
                statuses[status] += 1
                times.append(elapsed)
            rows.append((("signed in " if cookie else "visitor   ") + path, times, statuses))
        token, cookie = csrf(port, data["pages"][4], data["cookie"])
        statuses, times = Counter(), []
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        for i in range(REQUESTS):
            choice = "going" if i % 2 == 0 else "not_going"
            body = f"status={choice}&csrfmiddlewaretoken={token}"
            status, elapsed, _, _ = request(port, "POST", data["rsvp"], headers, body)
            statuses[status] += 1
            times.append(elapsed)
        rows.append(("signed in POST rsvp (plain)", times, statuses))
    finally:
        stop_process_group(process, timeout=15)
    print(f"\nRedis {name} ({redis_url}), {REQUESTS} requests each, one at a time:")
    print(f"  {'page':<44} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
    for label, times, statuses in rows:
        if "POST" not in label:
            page_times += times
        p50, p99 = statistics.median(times), statistics.quantiles(times, n=100)[98]
        codes = " ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
        print(f"  {label:<44} {p50 * 1e3:7.1f} {p99 * 1e3:7.1f} {max(times) * 1e3:7.1f}  {codes}")
    p50, p99 = statistics.median(page_times), statistics.quantiles(page_times, n=100)[98]
    print(f"  every page GET: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms")


def main() -> None:
    print(f"load average at start: {load_average()}")
    data = seed()
    import redis

    up = redis.Redis.from_url(UP_URL)
    up.flushdb()  # the queued tasks and cached pages in it are the bench's own
    run("up", UP_URL, data)
    up.flushdb()
    for name, url in (("hung", HUNG_URL), ("down", DOWN_URL)):
        run(name, url, data)
    queued = OutgoingMessage.objects.filter(status=OutgoingMessage.Status.QUEUED).count()
    print(f"\nconfirmations waiting in the outbox for the broker: {queued}")
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
