"""This process's copies of the page cache's entries (tweetups/page_cache.py).

An entry there never changes under its versions: a write makes new versions instead of
changing what was stored. So a process may keep a copy of an entry it read or stored and
use it while the versions it reads from the shared cache, in the same round trip as ever,
say the entry is current: the tens of kilobytes of a frame, a part or a visitor's page
then need not cross from Redis and be unpickled on every request. Freshness is the shared
cache's: a write shows at once, because the versions are always read from there.

Copies are few (PAGE_CACHE_LOCAL_ENTRIES, the least recently used go first) and no older
than the entry they copy may be (PAGE_CACHE_SECONDS from when it was made), so what no
write announces is no staler than the shared cache would serve it.
"""

import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.cache import cache


class Copies:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get_many(self, keys) -> dict[str, Any]:
        """The copies of `keys` this process has, and still may use."""
        now, found = time.time(), {}
        with self._lock:
            for key in keys:
                copy = self._entries.get(key)
                if copy is None:
                    continue
                if copy[0] <= now:
                    del self._entries[key]
                    continue
                self._entries.move_to_end(key)
                found[key] = copy[1]
        return found

    def put_many(self, entries: dict[str, Any], *, made_at: dict[str, float]) -> None:
        """Copy `entries`, each made at `made_at[key]` (a time.time())."""
        limit = settings.PAGE_CACHE_LOCAL_ENTRIES
        if limit <= 0:
            return
        with self._lock:
            for key, entry in entries.items():
                self._entries[key] = (made_at[key] + settings.PAGE_CACHE_SECONDS, entry)
                self._entries.move_to_end(key)
            while len(self._entries) > limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


copies = Copies()


def read(versioned: list[str], others: list[str]) -> tuple[dict, dict, set[str]]:
    """The `versioned` entries (this process's copies where it has them, else the shared
    cache's) and what the shared cache holds of them and of the `others`, in one round
    trip; and which entries are copies."""
    copied = copies.get_many(versioned)
    found = cache.get_many([*others, *(key for key in versioned if key not in copied)])
    _copy({key: found[key] for key in versioned if key in found})
    return {key: found[key] for key in versioned if key in found} | copied, found, set(copied)


def read_shared(keys: list[str]) -> dict:
    found = cache.get_many(keys)
    _copy(found)
    return found


def _copy(read: dict[str, tuple]) -> None:
    """Copy entries read from the shared cache, each as long as it may live there (an entry
    from before copies were kept carries no time: it is not copied)."""
    stamped = {key: entry for key, entry in read.items() if len(entry) > 2}
    copies.put_many(stamped, made_at={key: entry[-1] for key, entry in stamped.items()})


def store(entries: dict[str, tuple]) -> None:
    """Keep `entries` ((versions, value) each) in the shared cache and copy them here, each
    stamped with when it was made (copies last no longer than the shared cache keeps it)."""
    now = time.time()
    stamped = {key: (*entry, now) for key, entry in entries.items()}
    cache.set_many(stamped, settings.PAGE_CACHE_SECONDS)
    copies.put_many(stamped, made_at=dict.fromkeys(stamped, now))
