from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Upper


class User(AbstractUser):
    """A person who signed in with X. The X id, not the handle, is their identity."""

    x_id = models.CharField("X id", max_length=32, unique=True, null=True, blank=True)
    x_username = models.CharField("X handle", max_length=50, blank=True, db_index=True)
    display_name = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)

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
