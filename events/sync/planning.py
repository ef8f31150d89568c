"""Planning reads: tweetups that share a read state packed into queries that fit X's
query length, furthest behind first."""

from __future__ import annotations

from itertools import groupby

from django.conf import settings

from events.models import HashtagSync, Tweetup
from events.sync.parsing import hashtag_key
from events.sync.x_client import search_query

Member = tuple[Tweetup, HashtagSync]


def ensure_sync_rows(tweetups: list[Tweetup]) -> dict[int, HashtagSync]:
    """The tweetups' HashtagSync rows, created (empty) where missing."""
    HashtagSync.objects.bulk_create(
        [HashtagSync(tweetup=t, hashtag=t.hashtag) for t in tweetups], ignore_conflicts=True
    )
    rows = HashtagSync.objects.filter(tweetup__in=tweetups)
    return {row.tweetup_id: row for row in rows}


def _read_state(sync: HashtagSync) -> tuple:
    """Tweetups with the same read state can share a query."""
    return (
        sync.since_id is not None,
        sync.since_id or 0,
        sync.pending_until_id or 0,
        sync.pending_newest_id or 0,
    )


def _chunks(members: list[Member]) -> list[list[Member]]:
    """Split tweetups into queries that fit X_SEARCH_QUERY_MAX_CHARS (a hashtag once each)."""
    limit = settings.X_SEARCH_QUERY_MAX_CHARS
    chunks, current, tags = [], [], []
    for member in sorted(members, key=lambda m: (hashtag_key(m[0].hashtag), m[0].pk)):
        tag = hashtag_key(member[0].hashtag)
        wanted = tags if tag in tags else [*tags, tag]
        if current and len(search_query(wanted)) > limit:
            chunks.append(current)
            current, wanted = [], [tag]
        current.append(member)
        tags = wanted
    if current:
        chunks.append(current)
    return chunks


def pack_queries(members: list[Member], *, first: set[int] = frozenset()) -> list[list[Member]]:
    """The queries to read: members with one read state each; those with a tweetup in
    `first` (the live ones) first, then furthest behind first."""
    ordered = sorted(members, key=lambda m: _read_state(m[1]))
    groups = [list(group) for _, group in groupby(ordered, key=lambda m: _read_state(m[1]))]
    chunks = [chunk for group in groups for chunk in _chunks(group)]
    return sorted(chunks, key=lambda chunk: not any(t.pk in first for t, _ in chunk))
