"""The emulator's demo accounts and the OAuth scopes it knows.

Ids are stable so a person who signs in as a demo user twice is the same user to the site.
"""

from datetime import UTC, datetime


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
