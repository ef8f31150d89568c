"""Production-like settings for the benchmarks in bench/: DEBUG off, its own database.

The database comes from BENCH_DATABASE_URL, never DATABASE_URL, so a benchmark that
truncates tables cannot point at a developer's or a real database by accident.
"""

import warnings

import environ

from tweetups.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

DATABASES = {
    "default": {
        **environ.Env().db(
            "BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/tweetups_bench"
        ),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # The web's bounded waits, as tweetups.settings sets them for PostgreSQL.
        "OPTIONS": {
            "options": f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"  # noqa: F405
            f" -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"  # noqa: F405
        },
    }
}

# Plain storage: the manifest storage would need `collectstatic` first, and hashing
# file names costs a dictionary lookup per {% static %}, not something worth measuring.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# WhiteNoise warns at start-up that STATIC_ROOT is missing; the finders serve static here.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
