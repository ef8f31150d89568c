"""Posts: snowflake ids, the store recent search reads, and the Tweet object as X sends it.

Ids are X's snowflakes: milliseconds since X's epoch shifted left 22 bits, plus a sequence
number, so a later post always has a larger id and `since_id` works like X's. A post's
`created_at` is read back from its id.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from xemulator.text import MAX_TEXT_LENGTH, ParsedText, escape, tokens

TWITTER_EPOCH_MS = 1288834974657
SEQUENCE_BITS = 22
SEARCH_WINDOW_SECONDS = 7 * 24 * 60 * 60
EDIT_WINDOW_MS = 60 * 60 * 1000
PUBLIC_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)

# X's `tweet.fields` values (OpenAPI v2.166, TweetFieldsParameter).
TWEET_FIELDS = (
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "matched_media_notes",
    "media_metadata",
    "non_public_metrics",
    "note_request_suggestions",
    "note_tweet",
    "organic_metrics",
    "paid_partnership",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "suggested_source_links",
    "suggested_source_links_with_counts",
    "text",
    "withheld",
)


def first_id_at(ms: int) -> int:
    """The smallest snowflake a post made at `ms` (Unix milliseconds) can have."""
    return max(ms - TWITTER_EPOCH_MS, 0) << SEQUENCE_BITS


def id_ms(tweet_id: int) -> int:
    """When the post with this id was made, in Unix milliseconds."""
    return (tweet_id >> SEQUENCE_BITS) + TWITTER_EPOCH_MS


def x_timestamp(ms: int) -> str:
    """X's created_at format, whole seconds: 2026-08-20T10:00:00.000Z."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(slots=True, eq=False)
class Tweet:
    id: int
    author_id: str
    text: str  # as typed, links shortened; escaped only on the way out
    entities: dict
    lang: str = "en"
    retweeted_id: str | None = None
    public_metrics: dict = field(default_factory=dict)
    hashtag_set: frozenset[str] = frozenset()  # casefolded, for search
    mention_set: frozenset[str] = frozenset()
    _tokens: list[str] | None = None

    @classmethod
    def from_parsed(cls, tweet_id: int, author_id: str, parsed: ParsedText, **extra) -> Tweet:
        return cls(
            id=tweet_id,
            author_id=author_id,
            text=parsed.text,
            entities=parsed.entities(),
            hashtag_set=frozenset(h["tag"].casefold() for h in parsed.hashtags),
            mention_set=frozenset(m["username"].casefold() for m in parsed.mentions),
            **extra,
        )

    @property
    def created_ms(self) -> int:
        return id_ms(self.id)

    @property
    def is_retweet(self) -> bool:
        return self.retweeted_id is not None

    @property
    def has_links(self) -> bool:
        return "urls" in self.entities

    @property
    def engagement(self) -> int:
        return sum(self.public_metrics.values())

    def token_list(self) -> list[str]:
        if self._tokens is None:
            self._tokens = tokens(self.text, self.entities.get("urls", []))
        return self._tokens


def tweet_json(tweet: Tweet, fields: Iterable[str] = ()) -> dict:
    """The Tweet object: id, text and edit_history_tweet_ids, plus the requested fields the
    emulator models (X leaves out a field a post has no value for)."""
    text, entities = tweet.text, tweet.entities
    long = len(text) > MAX_TEXT_LENGTH
    if long:  # a long post: `text` and `entities` are its first 280 characters'
        text = text[: MAX_TEXT_LENGTH - 1] + "…"
        entities = {
            kind: kept
            for kind, items in entities.items()
            if (kept := [e for e in items if e["end"] <= MAX_TEXT_LENGTH - 1])
        }
    data = {
        "id": str(tweet.id),
        "text": escape(text),
        "edit_history_tweet_ids": [str(tweet.id)],
    }
    wanted = set(fields)
    created_ms = tweet.created_ms
    available: dict[str, Callable[[], object]] = {
        "author_id": lambda: tweet.author_id,
        "created_at": lambda: x_timestamp(created_ms),
        "entities": lambda: entities or None,
        "note_tweet": lambda: (
            {"text": escape(tweet.text)} | ({"entities": tweet.entities} if tweet.entities else {})
            if long
            else None
        ),
        "lang": lambda: tweet.lang,
        "public_metrics": lambda: {
            name: tweet.public_metrics.get(name, 0) for name in PUBLIC_METRICS
        },
        "conversation_id": lambda: str(tweet.id),
        "possibly_sensitive": lambda: False,
        "reply_settings": lambda: "everyone",
        "referenced_tweets": lambda: (
            [{"type": "retweeted", "id": tweet.retweeted_id}] if tweet.is_retweet else None
        ),
        "edit_controls": lambda: {
            "edits_remaining": 5,
            "is_edit_eligible": not tweet.is_retweet,
            "editable_until": x_timestamp(created_ms + EDIT_WINDOW_MS),
        },
    }
    for name, value in available.items():
        if name in wanted and (value := value()) is not None:
            data[name] = value
    return data


