"""Redis, the cache and Celery: Redis when REDIS_URL is set, else files under var/."""

from tweetups.settings.base import VAR_DIR, env

# --- Redis, cache, Celery -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Redis is an accelerator, never a dependency of a page: a cache call (tweetups/cache.py) or
# a publish to the broker that gets no answer within this gives up, and the site goes on
# without it (cache misses fall through to the database; mail waits in the outbox).
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.1)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "tweetups.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every process on one machine, so rate limits hold across workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "tweetups.celery:Scheduler"  # creates var/ (the broker folders: ditto)
# At-least-once delivery: a task is acknowledged only once it has finished, goes back to the
# queue if its worker dies, and a worker reserves one task at a time. The hard time limit and
# the longest countdown a task is rescheduled with (X's 15-minute rate window) stay well
# below Redis's visibility timeout, so Redis never hands a task that is still running, or
# still waiting out its countdown, to a second worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }
# A publish the broker doesn't take is tried once more, at once, then raises: enqueuing on
# commit is robust (notifications/services.py), so the page still answers and the beat
# sweep enqueues the outbox's mail again. Workers reconnect on their own schedule.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}
