"""Tweetups and the RSVPs to them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import FollowedXId
from events.indexes import LlToEarth, PostgresGinIndex, PostgresGistIndex
from events.models.places import (
    HASHTAG_NO_LETTER,
    HASHTAG_PATTERN,
    MAX_DURATION,
    SYNC_AFTER_END,
    City,
    Topic,
)
from events.queries import DiscoveryQuerySet
from events.search import tweetup_document


class TweetupQuerySet(DiscoveryQuerySet):
    def scheduled(self):
        return self.filter(status=Tweetup.Status.SCHEDULED)

    def upcoming(self, now: datetime | None = None):
        """Not over yet (including under way), soonest first."""
        now = now or timezone.now()
        return self.filter(starts_at__gt=now - MAX_DURATION, ends_at__gt=now).order_by(
            "starts_at", "id"
        )

    def past(self, now: datetime | None = None):
        """Over, most recent first. (starts_at < now always holds; it lets the index stop early.)"""
        now = now or timezone.now()
        return self.filter(starts_at__lt=now, ends_at__lte=now).order_by("-starts_at", "-id")

    def in_city(self, city: "City"):
        return self.filter(city=city)

    def organized_by(self, user):
        return self.filter(organizer=user)

    def with_rsvp(self, user, *statuses: str):
        """Tweetups `user` answered with one of `statuses` (one join: one RSVP per person)."""
        return self.filter(rsvps__user=user, rsvps__status__in=statuses)

    def organized_or_going(self, user):
        return self.filter(
            Q(organizer=user) | Q(rsvps__user=user, rsvps__status=Rsvp.Status.GOING)
        ).distinct()

    def for_listing(self):
        """What a list row shows (city, organizer, seats taken), in one query."""
        return self.select_related("city", "organizer")

    def for_rows(self):
        """What a discovery listing's row shows (templates/events/_tweetup_row.html): the
        city, no organizer. Near me sorts every tweetup in its circle before the page is
        cut, and PostgreSQL joins before it sorts: at a busy city that was a users lookup
        for each of thousands of rows, for 20 rows that show no organizer."""
        return self.select_related("city")

    def overlapping(self, starts_at: datetime, ends_at: datetime):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def sync_window_open(self, now: datetime | None = None):
        """Scheduled, and not more than a day past the end: its hashtag is worth reading."""
        now = now or timezone.now()
        return self.scheduled().filter(ends_at__gt=now - SYNC_AFTER_END)

    def due_for_sync(self, horizon: datetime):
        """Never synced, next sync before `horizon`, or held back by the monthly budget."""
        return self.filter(
            Q(hashtag_sync__isnull=True)
            | Q(hashtag_sync__next_sync_at__isnull=True)
            | Q(hashtag_sync__next_sync_at__lte=horizon)
            | Q(hashtag_sync__status="budget_exhausted")
        )


class Tweetup(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="tweetups")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_tweetups"
    )
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(
        blank=True, help_text="Plain text. Links become clickable; line breaks are kept."
    )
    venue_name = models.CharField(max_length=120)
    venue_address = models.CharField(max_length=255, blank=True)
    # Where the venue is, if the organizer placed it on the map; else the city's point.
    venue_latitude = models.FloatField(null=True, blank=True)
    venue_longitude = models.FloatField(null=True, blank=True)
    starts_at = models.DateTimeField(help_text="Stored in UTC; entered and shown in city time.")
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats including yours. Leave empty for no limit."
    )
    hashtag = models.CharField(
        max_length=100,
        help_text="Without the #. Letters, digits and underscores, with at least one letter.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    going_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="People going, organizer included; kept by the RSVP services for list pages.",
    )
    attendees_signed_in_only = models.BooleanField(
        "show who's going only to people signed in",
        default=False,
        help_text="Visitors then see how many are going, not who.",
    )
    revision = models.PositiveIntegerField(
        default=0, help_text="Bumped on every change people should hear about (iCalendar SEQUENCE)."
    )
    topics = models.ManyToManyField(Topic, related_name="tweetups", blank=True)
    # Its words for search, kept by the database (events/search.py).
    search_document = models.GeneratedField(
        expression=tweetup_document(), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TweetupQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            # City page: upcoming/past by date; home page: upcoming across cities.
            models.Index(fields=["city", "starts_at", "id"], name="tweetup_city_starts_idx"),
            models.Index(fields=["starts_at", "id"], name="tweetup_starts_idx"),
            # Home's busiest cities: upcoming tweetups counted per city from the index alone.
            models.Index(
                fields=["starts_at"],
                include=["ends_at", "city"],
                condition=Q(status="scheduled"),
                name="tweetup_scheduled_upcoming_idx",
            ),
            models.Index(fields=["organizer", "starts_at"], name="tweetup_organizer_idx"),
            # A city's Atom feed: the newest announcements first, read along the index
            # instead of sorting every tweetup of a busy city (feeds/sources.py atom_rows).
            models.Index(fields=["city", "-created_at", "-id"], name="tweetup_city_created_idx"),
            # ...and a topic's, whose tweetups are found by walking the newest first.
            models.Index(fields=["-created_at", "-id"], name="tweetup_created_idx"),
            # Distance filters: a box around the point, then dates checked in the index.
            models.Index(
                fields=["venue_latitude", "venue_longitude", "starts_at"], name="tweetup_venue_idx"
            ),
            # ...on PostgreSQL, venues as points on the Earth, and when (btree_gist, migration
            # 0002): "this week near me" is one index condition (migration 0019).
            PostgresGistIndex(
                LlToEarth("venue_latitude", "venue_longitude"),
                F("starts_at"),
                condition=Q(venue_latitude__isnull=False),
                name="tweetup_venue_earth_idx",
            ),
            # Search (PostgreSQL only: migration 0010 makes them there and nowhere else).
            # (Typos are matched on the word list, events.models.SearchWord, not on titles or
            # hashtags: migration 0021 dropped their trigram indexes.)
            PostgresGinIndex(fields=["search_document"], name="tweetup_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="tweetup_ends_after_start",
                violation_error_message="The end must be after the start.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__lte=F("starts_at") + MAX_DURATION),
                name="tweetup_at_most_three_days",
                violation_error_message="A tweetup can last at most 3 days.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="tweetup_capacity_positive",
                violation_error_message="Capacity must be at least 1 (you count).",
            ),
            models.CheckConstraint(
                condition=Q(hashtag__regex=HASHTAG_PATTERN) & ~Q(hashtag__regex=HASHTAG_NO_LETTER),
                name="tweetup_hashtag_valid",
                violation_error_message=(
                    "A hashtag is letters, digits and underscores, with at least one letter."
                ),
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(going_count__lte=F("capacity")),
                name="tweetup_not_overbooked",
                violation_error_message="More people going than seats.",
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled") | Q(status="cancelled"),
                name="tweetup_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(venue_latitude__isnull=True) & Q(venue_longitude__isnull=True))
                | Q(
                    venue_latitude__gte=-90,
                    venue_latitude__lte=90,
                    venue_longitude__gte=-180,
                    venue_longitude__lte=180,
                ),
                name="tweetup_venue_point_valid",
                violation_error_message="A venue point needs a latitude and a longitude.",
            ),
        ]
        # Hashtags of scheduled tweetups whose times overlap are unique (case-insensitively):
        # a PostgreSQL exclusion constraint added in migration 0002; forms check it too.

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:tweetup", args=[self.slug])

    def is_organized_by(self, user) -> bool:
        return user.is_authenticated and user.pk == self.organizer_id

    @property
    def point(self) -> tuple[float, float] | None:
        """(latitude, longitude) of the venue if placed on the map, else of the city."""
        if self.venue_latitude is not None:
            return (self.venue_latitude, self.venue_longitude)
        if self.city.latitude is not None:
            return (self.city.latitude, self.city.longitude)
        return None

    @property
    def location(self) -> str:
        """'Venue, address, City': where to go, for pages, mail, maps and calendars."""
        return ", ".join(p for p in [self.venue_name, self.venue_address, self.city.name] if p)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def accepts_rsvps(self) -> bool:
        return not self.is_cancelled and not self.is_past

    @property
    def local_starts_at(self) -> datetime:
        return self.starts_at.astimezone(self.city.tzinfo)

    @property
    def local_ends_at(self) -> datetime:
        return self.ends_at.astimezone(self.city.tzinfo)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


class TweetupVevent(models.Model):
    """A tweetup's VEVENT as its calendar feeds write it (events/calendar_feeds.py), kept beside
    it: a feed with nothing cached puts these texts together instead of having icalendar
    write each event. Written with every change to what it is written from, in the same
    transaction (`events.calendar_feeds.store_vevents`); a feed uses one only while `fields_key`
    still names what the tweetup would be written from now, so a text some write left
    behind costs that event a write, never a stale event."""

    tweetup = models.OneToOneField(
        Tweetup, on_delete=models.CASCADE, primary_key=True, related_name="vevent"
    )
    # `VeventFields.cache_key()` of the fields it was written from (links relative).
    fields_key = models.CharField(max_length=64)
    tzids = models.CharField(max_length=200, blank=True, help_text="Zones it names, by spaces.")
    # Its content lines unfolded, each link a path: a feed puts the site's address before
    # the path and folds the lines (`events.calendar_feeds.linked_vevent`).
    ical = models.TextField()

    def __str__(self):
        return f"VEVENT of tweetup {self.tweetup_id}"


class RsvpQuerySet(models.QuerySet):
    def going(self):
        return self.filter(status=Rsvp.Status.GOING)

    def waitlisted(self):
        return self.filter(status=Rsvp.Status.WAITLISTED).order_by("waitlist_position")

    def for_user(self, user):
        return self.filter(user=user)

    def attendees(self):
        """The people going, first come first, with just the user fields an avatar list shows."""
        return (
            self.going()
            .select_related("user")
            .only(
                "tweetup_id",
                "private",
                "user__username",
                "user__x_id",
                "user__x_username",
                "user__display_name",
                "user__avatar_url",
                "user__x_protected",
            )
            .order_by("created_at", "id")
        )

    def listed(self):
        """The people going whom anyone may see: not a private RSVP, not a protected X account.
        What visitors and the shared page parts show; everyone else going is only counted."""
        return self.attendees().filter(private=False, user__x_protected=False)

    def unlisted_visible_to(self, viewer):
        """The people going left out of `listed()` whom `viewer` may see all the same: their
        own RSVP, and protected X accounts they follow on X (never someone's private RSVP)."""
        followed = FollowedXId.objects.filter(user=viewer).values("x_id")
        return (
            self.attendees()
            .filter(Q(private=True) | Q(user__x_protected=True))
            .filter(Q(user=viewer) | Q(private=False, user__x_id__in=followed))
        )


class Rsvp(models.Model):
    class Status(models.TextChoices):
        GOING = "going", "Going"
        MAYBE = "maybe", "Maybe"
        NOT_GOING = "not_going", "Not going"
        WAITLISTED = "waitlisted", "Waitlisted"

    # What a person can answer, in the buttons' words. WAITLISTED is not an answer: it is
    # where "going" lands when the tweetup is full.
    ANSWERS = {Status.GOING: "Going", Status.MAYBE: "Maybe", Status.NOT_GOING: "Can't go"}

    tweetup = models.ForeignKey(Tweetup, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    waitlist_position = models.PositiveIntegerField(
        null=True, blank=True, help_text="Order on the waitlist; lower is promoted first."
    )
    private = models.BooleanField(
        default=False,
        help_text="Counted, but shown to no one else on the attendee list or as a friend going.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RsvpQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["tweetup", "status", "waitlist_position"], name="rsvp_tweetup_status_idx"
            ),
            models.Index(fields=["user", "status"], name="rsvp_user_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tweetup", "user"], name="rsvp_one_per_user"),
            models.UniqueConstraint(
                fields=["tweetup", "waitlist_position"],
                condition=Q(waitlist_position__isnull=False),
                name="rsvp_unique_waitlist_position",
            ),
            models.CheckConstraint(
                condition=(Q(status="waitlisted") & Q(waitlist_position__isnull=False))
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="rsvp_waitlisted_has_position",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["going", "maybe", "not_going", "waitlisted"]),
                name="rsvp_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.tweetup}: {self.get_status_display()}"


ATTENDEES_SHOWN = 48  # avatars on a tweetup page; the rest are counted
