"""The emulator's demo accounts, the OAuth scopes it knows, and demo posts for `make run`.

Ids are stable so a person who signs in as a demo user twice is the same user to the site.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xemulator.state import EmulatorState

logger = logging.getLogger("xemulator")


def _demo_user(id: str, username: str, name: str, **extra) -> dict:
    return {
        "id": id,
        "username": username,
        "name": name,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{id}/{username}_normal.jpg",
        **extra,
    }


DEMO_USERS = (
    _demo_user(
        "1460000000000000001",
        "maya_okafor",
        "Maya Okafor",
        description="Organizes the Lagos tech tweetup.",
        location="Lagos",
        created_at=datetime(2012, 3, 14, 9, 26, tzinfo=UTC),
        verified=True,
        verified_type="blue",
    ),
    _demo_user(
        "1460000000000000002",
        "jonasweber",
        "Jonas Weber",
        description="Coffee, bikes and Berlin meetups.",
        location="Berlin",
        created_at=datetime(2009, 6, 2, 18, 0, tzinfo=UTC),
    ),
    _demo_user(
        "1460000000000000003",
        "priya_codes",
        "Priya Raman",
        location="Bengaluru",
        created_at=datetime(2015, 11, 20, 7, 45, tzinfo=UTC),
    ),
    _demo_user(
        "1460000000000000004",
        "luciafdez",
        "Lucía Fernández",
        description="Madrid · diseño · café",
        location="Madrid",
        created_at=datetime(2011, 1, 8, 12, 30, tzinfo=UTC),
    ),
    _demo_user(
        "1460000000000000005",
        "samcarter",
        "Sam Carter",
        location="Austin, TX",
        created_at=datetime(2008, 3, 10, 16, 5, tzinfo=UTC),
    ),
    _demo_user(
        "1460000000000000006",
        "kenji_sato",
        "Kenji Sato",
        location="Tokyo",
        created_at=datetime(2013, 7, 7, 7, 7, tzinfo=UTC),
        protected=True,
    ),
)


def _demo_id(n: int) -> str:
    return f"146000000000000000{n}"


# Who each demo account follows, newest follow first: most follow most of the others, and
# some follow @kenji_sato, whose account is protected (so only they may see him).
DEMO_FOLLOWING = {
    _demo_id(1): tuple(_demo_id(n) for n in (2, 3, 4, 5, 6)),  # maya_okafor
    _demo_id(2): tuple(_demo_id(n) for n in (1, 3, 5, 6)),  # jonasweber
    _demo_id(3): tuple(_demo_id(n) for n in (1, 2, 4)),  # priya_codes
    _demo_id(4): tuple(_demo_id(n) for n in (1, 2, 3, 5)),  # luciafdez
    _demo_id(5): tuple(_demo_id(n) for n in (1, 2, 4)),  # samcarter
    _demo_id(6): tuple(_demo_id(n) for n in (1, 2)),  # kenji_sato
}

# X's OAuth 2.0 scopes (from its OpenAPI description), worded for the consent screen.
SCOPES = {
    "tweet.read": "Read posts you can see, including from protected accounts",
    "tweet.write": "Post and repost for you",
    "tweet.moderate.write": "Hide and unhide replies to your posts",
    "users.read": "See any account you can see, including protected accounts",
    "follows.read": "See who you follow and who follows you",
    "follows.write": "Follow and unfollow accounts for you",
    "offline.access": "Stay connected until you revoke access",
    "space.read": "See Spaces you can access",
    "mute.read": "See accounts you have muted",
    "mute.write": "Mute and unmute accounts for you",
    "like.read": "See posts you have liked and likes you can see",
    "like.write": "Like and unlike posts for you",
    "list.read": "See Lists you created or belong to",
    "list.write": "Create and manage Lists for you",
    "block.read": "See accounts you have blocked",
    "bookmark.read": "See your bookmarks",
    "bookmark.write": "Add and remove bookmarks for you",
    "dm.read": "Read your Direct Messages",
    "dm.write": "Send and manage Direct Messages for you",
    "media.write": "Upload media for you",
    "timeline.read": "See Custom Timelines you can see",
}

# Demo posts: emoji (some with skin tones and joiners), links, mentions, and the &, < and >
# that X escapes, so the wall shows what it must handle. {tag} is the hashtag with its #.
DEMO_TEXTS = (
    "Can't wait for {tag} 🎉 who else is coming? @{friend}",
    "Coffee & croissants before {tag} ☕🥐",
    "Slides from last time are up: https://github.com/tweetups/slides/blob/main/{slug}.md {tag}",
    "Pro tip for {tag}: <3 the people, stay for the conversations 👋",
    "Running 5 min late to {tag} 🏃‍♀️ save me a seat @{friend}!",
    "Map for tonight → https://www.openstreetmap.org/search?query={slug}&zoom=16 {tag}",
    "1 < 2 & 3 > 2: the maths of meeting people at {tag} 🤓",
    "Who else is at {tag}? Say hi, I'm the one in the green jacket 🧥",
    "Great turnout at {tag} 🙌🏽 thanks @{friend} for organizing!",
    "Photos from {tag} coming soon 📸 #tweetup",
    "<b>Reminder</b>: bring a name tag to {tag} 🏷️",
    "Q&A with @{friend} at {tag} starts in 10 minutes 🎤",
    "Is it {tag} or {tag_lower}? Either way, I'm in 🙌",
    "First time at a tweetup 👩‍💻 — any tips? {tag}",
)


def demo_text(rng: random.Random, hashtag: str, friend: str) -> str:
    """A plausible post about the tweetup with this hashtag, mentioning @friend."""
    template = rng.choice(DEMO_TEXTS)
    return template.format(
        tag=f"#{hashtag}", tag_lower=f"#{hashtag.lower()}", slug=hashtag.lower(), friend=friend
    )


# People planning a tweetup in their posts, for the site's daily search for tweetup talk
# (events/found/): (author, text); {weekday} and {month_day} are days ahead of the post.
# They name cities the site's demo data has tweetups in, and the authors are among its users.
DEMO_TALK = (
    ("jonasweber", "Who's around Berlin on {weekday}? Thinking of a small tweetup by the canal 🍻"),
    ("samcarter", "Austin folks: tweetup tomorrow? Tacos on me 🌮 #AustinTacoTweetup"),
    ("luciafdez", "Meetup in London on {month_day} anyone? In town for a conference ☕"),
    ("maya_okafor", "Lagos tweetup soon, who's in? 🎉"),  # no day named: no draft
)


def post_demo_talk(state: EmulatorState, *, hours_ago: float = 1.0) -> list:
    """DEMO_TALK's posts, made `hours_ago`, and a retweet of the first (the search leaves
    retweets out). Returns the posts."""
    made = datetime.fromtimestamp(state.now() - hours_ago * 3600, UTC)
    weekday = made + timedelta(days=3)
    month_day = made + timedelta(days=12)
    words = {"weekday": f"{weekday:%A}", "month_day": f"{month_day:%b} {month_day.day}"}
    posts = [
        state.post_tweet(
            username=author,
            text=text.format(**words),
            created_at=(made + timedelta(seconds=index)).isoformat(),
        )
        for index, (author, text) in enumerate(DEMO_TALK)
    ]
    when = made + timedelta(seconds=len(posts))
    retweet = state.post_tweet(
        username="priya_codes", retweet_of=str(posts[0].id), created_at=when.isoformat()
    )
    return [*posts, retweet]


class DemoActivity:
    """Posts a demo post on one of the hashtags every `interval` seconds, in a thread.

    It starts with a few posts per hashtag from the last hour, so a wall is not empty while
    the first interval passes. Authors are the demo accounts (DEMO_USERS) that are not
    protected (X's search leaves protected accounts out); never an account someone created
    on the consent screen, who would find posts on the site they never wrote.
    """

    def __init__(
        self,
        state: EmulatorState,
        hashtags: list[str],
        interval: float,
        *,
        backlog_per_hashtag: int = 2,
        rng: random.Random | None = None,
    ):
        self.state = state
        self.hashtags = list(hashtags)
        self.interval = interval
        self.backlog_per_hashtag = backlog_per_hashtag
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _authors(self) -> list[str]:
        demo_ids = {user["id"] for user in DEMO_USERS}
        return [u.username for u in self.state.all_users() if u.id in demo_ids and not u.protected]

    def post_one(self, *, seconds_ago: float = 0.0) -> None:
        authors = self._authors()
        author = self.rng.choice(authors)
        friend = self.rng.choice([a for a in authors if a != author] or authors)
        spec = {
            "username": author,
            "text": demo_text(self.rng, self.rng.choice(self.hashtags), friend),
            "public_metrics": {"like_count": self.rng.randrange(40)},
        }
        if seconds_ago:
            moment = datetime.fromtimestamp(self.state.now() - seconds_ago, UTC)
            spec["created_at"] = moment.isoformat()
        self.state.post_tweet(**spec)

    def start(self) -> DemoActivity:
        # Oldest first, so ids rise with created_at as on X.
        backlog = sorted(
            (
                self.rng.uniform(60, 3600)
                for _ in self.hashtags
                for _ in range(self.backlog_per_hashtag)
            ),
            reverse=True,
        )
        for seconds_ago in backlog:
            self.post_one(seconds_ago=seconds_ago)
        self._thread = threading.Thread(target=self._run, name="xemulator-demo", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.post_one()
            except Exception:
                logger.exception("demo activity could not post")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
