"""Tweetups found in posts (events/found/, docs/found.md).

Once a UTC day, each active city (a tweetup coming up, or one within FOUND_ACTIVE_DAYS)
has its recent posts searched for tweetup talk. Beat starts a run this often: each city
is read once a day, later runs retry what failed (at most FOUND_MAX_ATTEMPTS times a day)
and pick up cities that became active.
"""

from tweetups.settings.base import env

FOUND_SCAN_INTERVAL_SECONDS = env.int("FOUND_SCAN_INTERVAL_SECONDS", default=3600)
FOUND_ACTIVE_DAYS = env.int("FOUND_ACTIVE_DAYS", default=30)
# Posts read per UTC day, counted as X bills them (also against the sync's monthly budget):
# at $0.005 a post, 2,000 posts cost at most $10 a day.
FOUND_DAILY_POST_READ_CAP = env.int("FOUND_DAILY_POST_READ_CAP", default=2000)
# How far back a city's first read goes (later ones start where the last one ended).
FOUND_LOOKBACK_HOURS = env.int("FOUND_LOOKBACK_HOURS", default=36)
# A day named further ahead than this is not suggested.
FOUND_MAX_DAYS_AHEAD = env.int("FOUND_MAX_DAYS_AHEAD", default=60)
FOUND_MAX_ATTEMPTS = env.int("FOUND_MAX_ATTEMPTS", default=3)
# A run ends within this many seconds however slowly X answers; what it didn't reach is
# read by the next run. A run killed mid-way is taken over after the lease.
FOUND_RUN_SECONDS = env.int("FOUND_RUN_SECONDS", default=300)
FOUND_CLAIM_LEASE_SECONDS = FOUND_RUN_SECONDS + 120
