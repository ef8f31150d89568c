"""Writes: a person's private calendar feed addresses (their own tweetups, and their
network's), each made, replaced or turned off on its own."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from feeds.models import CalendarFeedToken, token_digest

Kind = CalendarFeedToken.Kind


@transaction.atomic
def calendar_feed_token_replace(*, user: User, kind: str = Kind.MINE) -> str:
    """Give `user` a new token for the `kind` feed (its old address stops working) and
    return it: the only time it is known, since only its digest is kept."""
    token = secrets.token_urlsafe(32)
    CalendarFeedToken.objects.update_or_create(
        user=user,
        kind=kind,
        defaults={"token_digest": token_digest(token), "created_at": timezone.now()},
    )
    return token


@transaction.atomic
def calendar_feed_token_revoke(*, user: User, kind: str = Kind.MINE) -> bool:
    """Turn `user`'s `kind` feed off; True if there was one."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user, kind=kind).delete()
    return bool(deleted)
