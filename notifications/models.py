"""Email notifications: who wants which mail, which cities they follow, and the outbox.

The outbox (`OutgoingMessage`) is the source of truth for mail: a row is written in the
same transaction as the change people hear about, a Celery task per row sends it, and a
beat sweep re-enqueues whatever is still unsent, so a lost task loses no mail. Notices
that go to many people are one `Broadcast` row first, expanded into messages by a task.

Email preferences live here, not in accounts/: only mail reads them, so every table about
mail is this app's.
"""

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Q
from django.utils import timezone

from events.models import City, Tweetup
from events.network import network_tweetup_ids


class Category(models.TextChoices):
    """What people turn on and off; each is also one List-Unsubscribe target."""

    CONFIRMATIONS = "confirmations", "RSVP confirmations with a calendar invitation"
    REMINDERS = "reminders", "Reminders the day before"
    CHANGES = "changes", "Changes and cancellations of tweetups I'm going to"
    PROMOTIONS = "promotions", "A seat opened up: I'm off the waitlist"
    NEW_IN_CITY = "new_in_city", "New tweetups in cities I follow"
    ORGANIZER = "organizer", "Messages from organizers"
    DIGEST = "digest", "Weekly digest of tweetups in cities I follow and in my X network"
    INVITATIONS = "invitations", "Invitations from people going to a tweetup"


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", "RSVP confirmation"
    REMINDER = "reminder", "Reminder"
    CHANGE = "change", "Change notice"
    CANCELLATION = "cancellation", "Cancellation notice"
    PROMOTION = "promotion", "Waitlist promotion"
    NEW_TWEETUP = "new_tweetup", "New tweetup in a followed city"
    ORGANIZER_MESSAGE = "organizer_message", "Message from the organizer"
    DIGEST = "digest", "Weekly digest"
    INVITATION = "invitation", "Invitation from someone going"


KIND_CATEGORY = {
    MessageKind.CONFIRMATION: Category.CONFIRMATIONS,
    MessageKind.REMINDER: Category.REMINDERS,
    MessageKind.CHANGE: Category.CHANGES,
    MessageKind.CANCELLATION: Category.CHANGES,
    MessageKind.PROMOTION: Category.PROMOTIONS,
    MessageKind.NEW_TWEETUP: Category.NEW_IN_CITY,
    MessageKind.ORGANIZER_MESSAGE: Category.ORGANIZER,
    MessageKind.DIGEST: Category.DIGEST,
    MessageKind.INVITATION: Category.INVITATIONS,
}


def _category_switch(category: Category, help_text: str) -> models.BooleanField:
    """The switch for one category, on by default (no row means every switch is on).

    The field must be named after `category.value`: that is how `allows` finds it.
    """
    return models.BooleanField(category.label, default=True, help_text=help_text)


class EmailPreferences(models.Model):
    """One switch per category. No row means every switch is on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="email_preferences",
    )
    confirmations = _category_switch(
        Category.CONFIRMATIONS, "When you say you're going, with an invitation for your calendar."
    )
    reminders = _category_switch(Category.REMINDERS, "The day before a tweetup you're going to.")
    changes = _category_switch(
        Category.CHANGES, "When the time, place or seats change, or the organizer cancels."
    )
    promotions = _category_switch(Category.PROMOTIONS, "When you move from the waitlist to going.")
    new_in_city = _category_switch(
        Category.NEW_IN_CITY, "When someone organizes a tweetup in a city you follow."
    )
    organizer = _category_switch(
        Category.ORGANIZER, "What organizers write to the people coming to their tweetups."
    )
    digest = _category_switch(
        Category.DIGEST,
        "On Monday mornings, the coming week's tweetups in the cities you follow, and where "
        "people you follow on X are going if you chose to see them (only when there are some).",
    )
    invitations = _category_switch(
        Category.INVITATIONS,
        "When someone going to a tweetup invites you by your X handle.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "email preferences"
        verbose_name_plural = "email preferences"

    def __str__(self):
        return f"Email preferences of {self.user}"

    def allows(self, category: str) -> bool:
        return getattr(self, Category(category).value)


FOLLOWED_CITIES_CACHE_SECONDS = 3600


def followed_cities_cache_key(user_id: int) -> str:
    return f"notifications:followed-cities:{user_id}"


class CityFollowQuerySet(models.QuerySet):
    def of_user(self, user):
        return self.filter(user=user)

    def city_ids_of(self, user_id: int, *, known: frozenset[int] | None = None) -> frozenset[int]:
        """The ids of the cities a person follows, from the cache when it has them (`known`:
        what the caller read from it already).

        City pages show a Follow button per person; the cache keeps their query count
        where it was (the follow services clear the entry on commit).
        """
        key = followed_cities_cache_key(user_id)
        ids = known if known is not None else cache.get(key)
        if ids is None:
            ids = frozenset(self.filter(user_id=user_id).values_list("city_id", flat=True))
            cache.set(key, ids, FOLLOWED_CITIES_CACHE_SECONDS)
        return ids


class CityFollow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="city_follows"
    )
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityFollowQuerySet.as_manager()

    class Meta:
        ordering = ["city__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "city"], name="city_follow_once"),
        ]
        indexes = [
            # Fan-out of a new tweetup reads a city's followers.
            models.Index(fields=["city", "user"], name="city_follow_city_idx"),
        ]

    def __str__(self):
        return f"{self.user} follows {self.city.name}"


def reminder_lead() -> timedelta:
    """How long before a tweetup starts its reminder goes out."""
    return timedelta(hours=settings.NOTIFICATIONS_REMINDER_LEAD_HOURS)


DIGEST_PERIOD = timedelta(days=7)


def digest_week(moment: datetime) -> date:
    """The Monday (UTC) of the week a digest sent at `moment` belongs to."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def digest_coming(*, start: datetime, end: datetime):
    """Scheduled tweetups starting in [start, end): what a digest may be about."""
    return Tweetup.objects.scheduled().filter(starts_at__gte=start, starts_at__lt=end)


