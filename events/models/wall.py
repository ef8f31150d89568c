"""Posts from X on each tweetup's wall, and the state of their sync."""

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Cast

from events.models.tweetups import Rsvp, Tweetup


class XAuthor(models.Model):
    """An X account that wrote a stored post, as X last described it."""

    # X's own id is the key: posts upsert with their author_id as is, no lookup first.
    x_id = models.BigIntegerField("X id", primary_key=True)
    username = models.CharField("X handle", max_length=50)
    name = models.CharField(max_length=100)
    profile_image_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(help_text="When X last told us this profile.")

    class Meta:
        verbose_name = "X author"

    def __str__(self):
        return f"@{self.username}"

    @property
    def x_profile_url(self) -> str:
        return f"https://x.com/{self.username}"

    @property
    def avatar_url(self) -> str:
        """The picture the {% avatar %} tag shows, as for a User."""
        return self.profile_image_url


class TweetQuerySet(models.QuerySet):
    def for_wall(self, tweetup: "Tweetup", *, include_hidden: bool = False):
        """A tweetup's posts, newest first, with author, `is_hidden` and `author_is_going`.

        Hidden posts are left out unless `include_hidden` (the organizer's view). Reads the
        (tweetup, hidden, tweet) index of TweetupTweet; page with `older_than` / `newer_than`
        and a slice.
        """
        # One filter() call: the link row the filter picks is the one the annotations read.
        links = {"tweetup_links__tweetup": tweetup}
        if not include_hidden:
            links["tweetup_links__hidden"] = False
        # Only the listed: a "going" badge must not out a private RSVP or a protected account.
        going = Rsvp.objects.listed().filter(
            tweetup=tweetup, user__x_id=Cast(OuterRef("author_id"), models.CharField())
        )
        return (
            self.filter(**links)
            .select_related("author")
            .annotate(is_hidden=F("tweetup_links__hidden"), author_is_going=Exists(going))
            .order_by("-x_id")
        )

    def older_than(self, x_id: int):
        """Posts before this one: the next page back."""
        return self.filter(x_id__lt=x_id)

    def newer_than(self, x_id: int):
        """Posts after this one: what a refresh adds at the top."""
        return self.filter(x_id__gt=x_id)


class Tweet(models.Model):
    """One post from X, stored once however many tweetups it tags."""

    # X ids are 64-bit snowflakes that grow with time: as the key they order posts newest
    # first and let TweetupTweet's index serve the wall without reading this table to sort.
    x_id = models.BigIntegerField("X id", primary_key=True)
    author = models.ForeignKey(XAuthor, on_delete=models.PROTECT, related_name="tweets")
    text = models.TextField(help_text="As the author typed it: X's &amp; &lt; &gt; undone.")
    entities = models.JSONField(
        default=dict, blank=True, help_text="X's entities: urls, hashtags, mentions, offsets."
    )
    lang = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField()
    stored_at = models.DateTimeField(auto_now_add=True)

    objects = TweetQuerySet.as_manager()

    class Meta:
        ordering = ["-x_id"]

    def __str__(self):
        return f"{self.x_id}: {self.text[:40]}"

    @property
    def x_url(self) -> str:
        return f"https://x.com/{self.author.username}/status/{self.x_id}"


class TweetupTweetQuerySet(models.QuerySet):
    def shown_between(self, tweetup: "Tweetup", lowest: int, highest: int, *, include_hidden=False):
        """The ids of the tweetup's posts from `lowest` to `highest` (both included) that its
        wall shows, newest first: what an open wall checks its posts against. Reads the
        (tweetup, hidden, tweet) index."""
        links = self.filter(tweetup=tweetup, tweet_id__gte=lowest, tweet_id__lte=highest)
        if not include_hidden:
            links = links.filter(hidden=False)
        return links.order_by("-tweet_id").values_list("tweet_id", flat=True)


class TweetupTweet(models.Model):
    """A post on a tweetup's wall; the organizer can hide it without deleting it."""

    # No index of its own: the unique (tweetup, tweet) constraint leads with it.
    tweetup = models.ForeignKey(
        Tweetup, on_delete=models.CASCADE, related_name="tweet_links", db_index=False
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="tweetup_links")
    hidden = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(
        null=True, blank=True, help_text="When the organizer hid it; open walls drop it then."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TweetupTweetQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tweetup", "tweet"], name="tweetup_tweet_once"),
        ]
        indexes = [
            # The wall: one tweetup's visible posts, newest first, paged by id.
            models.Index(fields=["tweetup", "hidden", "-tweet"], name="tweetup_tweet_wall_idx"),
        ]

    def __str__(self):
        return f"{self.tweetup_id} ← {self.tweet_id}"


class HashtagSync(models.Model):
    """Where reading a tweetup's hashtag from X stands, for the sync and its organizer.

    Read state: every post tagged with the hashtag and an id up to `since_id` has been read.
    A read cut short (worker killed, rate limit, X error) leaves `pending_until_id` and
    `pending_newest_id`: posts from `pending_until_id` up to `pending_newest_id` are stored,
    those between `since_id` and `pending_until_id` are still to read; then `since_id`
    jumps to `pending_newest_id`. Each page of posts commits together with these fields.
    """

    class Status(models.TextChoices):
        OK = "ok", "OK"
        FAILING = "failing", "Failing"
        RATE_LIMITED = "rate_limited", "Waiting for X's rate limit"
        BUDGET_EXHAUSTED = "budget_exhausted", "Monthly post budget used up"
        HELD_BACK = "held_back", "Held back to share the budget"

    tweetup = models.OneToOneField(Tweetup, on_delete=models.CASCADE, related_name="hashtag_sync")
    hashtag = models.CharField(max_length=100, help_text="The hashtag the read state is for.")
    since_id = models.BigIntegerField(null=True, blank=True)
    pending_until_id = models.BigIntegerField(null=True, blank=True)
    pending_newest_id = models.BigIntegerField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    posts_stored = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OK)
    last_error = models.TextField(blank=True, help_text="The last problem, in plain words.")
    error_at = models.DateTimeField(null=True, blank=True)
    # Posts read from X for this tweetup on `read_on` (a UTC day), against its daily share.
    read_on = models.DateField(null=True, blank=True)
    posts_read_on_day = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["next_sync_at"], name="hashtag_sync_next_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["ok", "failing", "rate_limited", "budget_exhausted", "held_back"]
                ),
                name="hashtag_sync_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(pending_until_id__isnull=True, pending_newest_id__isnull=True)
                | Q(pending_until_id__isnull=False, pending_newest_id__isnull=False),
                name="hashtag_sync_pending_pair",
            ),
        ]

    def __str__(self):
        return f"#{self.hashtag}: {self.get_status_display()}"


class PostReadUsage(models.Model):
    """Posts read from X in one calendar month (UTC), against X_MONTHLY_POST_READ_BUDGET."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    posts_read = models.PositiveBigIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}: {self.posts_read} posts read"
