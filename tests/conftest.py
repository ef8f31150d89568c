import os

import pytest
from django.db import connection

from tests.factories import CityFactory, TweetupFactory, UserFactory
from tweetups.page_copies import copies

pytest_plugins = [
    "tests.fixtures_x",
    "tests.fixtures_celery",
    "tests.fixtures_sync",
    "tests.fixtures_mail",
]

# CI sets this: a test that needs PostgreSQL, Redis or the browser then fails instead of skipping.
REQUIRE_ALL = os.environ.get("TWEETUPS_REQUIRE_ALL_SERVICES") == "1"


def skip_or_fail(reason: str):
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    # A fresh in-process cache per test, so rate-limit counters don't leak between tests.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }
    copies.clear()  # this process's copies of cached pages: of the last test's cache


@pytest.fixture(autouse=True)
def _broker_reachable(monkeypatch):
    # A refused publish makes the process skip the broker for a few seconds
    # (tweetups.celery.publish_on_commit): each test starts with a broker that answers.
    import tweetups.celery

    monkeypatch.setattr(tweetups.celery, "_broker", {"skip_until": 0.0, "logged_at": None})


@pytest.fixture(autouse=True)
def _marked_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        skip_or_fail("needs Redis: set REDIS_URL=redis://…")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def berlin(db):
    return CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")


@pytest.fixture
def tweetup(db, berlin, user):
    return TweetupFactory(city=berlin, organizer=user)
