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
    """The secret in one of a person's private calendar feed addresses: their own tweetups
    ("mine"), or where people they follow are going ("network"), each with its own secret.
    Replacing one (a new row state) or turning it off (no row) makes its old address answer
    404, and leaves the other alone."""

    class Kind(models.TextChoices):
        MINE = "mine", "Your tweetups"
        NETWORK = "network", "Your network"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MINE)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(help_text="When this address was made (or last replaced).")

    objects = CalendarFeedTokenQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="feeds_one_token_per_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} calendar feed of {self.user}"
