"""Reading hashtags from X onto walls (events/sync/), and what X's terms ask of what we keep."""

from tweetups.settings.base import env

# --- Hashtag sync: X recent search into each tweetup's wall (events/sync/) ------------
# Beat starts a sync cycle this often. Tweetups from a day before they start until a day
# after they end are polled every cycle; a week out, hourly; further out, every 6 hours.
X_SYNC_INTERVAL_SECONDS = env.int("X_SYNC_INTERVAL_SECONDS", default=120)
X_SYNC_NEAR_INTERVAL_SECONDS = env.int("X_SYNC_NEAR_INTERVAL_SECONDS", default=3600)
X_SYNC_FAR_INTERVAL_SECONDS = env.int("X_SYNC_FAR_INTERVAL_SECONDS", default=6 * 3600)
# A cycle ends within this many seconds, however slowly X answers: what it didn't reach
# (the rest of a query, or queries not started) is read by the next cycle.
X_SYNC_CYCLE_SECONDS = env.int("X_SYNC_CYCLE_SECONDS", default=X_SYNC_INTERVAL_SECONDS)
# After X refuses a search (401/403, or a 400 for one hashtag) a tweetup is tried again
# after X_SYNC_FAILING_RETRY_MIN_SECONDS, then twice as long each time, up to this.
X_SYNC_FAILING_RETRY_SECONDS = env.int("X_SYNC_FAILING_RETRY_SECONDS", default=3600)
X_SYNC_FAILING_RETRY_MIN_SECONDS = env.int("X_SYNC_FAILING_RETRY_MIN_SECONDS", default=15)
# A cycle reads posts up to this many seconds before it starts: X's search is complete only
# for posts some seconds old (it refuses an end_time less than 10 seconds back).
X_SEARCH_SETTLE_SECONDS = env.int("X_SEARCH_SETTLE_SECONDS", default=15)
# X's index can lag by more than that: each read goes back this far behind where the last
# one ended, so a post indexed that late is still found (read again, stored once).
X_SEARCH_OVERLAP_SECONDS = env.int("X_SEARCH_OVERLAP_SECONDS", default=300)
# 512 on X's self-serve plans, 4096 on higher ones.
X_SEARCH_QUERY_MAX_CHARS = env.int("X_SEARCH_QUERY_MAX_CHARS", default=512)
# Recent-search requests per 15 minutes for the app, shared by every worker through Redis.
X_SEARCH_RATE_LIMIT = env.int("X_SEARCH_RATE_LIMIT", default=450)
# Posts read per calendar month (UTC); polling stops when it is reached. At X's
# $0.005 per post read, 100,000 posts cost $500.
X_MONTHLY_POST_READ_BUDGET = env.int("X_MONTHLY_POST_READ_BUDGET", default=100_000)
# One tweetup's share, so one busy hashtag can't use up the month: at most this many posts
# a cycle, and this fraction of the monthly budget a day. Tweetups not happening within a
# day also wait once the site has read its daily part of the budget (what is left of the
# month, spread over the days left); tweetups happening now come first.
X_SYNC_TWEETUP_POSTS_PER_CYCLE = env.int("X_SYNC_TWEETUP_POSTS_PER_CYCLE", default=300)
X_SYNC_TWEETUP_DAILY_SHARE = env.float("X_SYNC_TWEETUP_DAILY_SHARE", default=0.02)
# Spread the month's budget over its days (above). Off, only the month's budget and each
# tweetup's share limit the reads: a site that would rather use the budget as it comes.
X_SYNC_SPREAD_BUDGET = env.bool("X_SYNC_SPREAD_BUDGET", default=True)
# The longest one request to X may take, start to end: connecting, the headers and the
# whole body (a body trickled a byte at a time is cut off here, not read for minutes).
X_API_TIMEOUT_SECONDS = env.float("X_API_TIMEOUT_SECONDS", default=20.0)
# 5xx and timeouts: retried this many times, backing off exponentially (with jitter) up to
# X_SYNC_RETRY_BACKOFF_MAX seconds between tries.
X_SYNC_MAX_RETRIES = env.int("X_SYNC_MAX_RETRIES", default=5)
X_SYNC_RETRY_BACKOFF_MAX = env.int("X_SYNC_RETRY_BACKOFF_MAX", default=300)
# Redis keys for the shared rate budget start with this (tests give each run its own).
X_RATE_BUDGET_KEY_PREFIX = "tweetups:x-rate"

# Posts deleted on X, or from accounts gone protected, leave the walls within a day (X's
# developer terms): a check looks up the posts shown on walls of tweetups ending in the future
# or at most X_COMPLIANCE_RECENT_DAYS ago, the newest X_COMPLIANCE_MAX_POSTS of them, at these
# hours (UTC). Twice in one UTC day: one failed run still leaves the day covered, and X
# bills a post read twice in a UTC day once. Each post looked up is a billed read: a wall's
# posts cost about one read a day each while it is live or recent (bench/sync.py).
X_COMPLIANCE_RECENT_DAYS = env.int("X_COMPLIANCE_RECENT_DAYS", default=2)
X_COMPLIANCE_MAX_POSTS = env.int("X_COMPLIANCE_MAX_POSTS", default=10_000)
X_COMPLIANCE_HOURS_UTC = env("X_COMPLIANCE_HOURS_UTC", default="1,13")
