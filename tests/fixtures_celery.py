"""Fixtures for the Celery tests.

- `celery_eager`: tasks run in the calling process (`delay` runs at once; errors propagate).
- `celery_workers`: real `celery -A tweetups worker` processes against Redis and the test
  database (PostgreSQL), on a Redis database of their own so other runs' workers and tasks
  stay out. `celery_workers.start(x_api_base_url=...)` starts one and waits until it is
  ready; `celery_workers.send("events.tasks.sync_cycle")` queues a task for them;
  `worker.kill()` SIGKILLs it and its pool; `worker.kill_pool_child()` only the process
  running tasks. Needs `@pytest.mark.django_db(transaction=True)` so the workers see the
  test's rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
LOCK_KEY = "tweetups:test-celery-workers"
WORKER_DATABASES = range(15, 7, -1)  # Redis databases the workers may take, one per run
START_SECONDS = 60


def wait_until(condition: Callable[[], object], *, timeout: float = 30, what: str = "") -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


@pytest.fixture
def celery_eager():
    from tweetups.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def _database_url() -> str:
    """The test database as a URL (pytest-django's `test_<name>`, maybe with a suffix)."""
    db = connection.settings_dict
    credentials = db["USER"] or ""
    if db["PASSWORD"]:
        credentials += f":{db['PASSWORD']}"
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


class Worker:
    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, *, timeout: float = START_SECONDS) -> None:
        try:
            wait_until(
                lambda: any(text in line for line in self.lines) or self.process.poll() is not None,
                timeout=timeout,
                what=repr(text),
            )
        except AssertionError:
            raise AssertionError(f"worker never said {text!r}:\n{self.output}") from None
        if not any(text in line for line in self.lines):
            raise AssertionError(f"worker exited ({self.process.returncode}):\n{self.output}")

    def pool_children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_pool_child(self) -> int:
        (child,) = self.pool_children()
        os.kill(child, signal.SIGKILL)
        return child

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)


class CeleryWorkers:
    def __init__(self, broker_url: str):
        self.broker_url = broker_url
        self.workers: list[Worker] = []

    def start(self, *, x_api_base_url: str, **environment: str) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": self.broker_url,
            "X_API_BASE_URL": x_api_base_url,
            "X_BEARER_TOKEN": django_settings.X_BEARER_TOKEN,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
            **environment,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tweetups",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"sync-test-{uuid.uuid4().hex[:8]}@%h",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # so kill() takes the pool processes along
        )
        worker = Worker(process)
        self.workers.append(worker)
        worker.wait_for(" ready.")
        return worker

    def send(self, task_name: str, *args) -> None:
        """Queue a task by name, as beat or another process would."""
        from celery import Celery

        # Not the current app: shared tasks would resolve to it for the rest of the run.
        producer = Celery("tweetups-test-producer", broker=self.broker_url, set_as_current=False)
        try:
            producer.send_task(task_name, args=args)
        finally:
            producer.close()

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.kill()


@pytest.fixture
def celery_workers():
    import redis

    base = os.environ.get("REDIS_URL")
    if not base:
        pytest.skip("needs Redis")  # the redis marker reports it; this keeps teardown sane
    parts = urlsplit(base)
    chosen, client = None, None
    for number in WORKER_DATABASES:
        url = urlunsplit(parts._replace(path=f"/{number}"))
        client = redis.Redis.from_url(url)
        if client.set(LOCK_KEY, "taken", nx=True, ex=900):
            chosen = url
            break
        client.close()
    if chosen is None:
        pytest.fail("every Redis database for test workers is taken by another run")
    # Leftovers of a run that crashed are not this run's business.
    client.flushdb()
    client.set(LOCK_KEY, "taken", ex=900)
    workers = CeleryWorkers(chosen)
    try:
        yield workers
    finally:
        workers.stop_all()
        client.flushdb()
        client.close()