def digest_tweetups(*, user_id: int, start: datetime, end: datetime):
    """Scheduled tweetups starting in [start, end) in the cities a person follows.

    Not the ones they organize: they know about those.
    """
    return (
        digest_coming(start=start, end=end)
        .filter(city__follows__user_id=user_id)
        .exclude(organizer_id=user_id)
        .order_by("starts_at", "id")
    )


def digest_network_tweetups(*, user_id: int, start: datetime, end: datetime):
    """Scheduled tweetups starting in [start, end) where people a person follows on X are
    going (events.network: never a private RSVP), not the ones they organize. Someone
    with one of these gets a digest even if they follow no city; the digest itself lists
    their network's upcoming tweetups as the network page does."""
    return (
        digest_coming(start=start, end=end)
        .filter(id__in=network_tweetup_ids(user_id))
        .exclude(organizer_id=user_id)
    )


class Broadcast(models.Model):
    """One thing many people hear about, expanded into one OutgoingMessage per recipient.

    Written in the same transaction as the change itself; `expanded_at` stays empty until
    the expansion task has written every recipient's message, and the beat sweep
    re-enqueues expansions still pending, so the fan-out survives a lost task.
    """

    kind = models.CharField(max_length=32, choices=MessageKind.choices)
    tweetup = models.ForeignKey(Tweetup, on_delete=models.CASCADE, related_name="broadcasts")
    revision = models.PositiveIntegerField(
        help_text="The tweetup's revision this notice is about (0 for once-only notices)."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True)
    include_maybe = models.BooleanField(default=False)
    include_waitlisted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expanded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "tweetup", "revision"],
                condition=~Q(kind="organizer_message"),
                name="broadcast_once_per_revision",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expanded_at", "created_at"],
                condition=Q(expanded_at__isnull=True),
                name="broadcast_pending_idx",
            ),
            models.Index(fields=["tweetup", "kind", "created_at"], name="broadcast_tweetup_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.tweetup}"


class OutgoingMessageQuerySet(models.QuerySet):
    def unsent_due(self, *, now, grace, lease):
        """Queued rows whose task should have run by now, and sends abandoned mid-way."""
        return self.filter(
            Q(status=OutgoingMessage.Status.QUEUED, next_attempt_at__lte=now - grace)
            | Q(status=OutgoingMessage.Status.SENDING, claimed_at__lte=now - lease)
        )


class OutgoingMessage(models.Model):
    """One email to one person.

    Unique per (recipient, kind, tweetup, revision); a weekly digest is about no single
    tweetup and is unique per (recipient, week) instead.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_messages"
    )
    kind = models.CharField(max_length=32, choices=MessageKind.choices)
    tweetup = models.ForeignKey(
        Tweetup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outgoing_messages",
        help_text="What it is about; empty for a weekly digest.",
    )
    revision = models.PositiveIntegerField()
    week = models.DateField(
        null=True, blank=True, help_text="For a weekly digest: the Monday (UTC) of its week."
    )
    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    to_email = models.EmailField(blank=True, help_text="The address it went to.")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker started sending it."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "tweetup", "revision"],
                condition=~Q(kind__in=["organizer_message", "digest"]),
                name="outgoing_message_once",
            ),
            models.UniqueConstraint(
                fields=["recipient", "broadcast"],
                condition=Q(kind="organizer_message"),
                name="outgoing_organizer_message_once",
            ),
            models.UniqueConstraint(
                fields=["recipient", "week"],
                condition=Q(kind="digest"),
                name="outgoing_digest_once_a_week",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="digest", tweetup__isnull=True, week__isnull=False)
                    | (~Q(kind="digest") & Q(tweetup__isnull=False, week__isnull=True))
                ),
                name="outgoing_message_about_a_tweetup_or_a_week",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed", "skipped"]),
                name="outgoing_message_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="outgoing_message_unsent_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_status_display()})"

    @property
    def category(self) -> Category:
        return KIND_CATEGORY[MessageKind(self.kind)]


class Invitation(models.Model):
    """Someone going to a tweetup invited an X handle to it.

    One row per (tweetup, handle), whoever invited first: a handle hears about a tweetup
    once. Every handle invited gets a row, with an account here or not, so the daily caps
    count what a person did and say nothing about who has an account.
    """

    tweetup = models.ForeignKey(Tweetup, on_delete=models.CASCADE, related_name="invitations")
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    handle = models.CharField(
        "X handle", max_length=15, help_text="Lowercase, without the @: X's handles ignore case."
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_received",
        help_text="The account here with this handle when the invitation was made, if any.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tweetup", "handle"], name="invitation_once"),
            models.CheckConstraint(
                condition=Q(handle__regex=r"^[a-z0-9_]{1,15}$"), name="invitation_handle_valid"
            ),
        ]
        indexes = [
            # The caps: what one person invited in the last day, and to one tweetup.
            models.Index(fields=["inviter", "created_at"], name="invitation_inviter_day_idx"),
            models.Index(fields=["inviter", "tweetup"], name="invitation_inviter_tweetup_idx"),
        ]

    def __str__(self):
        return f"@{self.handle} invited to {self.tweetup} by {self.inviter}"
