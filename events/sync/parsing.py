"""X's wire format: a page of recent-search results read into posts and authors, one
malformed post or user left out rather than sinking its page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from accounts.x.formats import X_ID_RE, x_picture_url
from events.sync.errors import XTransientError

logger = logging.getLogger(__name__)

MAX_X_ID = 2**63 - 1  # PostgreSQL's bigint; X's snowflakes stay below it


@dataclass(frozen=True)
class Author:
    x_id: int
    username: str
    name: str
    profile_image_url: str


@dataclass(frozen=True)
class Post:
    x_id: int
    author_id: int
    text: str
    entities: dict
    lang: str
    created_at: datetime
    hashtags: frozenset[str]  # hashtag_key()s, without the #


@dataclass
class SearchPage:
    posts: list[Post]
    authors: dict[int, Author]
    result_count: int  # posts X sent, malformed ones included: what X bills
    newest_id: int | None
    oldest_id: int | None
    next_token: str | None
    skipped: int = 0


def hashtag_key(tag: str) -> str:
    """A hashtag as X matches it: case-folded, so #LiſbonTweetup is #LisbonTweetup."""
    return tag.casefold()


def unescape_x_text(text: str) -> str:
    """Undo X's escaping of &, < and > exactly once (and nothing else the author typed)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _clean(value):
    """Text PostgreSQL can store: no NUL characters, no lone surrogates."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def _x_id(value) -> int:
    if not isinstance(value, str) or not X_ID_RE.match(value) or int(value) > MAX_X_ID:
        raise ValueError(f"not an X id: {value!r}")
    return int(value)


def _text(value, *, limit: int | None = None, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ValueError(f"not text: {value!r}")
    value = _clean(value)
    return value[:limit] if limit else value


def parse_author(raw: dict) -> Author:
    return Author(
        x_id=_x_id(raw["id"]),
        username=_text(raw["username"], limit=50),
        name=_text(raw.get("name"), limit=100, required=False) or raw["username"],
        # https, as X serves it too: the CSP's img-src blocks http: pictures.
        profile_image_url=x_picture_url(raw.get("profile_image_url")),
    )


def parse_post(raw: dict) -> Post:
    text, entities = raw["text"], raw.get("entities") or {}
    note = raw.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"]:
        text, entities = note["text"], note.get("entities") or {}  # a long post, in full
    if not isinstance(entities, dict):
        raise ValueError("entities is not an object")
    hashtags = entities.get("hashtags") or []
    if not isinstance(hashtags, list):
        raise ValueError("entities.hashtags is not a list")
    created_at = datetime.fromisoformat(_text(raw["created_at"]))
    if created_at.tzinfo is None:
        raise ValueError("created_at has no time zone")
    lang = raw.get("lang") or ""
    return Post(
        x_id=_x_id(raw["id"]),
        author_id=_x_id(raw["author_id"]),
        text=unescape_x_text(_text(text)),
        entities=_clean(entities),
        lang=lang[:16] if isinstance(lang, str) else "",
        created_at=created_at,
        hashtags=frozenset(
            hashtag_key(tag["tag"])
            for tag in hashtags
            if isinstance(tag, dict) and isinstance(tag.get("tag"), str)
        ),
    )


def _optional_id(value) -> int | None:
    try:
        return _x_id(value)
    except ValueError:
        return None


def parse_page(payload: object) -> SearchPage:
    """A recent-search answer; malformed posts and users are logged and left out."""
    if not isinstance(payload, dict):
        raise XTransientError("X sent an answer that was not a JSON object")
    meta = payload.get("meta") if isinstance(payload.get("meta"), dict) else {}
    includes = payload.get("includes") if isinstance(payload.get("includes"), dict) else {}
    data = payload.get("data") if isinstance(payload.get("data"), list) else []

    authors: dict[int, Author] = {}
    for raw in includes.get("users") or []:
        try:
            author = parse_author(raw)
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("Skipping a malformed user in X's answer: %s", exc)
            continue
        authors[author.x_id] = author

    posts, skipped, raw_ids = [], 0, []
    for raw in data:
        raw_id = _optional_id(raw.get("id")) if isinstance(raw, dict) else None
        if raw_id is not None:
            raw_ids.append(raw_id)
        try:
            post = parse_post(raw)
            if post.author_id not in authors:
                raise ValueError(f"author {post.author_id} missing from includes.users")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            logger.warning("Skipping malformed post %s from X: %s", raw_id or "(no id)", exc)
            skipped += 1
            continue
        posts.append(post)

    next_token = meta.get("next_token")
    return SearchPage(
        posts=posts,
        authors=authors,
        result_count=len(data),
        newest_id=_optional_id(meta.get("newest_id")) or max(raw_ids, default=None),
        oldest_id=_optional_id(meta.get("oldest_id")) or min(raw_ids, default=None),
        next_token=next_token if isinstance(next_token, str) and next_token else None,
        skipped=skipped,
    )
