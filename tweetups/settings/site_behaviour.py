"""What the site does for people: RSVP limits, page sizes, the page cache, the wall."""

from tweetups.settings.base import DEBUG, env

# --- Site behaviour -------------------------------------------------------------
RSVP_RATE_LIMIT = env.int("RSVP_RATE_LIMIT", default=20)  # posts per user per window
RSVP_RATE_WINDOW_SECONDS = env.int("RSVP_RATE_WINDOW_SECONDS", default=60)
TWEETUPS_PER_PAGE = 20
# Pages served from the cache to visitors who are not signed in (tweetups/page_cache.py);
# writes refresh them at once, this bounds the rest. 0 turns the cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if DEBUG else 60)
# How long a shared HTTP cache or CDN in front (s-maxage) may serve a visitor page without
# asking again; browsers always ask, and an unchanged page costs them a 304.
PAGE_CACHE_SHARED_SECONDS = env.int("PAGE_CACHE_SHARED_SECONDS", default=10)
# Each process keeps copies of this many cached pages and parts it used last, checked
# against the shared cache's versions on every use (tweetups/page_copies.py). 0: none.
PAGE_CACHE_LOCAL_ENTRIES = env.int("PAGE_CACHE_LOCAL_ENTRIES", default=500)
WALL_POSTS_PER_PAGE = 20
WALL_POLL_SECONDS = env.int("WALL_POLL_SECONDS", default=15)  # how often an open wall asks
# Each poll names the posts still shown, back to the oldest the open wall has, up to this
# many: the wall drops the others (deleted on X, hidden, ...). Older ones stay till reload.
WALL_POLL_CHECKS_POSTS = 500
