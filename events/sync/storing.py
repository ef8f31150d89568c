"""Storing a page of posts: posts, authors and wall links upserted together with the read
cursor that covers them, in one transaction."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime

from django.db import connection, transaction
from django.db.models import Case, F, Value, When

from events.models import HashtagSync, Tweet, Tweetup, TweetupTweet, XAuthor
from events.sync.parsing import SearchPage, hashtag_key
from events.sync.policy import next_sync_at
from tweetups import page_cache


def _insert(
    model, fields: list[str], rows: list[tuple], *, conflict: list[str], update=(), returning=None
) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING (or DO UPDATE `update`) in one statement, rows in the
    order given; with `returning`, that field of the rows inserted.

    Django's bulk_create writes the same SQL, but compiling it for every page of posts cost
    more than PostgreSQL took to run it.
    """
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name

    def columns(names) -> str:
        return ", ".join(quote(meta.get_field(name).column) for name in names)

    action = "DO NOTHING"
    if update:
        sets = (quote(meta.get_field(name).column) for name in update)
        action = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in sets)
    # Table and column names come from the model, values go as parameters.
    head = f"INSERT INTO {quote(meta.db_table)} ({columns(fields)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({columns(conflict)}) {action}"
    if returning:
        tail += f" RETURNING {columns([returning])}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            found = execute_values(
                cursor.cursor, head + "%s" + tail, rows, page_size=len(rows), fetch=bool(returning)
            )
            return found or []
        found, row = [], "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), 100):  # SQLite's limit on parameters
            chunk = rows[start : start + 100]
            params = [value for r in chunk for value in r]
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, params)
            if returning:
                found += cursor.fetchall()
        return found


def store_page(
    page: SearchPage,
    members: list[tuple[Tweetup, HashtagSync]],
    *,
    done: bool,
    target_id: int | None,
    now: datetime,
    reads: Mapping[int, int] | None = None,
) -> int:
    """Upsert the page's posts and authors, link them to the tweetups whose hashtag they
    carry, and move the read cursor, in one transaction. `reads`: posts read for each
    tweetup, added to its count for the day. Returns the links added."""
    reads = reads or {}
    by_tag: dict[str, list[int]] = defaultdict(list)
    for tweetup, _ in members:
        by_tag[hashtag_key(tweetup.hashtag)].append(tweetup.pk)
    pairs = sorted(
        {
            (post.x_id, tweetup_id)
            for post in page.posts
            for tag in post.hashtags
            for tweetup_id in by_tag.get(tag, ())
        }
    )
    wanted = {tweet_id for tweet_id, _ in pairs}
    posts = sorted((p for p in page.posts if p.x_id in wanted), key=lambda p: p.x_id)
    authors = sorted({page.authors[p.author_id] for p in posts}, key=lambda a: a.x_id)
    stamp = connection.ops.adapt_datetimefield_value

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A crash of PostgreSQL itself may lose the last commits, never half of one: the
            # posts and the cursor that covers them go together, and are read again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Rows go in id order, so two workers storing overlapping pages can't deadlock.
        _insert(
            XAuthor,
            ["x_id", "username", "name", "profile_image_url", "updated_at"],
            [(a.x_id, a.username, a.name, a.profile_image_url, stamp(now)) for a in authors],
            conflict=["x_id"],
            update=["username", "name", "profile_image_url", "updated_at"],
        )
        _insert(
            Tweet,
            ["x_id", "author", "text", "entities", "lang", "created_at", "stored_at"],
            [
                (
                    p.x_id,
                    p.author_id,
                    p.text,
                    json.dumps(p.entities),
                    p.lang,
                    stamp(p.created_at),
                    stamp(now),
                )
                for p in posts
            ],
            conflict=["x_id"],
        )
        linked = _insert(
            TweetupTweet,
            ["tweet", "tweetup", "hidden", "created_at"],
            [(tweet_id, tweetup_id, False, stamp(now)) for tweet_id, tweetup_id in pairs],
            conflict=["tweetup", "tweet"],
            returning="tweetup",
        )
        added: Counter[int] = Counter(tweetup_id for (tweetup_id,) in linked)

        common = {"since_id": members[0][1].since_id}
        if done:
            common |= {
                "since_id": max(common["since_id"] or 0, target_id)
                if target_id is not None
                else common["since_id"],
                "pending_until_id": None,
                "pending_newest_id": None,
                "last_synced_at": now,
                "status": HashtagSync.Status.OK,
                # Read to the end: whatever went wrong before is over.
                "last_error": "",
                "error_at": None,
            }
        elif page.oldest_id is not None and target_id is not None:
            common |= {"pending_until_id": page.oldest_id, "pending_newest_id": target_id}
        # One UPDATE per distinct change: usually one or two.
        changes: dict[tuple, list[int]] = defaultdict(list)
        for tweetup, sync in members:
            next_at = next_sync_at(tweetup, now) if done else None
            changes[(added[tweetup.pk], reads.get(tweetup.pk, 0), next_at)].append(sync.pk)
        day = now.astimezone(UTC).date()
        for (count, read, next_at), pks in changes.items():
            update = dict(common)
            if count:
                update["posts_stored"] = F("posts_stored") + count
            if read:
                update["read_on"] = day
                update["posts_read_on_day"] = Case(
                    When(read_on=day, then=F("posts_read_on_day") + read), default=Value(read)
                )
            if next_at is not None:
                update["next_sync_at"] = next_at
            HashtagSync.objects.filter(pk__in=pks).update(**update)
        page_cache.forget(*(f"tweetup:{t.slug}" for t, _ in members if added[t.pk]))
    return sum(added.values())


def link_stored_posts(tweetup: Tweetup, sync: HashtagSync, *, now: datetime) -> int:
    """A tweetup new to a hashtag another tweetup has read takes that one's posts and read
    state, instead of reading X's 7 days again (and paying for them). Returns the links.

    The other's state is read before its wall, so the wall covers at least that state (a
    page stored meanwhile only adds posts). Only posts that carry the hashtag are taken.
    """
    key = hashtag_key(tweetup.hashtag)
    sources = (
        HashtagSync.objects.filter(hashtag__iexact=tweetup.hashtag, since_id__isnull=False)
        .exclude(pk=sync.pk)
        .order_by("-since_id")
    )
    source = next((s for s in sources if hashtag_key(s.hashtag) == key), None)
    if source is None:
        return 0
    posts = Tweet.objects.filter(tweetup_links__tweetup_id=source.tweetup_id).values_list(
        "x_id", "entities"
    )
    wanted = sorted(
        x_id
        for x_id, entities in posts
        if any(
            isinstance(tag, dict) and hashtag_key(str(tag.get("tag", ""))) == key
            for tag in (entities or {}).get("hashtags") or []
        )
    )
    stamp = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        linked = _insert(
            TweetupTweet,
            ["tweet", "tweetup", "hidden", "created_at"],
            [(x_id, tweetup.pk, False, stamp(now)) for x_id in wanted],
            conflict=["tweetup", "tweet"],
            returning="tweetup",
        )
        sync.since_id = source.since_id
        sync.pending_until_id = source.pending_until_id
        sync.pending_newest_id = source.pending_newest_id
        HashtagSync.objects.filter(pk=sync.pk).update(
            since_id=sync.since_id,
            pending_until_id=sync.pending_until_id,
            pending_newest_id=sync.pending_newest_id,
            posts_stored=F("posts_stored") + len(linked),
        )
        if linked:
            page_cache.forget(f"tweetup:{tweetup.slug}")
    return len(linked)
