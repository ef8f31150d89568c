"""The events app's models, by part: places (cities, topics), tweetups and RSVPs, the
wall (posts from X and their sync), tweetups found in posts, and the words search knows
(typos). Import them from here."""

from events.models.found import CityPostScan, TweetupDraft, TweetupDraftQuerySet
from events.models.places import (
    HASHTAG_NO_LETTER,
    HASHTAG_PATTERN,
    MAX_DURATION,
    SYNC_AFTER_END,
    City,
    Topic,
    validate_timezone,
)
from events.models.tweetups import (
    ATTENDEES_SHOWN,
    Rsvp,
    RsvpQuerySet,
    Tweetup,
    TweetupQuerySet,
    TweetupVevent,
)
from events.models.wall import (
    HashtagSync,
    PostReadUsage,
    Tweet,
    TweetQuerySet,
    TweetupTweet,
    XAuthor,
)
from events.models.words import SearchWord

__all__ = [
    "ATTENDEES_SHOWN",
    "HASHTAG_NO_LETTER",
    "HASHTAG_PATTERN",
    "MAX_DURATION",
    "SYNC_AFTER_END",
    "City",
    "CityPostScan",
    "HashtagSync",
    "PostReadUsage",
    "Rsvp",
    "SearchWord",
    "RsvpQuerySet",
    "Topic",
    "Tweet",
    "TweetQuerySet",
    "Tweetup",
    "TweetupQuerySet",
    "TweetupDraft",
    "TweetupDraftQuerySet",
    "TweetupTweet",
    "TweetupVevent",
    "XAuthor",
    "validate_timezone",
]
