"""Hashtag sync: each active tweetup's hashtag read from X's recent search onto its wall.

Writes for Tweet, XAuthor, TweetupTweet, HashtagSync and PostReadUsage; tasks and the
`sync_hashtags` command call these, nothing else writes those tables.

How a cycle reads every post once with few requests
---------------------------------------------------
Tweetups that have read up to the same post id (`since_id`) can share one query,
`(#a OR #b …) -is:retweet`, as long as it fits X_SEARCH_QUERY_MAX_CHARS. So every query of
a cycle reads up to one common ceiling, and every tweetup the cycle polls ends at the same
`since_id`, whether its query found posts or not:

- X ids are snowflakes, the time they were made in their top bits, so the ceiling is the
  first id of a moment: the cycle's start less X_SEARCH_SETTLE_SECONDS, because X says its
  search is complete only for posts some seconds old (it refuses an end_time less than 10 s
  back). Each query asks `since_id=<its own>, until_id=<ceiling>`.
- The next cycle finds the tweetups it polled together at one since_id, so they pack into as
  few queries as fit. A tweetup that joins (a new one, with X's whole 7-day window to read,
  or one a slower polling tier wakes up) reads from its own since_id to the same ceiling,
  and from then on shares the others' queries.
- The queries of a cycle don't depend on each other, so the cycle fans them out at once.

The simpler rule, one query per batch from the batch's smallest since_id, would read again
(and pay X again for) every post between that minimum and the other tweetups' since_id; an
open-ended query per batch would leave each batch at its own newest id, and the batches
could never share a query again without re-reading. A post carrying two tweetups' hashtags
that land in different queries is still read twice.

Reads stop half-way (rate limit, X error, a killed worker): results come newest first and
each page commits together with a cursor, `pending_until_id` (the oldest post stored) and
`pending_newest_id` (where since_id goes once the gap below is read). The next run reads
just the gap, `since_id < id < pending_until_id`: nothing is lost, and only a page in
flight when a worker died (read, billed, not stored) is read again.

Locks: every write to a tweetup's HashtagSync happens under that tweetup's sync lock, a
PostgreSQL session advisory lock taken with pg_try_advisory_lock (never waited for: a run
that can't get it skips the tweetup). Session rather than transaction level, because the
lock covers several HTTP requests and several page transactions, and holding a transaction
open across X's answers would also roll back the count of posts X has already billed.

The package: `policy` (when a tweetup is due, the read ceiling, X's window, the monthly
budget), `locks`, `storing` (a page of posts and its cursor in one transaction), `reading`
(planning a cycle and reading its queries) and `wall` (the organizer hiding posts).
"""

from events.sync.locks import LOCK_NAMESPACE, tweetup_sync_locks
from events.sync.policy import (
    PAGE_MAX,
    PAGE_MIN,
    SEARCH_WINDOW,
    WINDOW_EDGE_MARGIN,
    X_EPOCH_MS,
    BudgetExhausted,
    budget_remaining,
    cycle_interval,
    due_horizon,
    first_id_at,
    next_sync_at,
    read_ceiling,
)
from events.sync.reading import (
    Batch,
    CycleReport,
    Progress,
    SyncReport,
    run_sync_cycle,
    sync_failed,
    sync_tweetups,
)
from events.sync.wall import tweet_hide

__all__ = [
    "LOCK_NAMESPACE",
    "PAGE_MAX",
    "PAGE_MIN",
    "SEARCH_WINDOW",
    "WINDOW_EDGE_MARGIN",
    "X_EPOCH_MS",
    "Batch",
    "BudgetExhausted",
    "CycleReport",
    "Progress",
    "SyncReport",
    "budget_remaining",
    "cycle_interval",
    "due_horizon",
    "first_id_at",
    "next_sync_at",
    "read_ceiling",
    "run_sync_cycle",
    "sync_failed",
    "sync_tweetups",
    "tweet_hide",
    "tweetup_sync_locks",
]
