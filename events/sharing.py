"""Sharing a tweetup: the X web intent, and its card image served from the cache."""

import logging
from urllib.parse import urlencode

from django.core.cache import cache

from events.cards import CardFacts, card_png
from events.local_time import local_when
from events.models import Tweetup

logger = logging.getLogger(__name__)

X_INTENT_URL = "https://x.com/intent/post"
CARD_CACHE_SECONDS = 7 * 24 * 3600


def share_text(tweetup: Tweetup) -> str:
    """What a share says before the link: the same for everyone who shares it."""
    return f"{tweetup.title} · {local_when(tweetup)} · {tweetup.city.name}"


def x_intent_url(tweetup: Tweetup, url: str) -> str:
    """X's web intent: a post with the title and time, the link and the tweetup's hashtag
    (X adds the # itself)."""
    query = {"text": share_text(tweetup), "url": url, "hashtags": tweetup.hashtag}
    return f"{X_INTENT_URL}?{urlencode(query)}"


def invite_intent_url(tweetup: Tweetup, url: str, handles: list[str]) -> str:
    """X's web intent for an invitation: the share text, then the people it mentions.

    The mentions come after the text: a post that starts with one reads as a reply.
    """
    mentions = " ".join(f"@{handle}" for handle in handles)
    query = {"text": f"Join me at {share_text(tweetup)} {mentions}", "url": url}
    return f"{X_INTENT_URL}?{urlencode(query)}"


def tweetup_card(tweetup: Tweetup, facts: CardFacts | None = None) -> bytes:
    """The card's PNG, drawn once per version of what it shows (`facts.digest`) and then
    kept in the cache. Without the cache it is drawn every time."""
    facts = facts or CardFacts.of(tweetup)
    key = f"card:{tweetup.pk}:{facts.digest}"
    try:
        png = cache.get(key)
    except Exception:  # the cache is away: draw it, the page still gets its picture
        logger.warning("Card cache unavailable", exc_info=True)
        png = None
    if png is None:
        png = card_png(facts)
        try:
            cache.set(key, png, CARD_CACHE_SECONDS)
        except Exception:
            logger.warning("Card cache unavailable", exc_info=True)
    return png
