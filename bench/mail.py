"""Fan-out of a new-tweetup notice to 10,000 followers of a city, through a local SMTP server.

Run: .venv/bin/python bench/mail.py

One Celery worker (`--pool solo`: one process, one task at a time) on Redis expands the
broadcast and sends every message to an aiosmtpd server in this process. Prints messages
per second, SQL queries per message (measured in-process on a sample, the same code the
worker runs), and the worker's peak memory (VmHWM). Asserts nothing about time.

Uses its own PostgreSQL database (BENCH_MAIL_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/tweetups_bench_mail), which it creates, migrates and
TRUNCATES, and its own Redis database (BENCH_MAIL_REDIS_URL, default
redis://127.0.0.1:6379/5, outside the 8-15 the test workers take), which it FLUSHES.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    REPO_ROOT,
    bootstrap,
    free_port,
    load_average,
    stop_process_group,
    truncate,
)

FOLLOWERS = int(os.environ.get("BENCH_MAIL_FOLLOWERS", "10000"))
SAMPLE = 300  # messages re-sent in-process to count queries
DATABASE_URL = os.environ.get(
    "BENCH_MAIL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tweetups_bench_mail"
)
REDIS_URL = os.environ.get("BENCH_MAIL_REDIS_URL", "redis://127.0.0.1:6379/5")
BATCH = 5000


class CountingSink:
    """An SMTP server that counts what it accepts (and keeps nothing)."""

    def __init__(self):
        self.count = 0
        self.first_at = self.last_at = None
        self.done = threading.Condition()
        self.target = None

    async def handle_DATA(self, server, session, envelope):
        with self.done:
            self.count += 1
            now = time.monotonic()
            self.first_at = self.first_at or now
            self.last_at = now
            if self.target is not None and self.count >= self.target:
                self.done.notify_all()
        return "250 OK"


SMTP_PORT = free_port()
bootstrap(
    DATABASE_URL,
    settings_module=os.environ.get("BENCH_MAIL_SETTINGS", "bench.settings"),
    REDIS_URL=REDIS_URL,
    EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
    SITE_URL="http://127.0.0.1:8000",
    CELERY_TASK_ALWAYS_EAGER="false",
)

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from events.models import City, Rsvp, Tweetup  # noqa: E402
from events.services import TweetupDetails, tweetup_create  # noqa: E402
from notifications.delivery import outgoing_message_send  # noqa: E402
from notifications.models import Broadcast, CityFollow, MessageKind, OutgoingMessage  # noqa: E402
from notifications.outbox import broadcast_expand  # noqa: E402
from notifications.tasks import send_outgoing_message  # noqa: E402
from tweetups.celery import app  # noqa: E402


def wipe() -> None:
    truncate(OutgoingMessage, Broadcast, CityFollow, EmailAddress, Rsvp, Tweetup, City, User)
    redis.Redis.from_url(REDIS_URL).flushdb()


def seed() -> tuple[City, User]:
    berlin = City.objects.create(
        name="Berlin", country="Germany", slug="berlin", timezone="Europe/Berlin"
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        (
            User(
                username=f"x_{i}",
                password=password,
                x_id=str(10_000 + i),
                x_username=f"follower{i}",
                display_name=f"Follower {i}",
            )
            for i in range(FOLLOWERS + 1)
        ),
        batch_size=BATCH,
    )
    organizer, followers = users[0], users[1:]
    EmailAddress.objects.bulk_create(
        (
            EmailAddress(user=u, email=f"{u.username}@example.com", verified=True, primary=True)
            for u in users
        ),
        batch_size=BATCH,
    )
    CityFollow.objects.bulk_create(
        (CityFollow(user=u, city=berlin) for u in followers), batch_size=BATCH
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return berlin, organizer


def start_worker() -> subprocess.Popen:
    log = open(REPO_ROOT / "var" / "bench-mail-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tweetups",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"bench-mail-{os.getpid()}@%h",
            *os.environ.get("BENCH_MAIL_WORKER_ARGS", "").split(),  # e.g. --pool prefork
        ],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}; see {log.name}")
        if app.control.ping(timeout=0.5):
            return process
    raise RuntimeError("the worker did not answer a ping within 60 s")


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    print(f"load average at start: {load_average()}")
    (REPO_ROOT / "var").mkdir(exist_ok=True)
    sink = CountingSink()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    smtp = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()

    t0 = time.monotonic()
    wipe()
    berlin, organizer = seed()
    print(f"seeded {FOLLOWERS:,} followers of Berlin with verified addresses in "
          f"{time.monotonic() - t0:.1f} s")  # fmt: skip

    worker = start_worker()
    try:
        sink.target = FOLLOWERS
        starts = timezone.now() + timedelta(days=10)
        started = time.monotonic()
        tweetup = tweetup_create(  # commits, then enqueues the expansion
            organizer=organizer,
            details=TweetupDetails(
                city=berlin,
                title="The big Berlin tweetup",
                venue_name="Biergarten",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                hashtag="BenchMail",
            ),
        )
        with sink.done:
            if not sink.done.wait_for(lambda: sink.count >= FOLLOWERS, timeout=1800):
                raise RuntimeError(f"only {sink.count} of {FOLLOWERS} mails arrived")
        finished = time.monotonic()
        received, sending = sink.count, sink.last_at - sink.first_at
        peak = peak_memory_mib(worker.pid)
    finally:
        stop_process_group(worker, timeout=30)

    broadcast = Broadcast.objects.get(tweetup=tweetup, kind=MessageKind.NEW_TWEETUP)
    expansion = (broadcast.expanded_at - broadcast.created_at).total_seconds()
    sent = OutgoingMessage.objects.filter(broadcast=broadcast, status="sent").count()
    total = finished - started

    # Queries per message: the worker's code, in this process, on a sample re-queued.
    sample = list(
        OutgoingMessage.objects.filter(broadcast=broadcast).values_list("pk", flat=True)[:SAMPLE]
    )
    OutgoingMessage.objects.filter(pk__in=sample).update(status="queued", attempts=0)
    sample_started = time.monotonic()
    with CaptureQueriesContext(connection) as ctx:
        for pk in sample:
            outgoing_message_send(message_id=pk)
    in_process_ms = (time.monotonic() - sample_started) * 1000 / len(sample)
    per_message = len(ctx.captured_queries) / len(sample)
    query_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000 / len(sample)
    kinds = {}
    for q in ctx.captured_queries[: len(ctx.captured_queries) // len(sample)]:
        verb = q["sql"].split()[0].upper()
        kinds[verb] = kinds.get(verb, 0) + 1

    # The expansion's queries: the same broadcast expanded again, sends not enqueued.
    OutgoingMessage.objects.filter(broadcast=broadcast).delete()
    Broadcast.objects.filter(pk=broadcast.pk).update(expanded_at=None)
    send_outgoing_message.delay = lambda message_id: None
    expand_started = time.monotonic()
    with CaptureQueriesContext(connection) as ctx:
        written = broadcast_expand(broadcast_id=broadcast.pk)
    expand_in_process = time.monotonic() - expand_started
    smtp.stop()

    print()
    print(f"New-tweetup notice to {FOLLOWERS:,} followers, one worker (--pool solo), Redis broker,")
    print("Django's SMTP backend (one connection kept open per worker) to aiosmtpd on localhost")
    print(f"  mails received           {received:,} ({sent:,} rows marked sent)")
    print(f"  commit to last mail      {total:.1f} s")
    print(f"  expansion (rows written) {expansion:.1f} s for {FOLLOWERS:,} rows")
    print(f"  sending                  {sending:.1f} s")
    print(f"  messages per second      {received / total:.0f} overall, "
          f"{received / sending:.0f} while sending")  # fmt: skip
    print(f"  SQL queries per message  {per_message:.2f} "
          f"({', '.join(f'{n} {verb}' for verb, n in sorted(kinds.items()))})")  # fmt: skip
    print(f"  time per message         {in_process_ms:.1f} ms in-process, of which SQL "
          f"{query_ms:.1f} ms (sample of {len(sample)})")  # fmt: skip
    print(f"  expansion queries        {len(ctx.captured_queries)} for {written:,} messages "
          f"({expand_in_process:.1f} s in-process)")  # fmt: skip
    print(f"  worker peak memory       {peak:.0f} MiB (VmHWM)")
    print()
    print("Summary (paste into the closing note)")
    print("| followers | msg/s overall | msg/s sending | queries/msg | expansion | peak RSS |")
    print("|-----------|---------------|---------------|-------------|-----------|----------|")
    print(f"| {FOLLOWERS:>9,} | {received / total:>13.0f} | {received / sending:>13.0f} "
          f"| {per_message:>11.2f} | {expansion:>7.1f} s | {peak:>4.0f} MiB |")  # fmt: skip


if __name__ == "__main__":
    main()
