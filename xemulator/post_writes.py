"""EmulatorState's posts as they are stored: one, a batch, or generated in bulk; deleted
one at a time or all at once.

A mixin so state.py stays readable; it relies on EmulatorState's `lock`, `users`, `tweets`,
`now()`, `add_user()`, `user_by_username()` and `_user_ids_by_username()`. Reading posts
(search, lookup, billing) is post_reads.py's job.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from xemulator.demo import demo_text
from xemulator.errors import EmulatorError
from xemulator.text import (
    HANDLE_RE,
    MAX_NOTE_LENGTH,
    MAX_TEXT_LENGTH,
    ParsedText,
    parse_text,
)
from xemulator.tweets import PUBLIC_METRICS, TWITTER_EPOCH_MS, Tweet, TweetStore, first_id_at

if TYPE_CHECKING:
    from xemulator.state import XUser

LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
RETWEET_TEXT_RE = re.compile(r"^RT @([A-Za-z0-9_]{1,15}): ")
POST_FIELDS = {
    "username",
    "author_id",
    "text",
    "created_at",
    "is_retweet",
    "retweet_of",
    "lang",
    "public_metrics",
}
MAX_GENERATED = 1_000_000
DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class _PostSpec:
    """A post to store, checked; the author may still need creating."""

    username: str | None
    author_id: str | None
    parsed: ParsedText
    created_ms: int
    retweeted_id: str | None
    lang: str
    public_metrics: dict


class PostWritesMixin:
    """Storing posts for EmulatorState: every public method takes the state's lock."""

    def post_tweet(self, **spec) -> Tweet:
        """Store one post; see `post_tweets` for the fields."""
        return self.post_tweets([spec])[0]

    def post_tweets(self, specs: list[dict]) -> list[Tweet]:
        """Store posts, all of them or (if one is refused) none.

        Each spec: `text`, the author as `username` (created, without an avatar, if new) or
        `author_id`, and optionally `created_at` (ISO 8601, not in the future), `is_retweet`
        (the text then starts "RT @handle: "), `retweet_of` (a stored post's id, instead of
        text), `lang` and `public_metrics`.
        """
        if not isinstance(specs, list) or not specs:
            raise EmulatorError("give at least one post")
        with self.lock:
            checked = []
            for index, spec in enumerate(specs):
                try:
                    checked.append(self._check_post(spec))
                except EmulatorError as exc:
                    if len(specs) == 1:
                        raise
                    raise EmulatorError(f"post {index}: {exc}", error=exc.error) from None
            return self._store_posts(checked)

    def generate_tweets(
        self,
        *,
        hashtags: list[str],
        count: int,
        usernames: list[str] | None = None,
        span_seconds: float = 6 * 24 * 60 * 60,
        newest_at: str | None = None,
        retweet_every: int = 0,
        seed: int | None = None,
    ) -> list[Tweet]:
        """Store `count` demo-like posts spread evenly over `span_seconds` up to `newest_at`
        (default: a second ago), each carrying one of `hashtags` in turn; every
        `retweet_every`-th one is a retweet. For benchmarks: 50,000 take a second or two."""
        tags = self._check_hashtags(hashtags)
        if not isinstance(count, int) or not 1 <= count <= MAX_GENERATED:
            raise EmulatorError(f"count must be between 1 and {MAX_GENERATED}")
        if not isinstance(retweet_every, int) or retweet_every < 0:
            raise EmulatorError("retweet_every must be 0 (none) or more")
        if not isinstance(span_seconds, int | float) or span_seconds < 0:
            raise EmulatorError("span_seconds must be 0 or more")
        rng = random.Random(seed)
        with self.lock:
            newest_ms = self._created_ms(newest_at) if newest_at else int(self.now() * 1000) - 1000
            authors = self._generation_authors(usernames)
            user_ids = self._user_ids_by_username()
            handles = [a.username for a in authors]
            step = span_seconds * 1000 / (count - 1) if count > 1 else 0
            checked = []
            for index in range(count):
                author = authors[index % len(authors)]
                friend = rng.choice(handles)
                text = demo_text(rng, tags[index % len(tags)], friend)
                retweeted_id = None
                if retweet_every and index % retweet_every == retweet_every - 1:
                    text = f"RT @{friend}: {text}"[:MAX_TEXT_LENGTH]
                    retweeted_id = str(first_id_at(newest_ms - DAY_MS) + index)
                checked.append(
                    _PostSpec(
                        username=None,
                        author_id=author.id,
                        parsed=parse_text(text, user_ids),
                        created_ms=round(newest_ms - step * (count - 1 - index)),
                        retweeted_id=retweeted_id,
                        lang="en",
                        public_metrics={"like_count": rng.randrange(25)},
                    )
                )
            return self._store_posts(checked)

    def delete_tweet(self, tweet_id: str) -> bool:
        """The author deletes a post: search and lookup no longer find it. False if unknown."""
        if not isinstance(tweet_id, str) or not tweet_id.isdigit():
            return False
        with self.lock:
            return self.tweets.remove(int(tweet_id)) is not None

    def clear_tweets(self) -> None:
        with self.lock:
            self.tweets = TweetStore()

    def _created_ms(self, created_at: object) -> int:
        if not isinstance(created_at, str):
            raise EmulatorError("created_at must be an ISO 8601 time with a zone")
        try:
            moment = datetime.fromisoformat(created_at)
        except ValueError:
            raise EmulatorError(f"created_at {created_at!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise EmulatorError("created_at needs a time zone, e.g. 2026-08-20T10:00:00Z")
        ms = round(moment.timestamp() * 1000)
        if ms > self.now() * 1000 + 1000:
            raise EmulatorError("created_at is in the future by the emulator's clock")
        if ms < TWITTER_EPOCH_MS:
            raise EmulatorError("created_at is before X's first snowflake id (2010-11-04)")
        return ms

    def _check_hashtags(self, hashtags: object) -> list[str]:
        if not isinstance(hashtags, list) or not hashtags:
            raise EmulatorError("hashtags must be a non-empty list")
        tags = []
        for hashtag in hashtags:
            tag = hashtag.lstrip("#") if isinstance(hashtag, str) else ""
            found = parse_text(f"#{tag}").hashtags
            if not tag or [h["tag"] for h in found] != [tag]:
                raise EmulatorError(f"{hashtag!r} is not a hashtag X would recognise")
            tags.append(tag)
        return tags

    def _generation_authors(self, usernames: list[str] | None) -> list[XUser]:
        if usernames is None:
            return [u for u in self.users.values() if not u.protected]
        if not isinstance(usernames, list) or not usernames:
            raise EmulatorError("usernames must be a non-empty list")
        return [self.user_by_username(n) or self.add_user(username=n) for n in usernames]

    def _check_post(self, spec: object) -> _PostSpec:
        if not isinstance(spec, dict):
            raise EmulatorError("a post must be a JSON object")
        unknown = set(spec) - POST_FIELDS
        if unknown:
            raise EmulatorError(f"unknown fields: {', '.join(sorted(unknown))}")
        username, author_id = spec.get("username"), spec.get("author_id")
        if author_id is not None:
            user = self.users.get(author_id) if isinstance(author_id, str) else None
            if user is None:
                raise EmulatorError(f"no user with id {author_id!r}")
            if username is not None and username.lower() != user.username.lower():
                raise EmulatorError("username and author_id name different users")
            username = None
        elif not isinstance(username, str) or not HANDLE_RE.match(username.lstrip("@")):
            raise EmulatorError(
                "give the author as username (1-15 letters, digits, _) or author_id"
            )
        else:
            username = username.lstrip("@")

        created_ms = (
            self._created_ms(spec["created_at"])
            if spec.get("created_at") is not None
            else int(self.now() * 1000)
        )
        lang = spec.get("lang", "en")
        if not isinstance(lang, str) or not LANG_RE.match(lang):
            raise EmulatorError("lang must be a BCP 47 tag such as en or pt-BR")
        metrics = spec.get("public_metrics") or {}
        if not isinstance(metrics, dict) or not all(
            name in PUBLIC_METRICS and isinstance(value, int) and value >= 0
            for name, value in metrics.items()
        ):
            raise EmulatorError(f"public_metrics takes counts named {', '.join(PUBLIC_METRICS)}")

        text, retweet_of = spec.get("text"), spec.get("retweet_of")
        retweeted_id = None
        if retweet_of is not None:
            if text is not None:
                raise EmulatorError("give text or retweet_of, not both")
            original = (
                self.tweets.by_id.get(int(retweet_of))
                if isinstance(retweet_of, str) and retweet_of.isdigit()
                else None
            )
            if original is None:
                raise EmulatorError(f"no stored post with id {retweet_of!r} to retweet")
            parsed = self._retweet_text(original)
            retweeted_id = str(original.id)
        else:
            if not isinstance(text, str) or not text.strip():
                raise EmulatorError("text must be a non-empty string")
            parsed = parse_text(text, self._user_ids_by_username())
            if spec.get("is_retweet"):
                if not RETWEET_TEXT_RE.match(text):
                    raise EmulatorError('a retweet\'s text starts with "RT @handle: "')
                # The original is not stored: point at an id a day older than the retweet.
                retweeted_id = str(first_id_at(created_ms - DAY_MS))
            elif len(parsed.text) > MAX_NOTE_LENGTH:
                raise EmulatorError(
                    f"text is {len(parsed.text)} characters with links shortened; "
                    f"X allows {MAX_NOTE_LENGTH} in a long post"
                )
        return _PostSpec(
            username=username,
            author_id=author_id,
            parsed=parsed,
            created_ms=created_ms,
            retweeted_id=retweeted_id,
            lang=lang,
            public_metrics=dict(metrics),
        )

    def _retweet_text(self, original: Tweet) -> ParsedText:
        """X's retweet: "RT @handle: " and the original's text, its entities moved along."""
        handle = self.users[original.author_id].username
        prefix = f"RT @{handle}: "

        def shifted(kind: str) -> list[dict]:
            return [
                {**e, "start": e["start"] + len(prefix), "end": e["end"] + len(prefix)}
                for e in original.entities.get(kind, [])
            ]

        mention = {"start": 3, "end": 4 + len(handle), "username": handle, "id": original.author_id}
        return ParsedText(
            text=prefix + original.text,
            hashtags=shifted("hashtags"),
            mentions=[mention, *shifted("mentions")],
            urls=shifted("urls"),
        )

    def _store_posts(self, checked: list[_PostSpec]) -> list[Tweet]:
        built = []
        for spec in checked:
            author_id = spec.author_id
            if author_id is None:
                author = self.user_by_username(spec.username) or self.add_user(
                    username=spec.username
                )
                author_id = author.id
            built.append(
                Tweet.from_parsed(
                    self.tweets.allocate_id(spec.created_ms),
                    author_id,
                    spec.parsed,
                    lang=spec.lang,
                    retweeted_id=spec.retweeted_id,
                    public_metrics=spec.public_metrics,
                )
            )
        if len(built) == 1:
            self.tweets.add(built[0])
        else:
            self.tweets.add_many(built)
        return built
