import hashlib

from django.conf import settings
from django.db import models


def token_digest(token: str) -> str:
    """What is stored of a feed token: its SHA-256. The token is 256 random bits, so no salt
    or slow hash is needed; a leaked table gives no working feed address."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedTokenQuerySet(models.QuerySet):
    def for_token(self, token: str):
        return self.filter(token_digest=token_digest(token))


class CalendarFeedToken(models.Model):
    """The secret in a person's private calendar feed address. Replacing it (a new row
    state) or turning the feed off (no row) makes the old address answer 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(help_text="When this address was made (or last replaced).")

    objects = CalendarFeedTokenQuerySet.as_manager()

    def __str__(self):
        return f"Calendar feed of {self.user}"
