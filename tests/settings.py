"""The production settings, less what needs HTTPS: tests talk plain HTTP to the test
client and the live server, and the live server builds its middleware once, before any
per-test override could reach it."""

from tweetups.settings import *  # noqa: F403
from tweetups.settings import STORAGES

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# No collectstatic in tests: serve static files by name, not from a manifest.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
