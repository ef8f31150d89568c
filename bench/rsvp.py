"""Many people RSVPing to one tweetup at once, over HTTP: latency, throughput, no overbooking.

Run: .venv/bin/python bench/rsvp.py [--users 400] [--capacity 100] [--rounds 3]
                                    [--workers 2] [--threads 1] [--htmx]

Starts gunicorn (sync workers unless --threads > 1) on its own PostgreSQL database
(BENCH_RSVP_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/tweetups_bench_rsvp),
which it creates, migrates and TRUNCATES, with Redis at BENCH_RSVP_REDIS_URL (default
redis://127.0.0.1:6379/7) for sessions, the cache and rate limits, as in production.

Each round, every user (one signed-in session each, its own connection) POSTs "going" to
the same tweetup with `capacity` seats; all requests are released together. Prints p50 and
p99 latency, RSVPs per second (requests / time from release to the last answer), the
status codes, and what the database holds afterwards: going, waitlisted, the stored seat
count, and whether the seats were overbooked or the waitlist lost its order. Asserts
nothing about time.
"""

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

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
    "BENCH_RSVP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_rsvp"
)
REDIS_URL = os.environ.get("BENCH_RSVP_REDIS_URL", "redis://127.0.0.1:6379/7")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--users", type=int, default=400, help="people RSVPing at once")
parser.add_argument("--capacity", type=int, default=100, help="seats, the organizer's included")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread if > 1)")
parser.add_argument("--htmx", action="store_true", help="send HX-Request: the panel comes back")
args = parser.parse_args()

bootstrap(
    DATABASE_URL,
    REDIS_URL=REDIS_URL,
    # Each person posts once a round: the rate limit is not what is measured.
    RSVP_RATE_LIMIT="1000",
    PAGE_CACHE_SECONDS="60",
)

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    load_backend,
)
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import City, Rsvp, Tweetup  # noqa: E402
from notifications.models import OutgoingMessage  # noqa: E402

SessionStore = import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def seed(users: int, capacity: int) -> tuple[Tweetup, list[str], str]:
    """One tweetup in ten days, `users` people, and a signed-in session cookie for each."""
    truncate(OutgoingMessage, Rsvp, Tweetup, City, User, tables=("django_session",))
    city = City.objects.create(
        name="Berlin", country="Germany", slug="berlin", timezone="Europe/Berlin"
    )
    people = User.objects.bulk_create(
        User(username=f"x_{i}", password=make_password(None), x_id=str(10_000 + i))
        for i in range(users + 1)
    )
    organizer, *people = people
    starts_at = timezone.now() + timedelta(days=10)
    tweetup = Tweetup.objects.create(
        city=city,
        organizer=organizer,
        title="The hot tweetup",
        slug="hot",
        venue_name="Biergarten",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        capacity=capacity,
        hashtag="hottweetup",
        going_count=1,
    )
    Rsvp.objects.create(tweetup=tweetup, user=organizer, status=Rsvp.Status.GOING)
    # The backend a session names must load users (as Django's force_login picks it): the
    # first one, django-axes's, only counts failed admin logins.
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret: cookie and field agree
    cookies = []
    for person in people:
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.create()
        cookies.append(f"sessionid={session.session_key}; csrftoken={csrf}")
    return tweetup, cookies, csrf


def reset(tweetup: Tweetup) -> None:
    """Back to the organizer alone, for the next round."""
    Rsvp.objects.filter(tweetup=tweetup).exclude(user_id=tweetup.organizer_id).delete()
    OutgoingMessage.objects.all().delete()
    Tweetup.objects.filter(pk=tweetup.pk).update(going_count=1)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process has used (Linux /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots by the processes in both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def server_pids(server: subprocess.Popen) -> tuple[list[int], list[int]]:
    """gunicorn's processes, and the PostgreSQL backends serving the bench database."""
    gunicorn = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _pgid(int(entry.name)) == server.pid
    ]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return gunicorn, backends


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def one_round(port: int, path: str, cookies: list[str], csrf: str, method: str = "POST") -> dict:
    body = urlencode({"status": "going", "csrfmiddlewaretoken": csrf})
    barrier = threading.Barrier(len(cookies) + 1)
    latencies: list[float] = [0.0] * len(cookies)
    statuses: list[int | str] = [0] * len(cookies)
    finished: list[float] = [0.0] * len(cookies)

    def client(i: int) -> None:
        headers = {
            "Cookie": cookies[i],
            "Content-Type": "application/x-www-form-urlencoded",
            "Host": "127.0.0.1",
        }
        if args.htmx:
            headers["HX-Request"] = "true"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body if method == "POST" else None, headers=headers)
            response = conn.getresponse()
            response.read()
            statuses[i] = response.status
        except (OSError, http.client.HTTPException) as exc:
            statuses[i] = type(exc).__name__
        finished[i] = time.perf_counter()
        latencies[i] = finished[i] - start
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(cookies))]
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = max(finished) - released
    ordered = sorted(latencies)
    return {
        "rate": len(cookies) / elapsed,
        "elapsed": elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000,
        "statuses": Counter(statuses),
    }


