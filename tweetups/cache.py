"""Django's Redis cache, made an accelerator that no page depends on.

Redis down or hung: each call gives up within REDIS_TIMEOUT_SECONDS (no retries), and the
cache then acts as an empty one that keeps nothing: reads miss, `add`, `touch` and `delete`
answer False, `incr` raises ValueError as for a missing key. So sessions and cached pages
fall through to the database, and the rate limiter lets people through. After a failure
the process leaves Redis alone for RETRY_SECONDS: a hung Redis costs one timeout every few
seconds per process, not one per call. The outage is logged once a minute.

Writes are lost while Redis is away, and a lost delete is a lost invalidation (a sign-out,
a page to forget): once Redis answers again, the process first deletes every key it failed
to write, so nothing older than the outage comes back. A process that dies during the
outage can't; what it failed to delete lives out its cache timeout.

Django builds a new `redis.Redis` for every cache call, and building one fills its table
of about 170 response callbacks: a tenth of a millisecond, paid by every session read and
cached page. A client is thread-safe (connections come from its pool), so one is enough.
"""

import logging
import threading
import time
from functools import partial

import redis as redis_py
from django.conf import settings
from django.core.cache.backends import redis

logger = logging.getLogger(__name__)

UNREACHABLE = (redis_py.ConnectionError, redis_py.TimeoutError, OSError)
RETRY_SECONDS = 5.0  # how long a process leaves Redis alone after a failure
LOG_SECONDS = 60.0
MAX_UNWRITTEN_KEYS = 10_000  # about 1 MB per process
_MISSED = object()


class Outage:
    """What one process knows about one Redis server's availability. Django makes a cache
    object per thread; this is shared by all of them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.skip_until = 0.0
        self.logged_at: float | None = None
        self.down = False
        self.reported = False  # this outage was logged: log its end too
        self.unwritten: set[str] = set()
        self.overflowed = False

    def skipping(self) -> bool:
        return time.monotonic() < self.skip_until

    def failed(self, error: Exception, keys) -> None:
        now = time.monotonic()
        with self.lock:
            self.skip_until = now + RETRY_SECONDS
            self.down = True
            self._remember(keys)
            quiet = self.logged_at is not None and now - self.logged_at < LOG_SECONDS
            if not quiet:
                self.logged_at = now
                self.reported = True
        if not quiet:
            logger.warning(
                "Redis cache unreachable (%s): serving without it, trying again every %g s",
                error,
                RETRY_SECONDS,
            )

    def skipped(self, keys) -> None:
        if keys:
            with self.lock:
                self._remember(keys)

    def _remember(self, keys) -> None:
        new = [key for key in keys if key not in self.unwritten]
        room = max(MAX_UNWRITTEN_KEYS - len(self.unwritten), 0)
        if len(new) > room:
            self.overflowed = True
        self.unwritten.update(new[:room])

    def take_unwritten(self) -> tuple[list[str], bool]:
        with self.lock:
            keys, overflowed = list(self.unwritten), self.overflowed
            self.unwritten, self.overflowed = set(), False
        return keys, overflowed

    def recovered(self) -> None:
        with self.lock:
            reported, self.down, self.reported = self.reported, False, False
        if reported:
            logger.info("Redis cache reachable again")


_outages: dict[tuple[str, ...], Outage] = {}


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, servers, **options):
        timeout = settings.REDIS_TIMEOUT_SECONDS
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, **options}
        super().__init__(servers, **options)
        self.outage = _outages.setdefault(tuple(servers), Outage())

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        if (client := clients.get(id(pool))) is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _soft(self, call, missed, written=()):
        """`call()`, or `missed` if Redis can't be reached; `written` are the keys it writes."""
        outage = self.outage
        if outage.skipping():
            outage.skipped(written)
            return missed
        try:
            if outage.unwritten:
                self._delete_unwritten()
            result = call()
        except UNREACHABLE as error:
            outage.failed(error, written)
            return missed
        if outage.down:
            outage.recovered()
        return result

    def _delete_unwritten(self) -> None:
        keys, overflowed = self.outage.take_unwritten()
        try:
            for start in range(0, len(keys), 1000):
                super().delete_many(keys[start : start + 1000])
        except UNREACHABLE:
            self.outage.skipped(keys)
            raise
        if overflowed:
            logger.warning(
                "More than %d cache keys went unwritten while Redis was away: the others "
                "may be served stale until they expire",
                MAX_UNWRITTEN_KEYS,
            )

    def add(self, key, value, timeout):
        return self._soft(partial(super().add, key, value, timeout), False, [key])

    def get(self, key, default):
        return self._soft(partial(super().get, key, default), default)

    def set(self, key, value, timeout):
        self._soft(partial(super().set, key, value, timeout), None, [key])

    def touch(self, key, timeout):
        return self._soft(partial(super().touch, key, timeout), False, [key])

    def delete(self, key):
        return self._soft(partial(super().delete, key), False, [key])

    def get_many(self, keys):
        return self._soft(partial(super().get_many, keys), {})

    def has_key(self, key):
        return self._soft(partial(super().has_key, key), False)

    def incr(self, key, delta):
        result = self._soft(partial(super().incr, key, delta), _MISSED, [key])
        if result is _MISSED:
            raise ValueError(f"Key {key!r} not found: Redis is unreachable.")
        return result

    def count(self, key, timeout):
        """One more at the counter `key`, made to expire in `timeout` seconds if new: one
        round trip (Django's add and incr take three)."""

        def call():
            pipeline = self.get_client(key, write=True).pipeline(transaction=False)
            pipeline.set(key, self._serializer.dumps(0), ex=timeout, nx=True)
            pipeline.incr(key)
            return pipeline.execute()[1]

        result = self._soft(call, _MISSED, [key])
        if result is _MISSED:
            raise ValueError(f"Key {key!r} not counted: Redis is unreachable.")
        return result

    def set_many(self, data, timeout):
        self._soft(partial(super().set_many, data, timeout), None, list(data))

    def delete_many(self, keys):
        self._soft(partial(super().delete_many, keys), None, list(keys))


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key, timeout, version=None):
        """See RedisCacheClient.count; the rate limiter's counter."""
        return self._cache.count(self.make_and_validate_key(key, version=version), timeout)
