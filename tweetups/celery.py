import functools
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
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
