"""What X's post endpoints (recent search, lookup by id) share: the fields and expansions
a request may ask for, and the `includes` of an answer."""

from __future__ import annotations

from xemulator.responses import Request
from xemulator.tweets import TWEET_FIELDS, tweet_json
from xemulator.users import USER_FIELDS, fields_error, user_json

# OpenAPI v2.166: TweetExpansionsParameter, MediaFieldsParameter, PollFieldsParameter,
# PlaceFieldsParameter. The emulator's posts have no media, polls or places to expand.
EXPANSIONS = (
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
)
MEDIA_FIELDS = (
    "alt_text",
    "duration_ms",
    "height",
    "media_key",
    "non_public_metrics",
    "organic_metrics",
    "preview_image_url",
    "promoted_metrics",
    "public_metrics",
    "type",
    "url",
    "variants",
    "width",
)
POLL_FIELDS = ("duration_minutes", "end_datetime", "id", "options", "voting_status")
PLACE_FIELDS = (
    "contained_within",
    "country",
    "country_code",
    "full_name",
    "geo",
    "id",
    "name",
    "place_type",
)


def post_fields_errors(request: Request) -> list[dict]:
    """One 400 error for each of expansions, tweet.fields, user.fields, media.fields,
    poll.fields and place.fields that names something X doesn't know."""
    checks = (
        ("expansions", EXPANSIONS),
        ("tweet.fields", TWEET_FIELDS),
        ("user.fields", USER_FIELDS),
        ("media.fields", MEDIA_FIELDS),
        ("poll.fields", POLL_FIELDS),
        ("place.fields", PLACE_FIELDS),
    )
    return [
        error
        for name, allowed in checks
        if (error := fields_error(request, name, allowed)) is not None
    ]


def expansion_includes(
    page, *, expansions: frozenset[str], tweet_fields: tuple[str, ...], user_fields
) -> dict[str, list]:
    """The `includes` of an answer with these posts: the users and posts `expansions` ask
    for, in the order X lists them (authors first)."""
    tweets = page.tweets
    wanted_users: list[str] = []  # ids, in the order X lists them: authors first
    referenced = []
    if "referenced_tweets.id" in expansions or ("referenced_tweets.id.author_id" in expansions):
        referenced = [
            page.referenced[t.retweeted_id] for t in tweets if t.retweeted_id in page.referenced
        ]
    if "author_id" in expansions:
        wanted_users += [t.author_id for t in tweets]
    if "entities.mentions.username" in expansions:
        for tweet in tweets:
            for mention in tweet.entities.get("mentions", []):
                user_id = page.user_ids_by_username.get(mention["username"].casefold())
                if user_id:
                    wanted_users.append(user_id)
    if "referenced_tweets.id.author_id" in expansions:
        wanted_users += [t.author_id for t in referenced]

    includes: dict[str, list] = {}
    users = [page.users[i] for i in dict.fromkeys(wanted_users) if i in page.users]
    if users:
        includes["users"] = [user_json(u, user_fields) for u in users]
    if referenced and "referenced_tweets.id" in expansions:
        unique = {t.id: t for t in referenced}.values()
        includes["tweets"] = [tweet_json(t, tweet_fields) for t in unique]
    return includes
