from django.contrib.auth.models import AbstractUser
from django.core.cache import cache
from django.db import models
from django.db.models.functions import Upper


class User(AbstractUser):
    """A person who signed in with X. The X id, not the handle, is their identity."""

    x_id = models.CharField("X id", max_length=32, unique=True, null=True, blank=True)
    x_username = models.CharField("X handle", max_length=50, blank=True, db_index=True)
    display_name = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    # X's `protected` flag, from the profile at each sign-in: such an account is shown on
    # attendee lists only to people who follow it on X (events: RsvpQuerySet.visible_to).
    x_protected = models.BooleanField("protected on X", default=False)
    # When the person answered "Not now" to the "See who you follow" offer after sign-in.
    network_offer_declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["x_username"]
        # Search finds an organizer's tweetups by handle, in any case (events/search.py).
        indexes = [models.Index(Upper("x_username"), name="user_x_username_upper_idx")]

    def __str__(self):
        return f"@{self.x_username}" if self.x_username else self.username

    @property
    def name(self) -> str:
        return self.display_name or self.x_username or self.username

    @property
    def x_profile_url(self) -> str:
        return f"https://x.com/{self.x_username}" if self.x_username else ""


NETWORK_CONSENT_CACHE_SECONDS = 3600


def network_consent_cache_key(user_id: int) -> str:
    return f"accounts:x-network-consent:{user_id}"


class XNetworkConsentQuerySet(models.QuerySet):
    def granted_by(self, user_id: int) -> bool:
        """Whether a person opted in, from the cache when it knows: listings ask it on every
        signed-in request (accounts.network clears the entry when consent comes or goes)."""
        key = network_consent_cache_key(user_id)
        granted = cache.get(key)
        if granted is None:
            granted = self.filter(user_id=user_id).exists()
            cache.set(key, granted, NETWORK_CONSENT_CACHE_SECONDS)
        return granted


class XNetworkConsent(models.Model):
    """A person's permission to read whom they follow on X, with their tokens encrypted.

    Without this row nobody's follows are read; deleting it (disconnect) deletes what was read.
    """

    class Status(models.TextChoices):
        READY = "ready", "Ready"
        READING = "reading", "Reading"
        WAITING = "waiting", "Waiting"
        FAILED = "failed", "Failed"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="x_network")
    access_token_enc = models.BinaryField()
    refresh_token_enc = models.BinaryField(blank=True, default=b"")
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_at = models.DateTimeField()
    last_read_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.READY)
    # What happened last, in plain words for the person (never X's raw answer).
    message = models.CharField(max_length=300, blank=True)
    # Where a read stopped on a 429, and when it may go on.
    resume_token = models.CharField(max_length=200, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    # The ids read so far by a read that X paused; replaced into FollowedXId once complete.
    partial_ids = models.JSONField(default=list, blank=True)
    # A read in progress holds this lease (accounts.network.follows_refresh): a second read
    # of the same person's list meanwhile calls X not at all. A worker that died leaves a
    # lease that simply runs out.
    reading_until = models.DateTimeField(null=True, blank=True)

    objects = XNetworkConsentQuerySet.as_manager()

    def __str__(self):
        return f"X network of {self.user}"


class FollowedXId(models.Model):
    """One X id a person follows: only the set is kept, matched with the site's users when shown."""

    # One index, (user, x_id): every read starts from a person's own set (a semi-join on
    # User.x_id). An index on user alone, or on x_id (two on PostgreSQL, with its LIKE
    # twin), would be three more to write per id on every refresh of up to 5,000 ids and
    # more than double the table's size (bench/network.py: 10M rows), for no query.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="followed_x_ids", db_index=False
    )
    x_id = models.CharField("X id", max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "x_id"], name="followed_x_id_once_per_user")
        ]

    def __str__(self):
        return f"{self.user} follows {self.x_id}"


class XUserReadMonth(models.Model):
    """X user objects read in one calendar month (UTC), against NETWORK_MONTHLY_USER_READ_BUDGET."""

    month = models.DateField(unique=True)
    users_read = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.month:%Y-%m}: {self.users_read} X users read"