def check(tweetup: Tweetup) -> dict:
    tweetup.refresh_from_db()
    rsvps = Rsvp.objects.filter(tweetup=tweetup)
    going = rsvps.going().count()
    waitlisted = list(rsvps.waitlisted())
    positions = [r.waitlist_position for r in waitlisted]
    first_in_line = waitlisted[0].created_at if waitlisted else None
    last_seat = rsvps.going().order_by("-created_at").values_list("created_at", flat=True)[0]
    return {
        "going": going,
        "waitlisted": len(waitlisted),
        "stored": tweetup.going_count,
        "overbooked": going > tweetup.capacity or tweetup.going_count != going,
        "line_in_order": positions == list(range(1, len(waitlisted) + 1))
        and [r.created_at for r in waitlisted] == sorted(r.created_at for r in waitlisted)
        and (first_in_line is None or last_seat < first_in_line),
    }


def main() -> None:
    print(f"load average at start: {load_average()}")
    tweetup, cookies, csrf = seed(args.users, args.capacity)
    path = f"/t/{tweetup.slug}/rsvp/"
    port = free_port()
    server = start_gunicorn(
        port, workers=args.workers, threads=args.threads, options=("--backlog", "4096")
    )
    kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
    print(
        f"{args.users} people RSVP going at once to one tweetup with {args.capacity} seats "
        f"({'htmx' if args.htmx else 'plain form'} POST); gunicorn --workers {args.workers} "
        f"({kind}), PostgreSQL, Redis"
    )
    print(
        f"{'round':<6}{'RSVPs/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'going':>7}{'waitlist':>9}"
        f"{'stored':>8}  overbooked  line kept  statuses"
    )
    rates, cpu_per_rsvp = [], []
    try:
        for number in range(1, args.rounds + 1):
            reset(tweetup)
            gunicorn, backends = server_pids(server)
            before = cpu_seconds(gunicorn), cpu_seconds(backends)
            result = one_round(port, path, cookies, csrf)
            # Backends the round opened were not in the list: counted from the next round.
            after = cpu_seconds(gunicorn), cpu_seconds(backends)
            cpu_per_rsvp.append(
                [cpu_used(a, b) * 1000 / args.users for a, b in zip(before, after, strict=True)]
            )
            state = check(tweetup)
            rates.append(result["rate"])
            statuses = ", ".join(
                f"{k}: {v}" for k, v in sorted(result["statuses"].items(), key=str)
            )
            print(
                f"{number:<6}{result['rate']:>9.0f}{result['p50']:>9.0f}{result['p99']:>9.0f}"
                f"{state['going']:>7}{state['waitlisted']:>9}{state['stored']:>8}"
                f"  {'YES' if state['overbooked'] else 'no':<10}  "
                f"{'yes' if state['line_in_order'] else 'NO':<9}  {statuses}"
            )
        floor = one_round(port, "/_bench/bare-signed-in/", cookies, csrf, method="GET")
    finally:
        stop_process_group(server, timeout=15)
    print(f"best {max(rates):.0f} RSVPs/s, median {statistics.median(rates):.0f}")
    print(
        f"the floor, the same {args.users} people GETting a bare signed-in view at once: "
        f"{floor['rate']:.0f} req/s, p50 {floor['p50']:.0f} ms, p99 {floor['p99']:.0f} ms"
    )
    # The machine's other work slows the rounds; CPU time per RSVP mostly isn't. Round 1
    # misses the backends it opened, so the figure is from the later rounds.
    web, database = cpu_per_rsvp[-1]
    print(
        f"CPU per RSVP (last round): gunicorn {web:.2f} ms, PostgreSQL {database:.2f} ms: "
        f"on {os.cpu_count()} idle cores at most ~{os.cpu_count() * 1000 / (web + database):.0f}"
        " RSVPs/s (the client's own CPU not counted)"
    )
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
