import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tweetups.settings")

app = Celery("tweetups")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
