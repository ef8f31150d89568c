import functools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.contrib.django.task import DjangoTask
from celery.signals import celeryd_init
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tweetups.settings")


class Task(DjangoTask):
    """Every task's class: enqueueing once a transaction commits never fails the request.

    If the broker is down or hung, the change still stands and the page still loads
    (`publish_on_commit`); what the task would have done waits in the database for a sweep
    (notifications.sweep re-enqueues every unsent message and unexpanded broadcast).
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        publish_on_commit(functools.partial(self.delay, *args, **kwargs))

    def delay_each_on_commit(self, ids) -> None:
        """`delay(pk)` for each id once the transaction commits, in one callback.

        One callback, so with the broker down the first failure ends it, rather than
        every id waiting out a connection timeout of its own.
        """
        if ids := list(ids):
            publish_on_commit(functools.partial(self.delay_each, ids))

    def delay_each(self, ids) -> None:
        for pk in ids:
            self.delay(pk)


app = Celery("tweetups", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks that enqueue other tasks sit in modules of their own, above the services that
# enqueue tasks.py's, so no module imports one that imports it back (tests/test_import_cycles.py).
app.autodiscover_tasks(related_name="broadcast_tasks")
app.autodiscover_tasks(related_name="periodic")


@app.on_after_configure.connect
def create_broker_folders(sender: Celery, source, **kwargs) -> None:
    """The file-system broker (no REDIS_URL) needs its folders before the first task is sent.

    A fresh clone has no var/: without this, whatever enqueues first (seed_demo, the web
    server, the worker) fails with FileNotFoundError. Redis needs nothing here.
    """
    if not str(source.broker_url or "").startswith("filesystem:"):
        return
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


class Scheduler(PersistentScheduler):
    """Celery's file-backed beat schedule, in a folder it creates if it has to.

    `celery -A tweetups worker -B` from a fresh clone would otherwise run without beat:
    beat dies on the missing var/ folder while the worker goes on, and nothing syncs.
    """

    def _open_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open_schedule()


@celeryd_init.connect
def _longer_database_waits(**kwargs):
    """Workers may wait on locks and statements longer than web requests (DB_WORKER_* in
    settings). Set before the worker opens a connection, and inherited by its pool."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {})["options"] = (
            f"-c lock_timeout={settings.DB_WORKER_LOCK_TIMEOUT_MS}"
            f" -c statement_timeout={settings.DB_WORKER_STATEMENT_TIMEOUT_MS}"
        )


logger = logging.getLogger(__name__)
BROKER_RETRY_SECONDS = 5.0  # how long a process publishes nothing after a failed publish
BROKER_LOG_SECONDS = 60.0
_broker = {"skip_until": 0.0, "logged_at": None}


def publish_on_commit(publish: Callable[[], object]) -> None:
    """Call `publish` (which enqueues tasks) once the current transaction commits, for
    tasks whose rows a beat sweep finds again if they are never enqueued.

    The change stands whatever happens to the publish. With the broker down or hung it gives
    up within REDIS_TIMEOUT_SECONDS, the page still answers, and for the next few seconds
    this process doesn't try again (a hung broker costs one timeout, not one per request).
    The outage is logged once a minute; any other error with its traceback (robust).
    """
    transaction.on_commit(lambda: _publish(publish), robust=True)


def _publish(publish: Callable[[], object]) -> None:
    now = time.monotonic()
    if now < _broker["skip_until"]:
        return
    try:
        publish()
    except OperationalError as error:  # kombu's "can't reach the broker"
        _broker["skip_until"] = now + BROKER_RETRY_SECONDS
        logged_at = _broker["logged_at"]
        if logged_at is None or now - logged_at >= BROKER_LOG_SECONDS:
            _broker["logged_at"] = now
            logger.warning(
                "Celery broker unreachable (%s): tasks wait for the sweep; trying again in %g s",
                error,
                BROKER_RETRY_SECONDS,
            )
