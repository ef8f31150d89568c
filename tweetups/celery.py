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
