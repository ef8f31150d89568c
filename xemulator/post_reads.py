"""EmulatorState's posts as they are read: recent search, lookup by id, the control API's
list, and what X bills for the posts it sends.

A mixin so state.py stays readable; it relies on EmulatorState's `lock`, `users`, `tweets`,
`now()` and `_user_ids_by_username()`. Storing posts is post_writes.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING

from xemulator import query as search_query
from xemulator.tweets import Tweet

if TYPE_CHECKING:
    from xemulator.state import XUser

SEARCH_APP_BUDGET = ("search/recent", "app")


@dataclass(frozen=True)
class SearchPage:
    """One page of recent search, with what its expansions may need."""

    tweets: list[Tweet]
    more: bool
    users: dict[str, XUser]  # authors, mentioned and retweeted accounts, by id
    user_ids_by_username: dict[str, str]  # casefolded handle -> id
    referenced: dict[str, Tweet]  # stored originals of the page's retweets, by id


@dataclass(frozen=True)
class LookupResult:
    """GET /2/tweets: the posts found, and the ids X answers with an error each."""

    page: SearchPage
    missing: list[str]  # deleted, or never were
    unauthorized: list[str]  # a protected account's


class PostReadsMixin:
    """Reading posts for EmulatorState: every method takes the state's lock."""

    def search_tweets(
        self,
        node: search_query.Node,
        *,
        above: int,
        below: int,
        max_results: int,
        relevancy: bool = False,
        after: tuple[int, int] | None = None,
    ) -> SearchPage:
        """Posts matching the query with above < id < below, newest first (or by engagement),
        at most `max_results`, starting after the `(score, id)` a page token named. Protected
        accounts' posts are left out, as X does for an app."""
        with self.lock:
            users = self.users
            user_ids = self._user_ids_by_username()
            lookup = search_query.Lookup(
                user_ids=user_ids.get,
                verified_ids=frozenset(u.id for u in users.values() if u.verified),
            )
            matches = search_query.compile_query(node, lookup)
            protected = {u.id for u in users.values() if u.protected}
            if after is not None and not relevancy:
                below = min(below, after[1])
            candidates = self.tweets.newest_first(
                above=above, below=below, hashtags=search_query.required_hashtags(node)
            )
            visible = (t for t in candidates if t.author_id not in protected and matches(t))
            if relevancy:
                ranked = sorted(visible, key=lambda t: (t.engagement, t.id), reverse=True)
                if after is not None:
                    ranked = [t for t in ranked if (t.engagement, t.id) < after]
                found = ranked[: max_results + 1]
            else:
                found = list(islice(visible, max_results + 1))
            return self._page(found[:max_results], more=len(found) > max_results)

    def lookup_tweets(self, ids: list[str], *, viewer_id: str | None = None) -> LookupResult:
        """Posts by id, as GET /2/tweets finds them: stored and visible ones (in the order
        asked), the ids of deleted or unknown ones, and those of protected accounts' posts
        (visible to their author only, when `viewer_id` is theirs)."""
        with self.lock:
            found, missing, unauthorized = [], [], []
            for tweet_id in ids:
                tweet = self.tweets.by_id.get(int(tweet_id))
                author = self.users.get(tweet.author_id) if tweet else None
                if tweet is None or author is None:
                    missing.append(tweet_id)
                elif author.protected and author.id != viewer_id:
                    unauthorized.append(tweet_id)
                else:
                    found.append(tweet)
            return LookupResult(
                page=self._page(found, more=False), missing=missing, unauthorized=unauthorized
            )

    def _page(self, page: list[Tweet], *, more: bool) -> SearchPage:
        """Posts with what their expansions may need: authors, mentioned accounts, originals."""
        with self.lock:
            users = self.users
            user_ids = self._user_ids_by_username()
            referenced = {
                t.retweeted_id: original
                for t in page
                if t.retweeted_id and (original := self.tweets.by_id.get(int(t.retweeted_id)))
            }
            wanted = {t.author_id for t in [*page, *referenced.values()]}
            mentioned = {}
            for tweet in page:
                for mention in tweet.entities.get("mentions", []):
                    handle = mention["username"].casefold()
                    if handle in user_ids:
                        mentioned[handle] = user_ids[handle]
            wanted |= set(mentioned.values())
            return SearchPage(
                tweets=page,
                more=more,
                users={i: replace(users[i]) for i in wanted if i in users},
                user_ids_by_username=mentioned,
                referenced=referenced,
            )

    def all_tweets(self) -> list[Tweet]:
        """Every stored post, newest first."""
        with self.lock:
            return list(self.tweets.newest_first(above=-1, below=1 << 64))

    def bill_posts(self, post_ids: list[int]) -> None:
        """Count the posts of an answer sent: X bills each post once per UTC day."""
        with self.lock:
            day = datetime.fromtimestamp(self.now(), UTC).date().isoformat()
            self._billed.setdefault(day, set()).update(post_ids)
            self._posts_sent += len(post_ids)

    def usage(self) -> dict:
        """Posts billed (once per post and UTC day) and posts sent (every time)."""
        with self.lock:
            by_day = {day: len(ids) for day, ids in sorted(self._billed.items())}
            return {
                "posts_billed": sum(by_day.values()),
                "posts_sent": self._posts_sent,
                "by_day": by_day,
            }
