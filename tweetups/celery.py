import logging
import os
import time
from collections.abc import Callable

from celery import Celery
from django.db import transaction
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tweetups.settings")

app = Celery("tweetups")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
BROKER_LOG_SECONDS = 60.0
_broker_logged_at: float | None = None


def publish_on_commit(publish: Callable[[], object]) -> None:
    """Call `publish` (which enqueues tasks) once the current transaction commits.

    The change stands whatever happens to the publish. With the broker down or hung it gives
    up within REDIS_TIMEOUT_SECONDS, the page still answers, the outage is logged once a
    minute (not once per request), and what wasn't enqueued waits in the database for the
    beat sweep. Any other error is logged with its traceback (robust on_commit).
    """
    transaction.on_commit(lambda: _publish(publish), robust=True)


def _publish(publish: Callable[[], object]) -> None:
    global _broker_logged_at
    try:
        publish()
    except OperationalError as error:  # kombu's "can't reach the broker"
        now = time.monotonic()
        if _broker_logged_at is None or now - _broker_logged_at >= BROKER_LOG_SECONDS:
            _broker_logged_at = now
            logger.warning("Celery broker unreachable (%s): tasks wait for the sweep", error)
