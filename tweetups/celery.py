import functools
import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.contrib.django.task import DjangoTask
from celery.signals import celeryd_init
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tweetups.settings")


class Task(DjangoTask):
    """Every task's class: enqueueing once a transaction commits never fails the request.

    on_commit(robust=True): if the broker is down, the change still stands and the page
    still loads; what the task would have done waits in the database for a sweep
    (notifications.sweep re-enqueues every unsent message and unexpanded broadcast).
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.delay, *args, **kwargs), robust=True)

    def delay_each_on_commit(self, ids) -> None:
        """`delay(pk)` for each id once the transaction commits, in one callback.

        One callback, so with the broker down the first failure ends it, rather than
        every id waiting out a connection timeout of its own.
        """
        if ids := list(ids):
            transaction.on_commit(functools.partial(self.delay_each, ids), robust=True)

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
