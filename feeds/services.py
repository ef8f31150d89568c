"""Writes: a person's private calendar feed address, made, replaced or turned off."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from feeds.models import CalendarFeedToken, token_digest


@transaction.atomic
def calendar_feed_token_replace(*, user: User) -> str:
    """Give `user` a new feed token (the old address stops working) and return it: the only
    time it is known, since only its digest is kept."""
    token = secrets.token_urlsafe(32)
    CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"token_digest": token_digest(token), "created_at": timezone.now()}
    )
    return token


@transaction.atomic
def calendar_feed_token_revoke(*, user: User) -> bool:
    """Turn `user`'s private feed off; True if there was one."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)
