"""Tweetups found in posts: the daily search of each active city for tweetup talk on X
(`CityPostScan`, its claim and its figures) and the drafts it suggests to their authors
(`TweetupDraft`). See docs/found.md."""

from datetime import date

from django.db import models
from django.db.models import Q

from events.models.places import City
from events.models.tweetups import Tweetup


class CityPostScan(models.Model):
    """One city's search for tweetup talk on one UTC day: at most one a day (the row is the
    claim, unique per city and day), and what it cost (posts read, as X bills them)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CAPPED = "capped", "Stopped at the daily cap"

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="post_scans")
    day = models.DateField(help_text="The UTC day of the search.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="X's rate limit: not tried again before this."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The read: posts after since_id up to until_id (the next day starts from until_id).
    since_id = models.BigIntegerField(null=True, blank=True)
    until_id = models.BigIntegerField(null=True, blank=True)
    posts_read = models.PositiveIntegerField(
        default=0, help_text="Posts X sent (and bills) for this city's part of the search."
    )
    requests = models.PositiveIntegerField(default=0)
    candidates = models.PositiveIntegerField(
        default=0, help_text="Posts that named a date: tweetups someone seems to be planning."
    )
    drafts_created = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "city__name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "day"], name="city_post_scan_once_a_day"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed", "capped"]),
                name="city_post_scan_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["day", "status"], name="city_post_scan_day_idx")]

    def __str__(self):
        return f"{self.city.name} {self.day}: {self.posts_read} posts read"


class TweetupDraftQuerySet(models.QuerySet):
    def suggested_to(self, user, *, since: date):
        """Suggestions for `user` (matched by their X id) for a day from `since` on."""
        if not getattr(user, "x_id", None):
            return self.none()
        return self.filter(
            author_x_id=user.x_id, status=TweetupDraft.Status.SUGGESTED, date__gte=since
        )


class TweetupDraft(models.Model):
    """A tweetup someone seems to be planning on X: one per author and day, whatever
    becomes of it (published or dismissed, it is never suggested again)."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        PUBLISHED = "published", "Published"
        DISMISSED = "dismissed", "Dismissed"

    author_x_id = models.CharField("author's X id", max_length=32)
    author_username = models.CharField("author's X handle", max_length=50)
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="tweetup_drafts")
    date = models.DateField(help_text="The day named in the post, in the city's time zone.")
    hashtag = models.CharField(max_length=100, help_text="Suggested: letters, digits and _.")
    post_x_id = models.BigIntegerField("post's X id")
    post_text = models.TextField(help_text="The post it was found in, as X sent it.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUGGESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    tweetup = models.ForeignKey(
        Tweetup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TweetupDraftQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["author_x_id", "date"], name="tweetup_draft_once_per_author_and_day"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["suggested", "published", "dismissed"]),
                name="tweetup_draft_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["author_x_id", "status", "date"], name="tweetup_draft_author_idx")
        ]

    def __str__(self):
        return f"@{self.author_username}: {self.city.name} on {self.date}"

    @property
    def title(self) -> str:
        return f"{self.city.name} tweetup"

    @property
    def x_url(self) -> str:
        return f"https://x.com/{self.author_username}/status/{self.post_x_id}"

    def when(self, today: date) -> str:
        """“today”, “tomorrow”, “on Friday” within the week, else “on Saturday 12 December”."""
        days = (self.date - today).days
        if days == 0:
            return "today"
        if days == 1:
            return "tomorrow"
        if 1 < days < 7:
            return f"on {self.date:%A}"
        return f"on {self.date:%A} {self.date.day} {self.date:%B}"