def _descending(ids: list[int], above: int, below: int) -> Iterator[int]:
    stop = bisect_right(ids, above)
    for index in range(bisect_left(ids, below) - 1, stop - 1, -1):
        yield ids[index]


def _insert(ids: list[int], tweet_id: int) -> None:
    if not ids or ids[-1] < tweet_id:
        ids.append(tweet_id)  # the usual case: the newest post so far
    else:
        insort(ids, tweet_id)


class TweetStore:
    """Every post, by id and by hashtag; not locked itself (EmulatorState's lock guards it)."""

    def __init__(self):
        self.by_id: dict[int, Tweet] = {}
        self._ids: list[int] = []  # ascending
        self._by_hashtag: dict[str, list[int]] = defaultdict(list)
        self._next_sequence: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def allocate_id(self, ms: int) -> int:
        """A fresh id for a post made at `ms`: later than every id given for an earlier ms."""
        sequence = self._next_sequence.get(ms, 0)
        if sequence >= 1 << SEQUENCE_BITS:
            raise OverflowError("too many posts in one millisecond")
        self._next_sequence[ms] = sequence + 1
        return first_id_at(ms) | sequence

    def add(self, tweet: Tweet) -> None:
        self.by_id[tweet.id] = tweet
        _insert(self._ids, tweet.id)
        for tag in tweet.hashtag_set:
            _insert(self._by_hashtag[tag], tweet.id)

    def add_many(self, tweets: list[Tweet]) -> None:
        """Add a batch, sorting each index once (50,000 posts in well under a second)."""
        touched = set()
        for tweet in tweets:
            self.by_id[tweet.id] = tweet
            self._ids.append(tweet.id)
            for tag in tweet.hashtag_set:
                self._by_hashtag[tag].append(tweet.id)
                touched.add(tag)
        self._ids.sort()
        for tag in touched:
            self._by_hashtag[tag].sort()

    def remove(self, tweet_id: int) -> Tweet | None:
        """Forget one post (deleted by its author); None if there was no such post."""
        tweet = self.by_id.pop(tweet_id, None)
        if tweet is None:
            return None
        for ids in (self._ids, *(self._by_hashtag[tag] for tag in tweet.hashtag_set)):
            index = bisect_left(ids, tweet_id)
            if index < len(ids) and ids[index] == tweet_id:
                del ids[index]
        return tweet

    def newest_first(
        self, *, above: int, below: int, hashtags: frozenset[str] | None = None
    ) -> Iterator[Tweet]:
        """Posts with above < id < below, newest first; with `hashtags`, only the posts that
        carry at least one of them (read from the hashtag index, not by scanning)."""
        if hashtags is None:
            streams = [_descending(self._ids, above, below)]
        else:
            streams = [
                _descending(self._by_hashtag[tag], above, below)
                for tag in hashtags
                if tag in self._by_hashtag
            ]
        previous = None
        for tweet_id in heapq.merge(*streams, reverse=True):
            if tweet_id != previous:  # a post with two of the hashtags comes twice
                previous = tweet_id
                yield self.by_id[tweet_id]
