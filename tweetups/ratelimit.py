"""A fixed-window counter in the shared cache (Redis in production), so every web
process sees the same count for a user.

It fails open: with Redis away the cache keeps nothing (tweetups/cache.py), `incr` finds
no key, and every action counts as the window's first. Slowing abuse is not worth
turning people away for.
"""

import time

from django.core.cache import cache


def hit(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one action; False once `limit` actions happened in the current window."""
    window = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    try:
        if hasattr(cache, "count"):  # Redis (tweetups/cache.py): one round trip
            count = cache.count(cache_key, window_seconds + 1)
        else:  # the development caches
            cache.add(cache_key, 0, timeout=window_seconds + 1)
            count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or Redis is away
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        count = 1
    return count <= limit
