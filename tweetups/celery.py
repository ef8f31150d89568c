import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tweetups.settings")

app = Celery("tweetups")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
