"""The rate limiter's counter in Redis (tweetups/ratelimit.py, tweetups/cache.py): counted
across processes in one round trip, the window's key expiring with the window, and open
when Redis is away."""

import os

import pytest
import redis as redis_py

from tests.redis_faults import closed_port_url
from tweetups import ratelimit

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache(settings, request):
    url = os.environ.get("REDIS_URL", "")
    settings.CACHES = {
        "default": {
            "BACKEND": "tweetups.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-ratelimit-{os.getpid()}-{request.node.name}",
        }
    }
    yield redis_py.Redis.from_url(url)


def hit(key="7", limit=3, window=60):
    return ratelimit.hit(scope="rsvp", key=key, limit=limit, window_seconds=window)


def test_the_limit_holds_per_person_and_the_window_expires(redis_cache):
    assert [hit() for _ in range(5)] == [True, True, True, False, False]
    assert hit(key="8")  # someone else counts apart

    (key,) = [k for k in redis_cache.scan_iter("*ratelimit:rsvp:7:*")]
    assert int(redis_cache.get(key)) == 5
    assert 0 < redis_cache.ttl(key) <= 61
    redis_cache.delete(key)  # the window passed
    assert hit()


def test_it_lets_people_through_when_redis_is_down(settings):
    settings.CACHES = {
        "default": {"BACKEND": "tweetups.cache.RedisCache", "LOCATION": closed_port_url()}
    }
    assert [hit(limit=1) for _ in range(3)] == [True, True, True]
