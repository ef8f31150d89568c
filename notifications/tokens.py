"""Signed tokens for the links in mail: RSVP in one click, unsubscribe in one click.

Both are django.core.signing objects (HMAC-SHA256 with SECRET_KEY and a salt of their own,
so one kind can't stand in for the other; no timestamp, to keep links short). An RSVP
token names one user, one tweetup and one choice; it expires when the tweetup ends, which
is checked against the tweetup as it is when the link is used (a tweetup moved to a later
day keeps its links working). An
unsubscribe token names one user and one category and does not expire: RFC 8058 asks
that the link keep working long after the mail was sent.
"""

from dataclasses import dataclass

from django.core import signing

from notifications.models import Category

RSVP_SALT = "tweetups.notifications.rsvp"
UNSUBSCRIBE_SALT = "tweetups.notifications.unsubscribe"
RSVP_CHOICES = ("going", "maybe", "not_going")


class BadToken(Exception):
    """The token was not made by us, was altered, or names something it can't."""


@dataclass(frozen=True)
class RsvpToken:
    user_id: int
    tweetup_id: int
    choice: str


@dataclass(frozen=True)
class UnsubscribeToken:
    user_id: int
    category: Category


def rsvp_token_make(*, user_id: int, tweetup_id: int, choice: str) -> str:
    if choice not in RSVP_CHOICES:
        raise ValueError(f"not an RSVP choice: {choice}")
    return signing.Signer(salt=RSVP_SALT).sign_object({"u": user_id, "t": tweetup_id, "c": choice})


def rsvp_token_read(token: str) -> RsvpToken:
    """The token's user, tweetup and choice; BadToken unless we signed exactly that."""
    payload = _loads(token, salt=RSVP_SALT)
    user_id, tweetup_id, choice = payload.get("u"), payload.get("t"), payload.get("c")
    if not (_is_id(user_id) and _is_id(tweetup_id) and choice in RSVP_CHOICES):
        raise BadToken("unexpected payload")
    return RsvpToken(user_id=user_id, tweetup_id=tweetup_id, choice=choice)


def unsubscribe_token_make(*, user_id: int, category: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(
        {"u": user_id, "c": Category(category).value}
    )


def unsubscribe_token_read(token: str) -> UnsubscribeToken:
    payload = _loads(token, salt=UNSUBSCRIBE_SALT)
    user_id, category = payload.get("u"), payload.get("c")
    if not _is_id(user_id) or category not in Category.values:
        raise BadToken("unexpected payload")
    return UnsubscribeToken(user_id=user_id, category=Category(category))


def _loads(token: str, *, salt: str) -> dict:
    if not isinstance(token, str) or len(token) > 500:
        raise BadToken("not a token")
    try:
        payload = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise BadToken("bad signature") from exc
    if not isinstance(payload, dict):
        raise BadToken("unexpected payload")
    return payload


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
