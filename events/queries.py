"""Discovery filters as QuerySet methods: topic, dates in city time, seats left, distance.

They compose (`Tweetup.objects.upcoming().with_topic("tech").with_seats_left()`), and each
is a condition an index serves or one checked on rows an index already narrowed down.
"""

import math
from datetime import UTC, date, datetime, time, timedelta

from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import ASin, Coalesce, Cos, Least, Power, Radians, Sin, Sqrt

from events.search import SearchQuerySet, _any_of

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# Every zone's offset from UTC is within these: the UTC window around a local date.
EARLIEST_OFFSET = timedelta(hours=14)  # Pacific/Kiritimati, UTC+14
LATEST_OFFSET = timedelta(hours=12)  # Etc/GMT+12, UTC−12
# Cities a distance filter's box may hold; the form caps the distance well below this.
MAX_CITIES_NEAR = 20_000


class LocalDate(Func):
    """The calendar date an instant falls on in a per-row IANA zone (a column)."""

    output_field = models.DateField()

    def __init__(self, instant, zone, **extra):
        super().__init__(instant, zone, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "((%(expressions)s))::date"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" AT TIME ZONE ")

    def as_sqlite(self, compiler, connection, **extra):
        # Django's own SQLite function behind TruncDate, given the zone from the row.
        template = "django_datetime_cast_date(%(expressions)s, 'UTC')"
        return self.as_sql(compiler, connection, template=template)


def _longitude_ranges(lon: float, span: float) -> list[tuple[float, float]]:
    """[lon − span, lon + span] as ranges within −180..180 (two across the antimeridian)."""
    if span >= 180:
        return [(-180.0, 180.0)]
    low, high = lon - span, lon + span
    if low < -180:
        return [(low + 360, 180.0), (-180.0, high)]
    if high > 180:
        return [(low, 180.0), (-180.0, high - 360)]
    return [(low, high)]


def bounding_box(lat: float, lon: float, km: float, prefix: str) -> Q:
    """Points within `km` of (lat, lon) are inside this box on `prefix`latitude/longitude
    (the converse is not true: the haversine check follows)."""
    lat_span = km / KM_PER_DEGREE
    low, high = max(lat - lat_span, -90.0), min(lat + lat_span, 90.0)
    box = Q(**{f"{prefix}latitude__range": (low, high)})
    widest = max(abs(low), abs(high))
    if widest < 89.9:
        lon_span = lat_span / math.cos(math.radians(widest))
        ranges = _longitude_ranges(lon, lon_span)
        if ranges != [(-180.0, 180.0)]:
            lon_q = Q()
            for first, last in ranges:
                lon_q |= Q(**{f"{prefix}longitude__range": (first, last)})
            box &= lon_q
    return box


def haversine_km(lat: float, lon: float, lat_field, lon_field):
    """Great-circle distance in km from (lat, lon) to the point in the two expressions."""
    dlat = Radians(lat_field) - Value(math.radians(lat))
    dlon = Radians(lon_field) - Value(math.radians(lon))
    a = Power(Sin(dlat / 2), 2) + Value(math.cos(math.radians(lat))) * Cos(
        Radians(lat_field)
    ) * Power(Sin(dlon / 2), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(a, Value(1.0))))


class DiscoveryQuerySet(SearchQuerySet):
    def with_topic(self, slug: str):
        return self.filter(topics__slug=slug)

    def with_seats_left(self):
        """Scheduled, with no capacity or fewer people going than seats."""
        return self.filter(
            Q(capacity__isnull=True) | Q(going_count__lt=F("capacity")), status="scheduled"
        )

    def starting_on(self, first: date, last: date):
        """Starting on a day from `first` to `last` (inclusive) in the tweetup's own city's
        calendar: 'Saturday' is Saturday where it happens.

        The UTC window every zone's days fall in narrows the rows by the start index; the
        exact date is then checked per row in the city's zone.
        """
        start = datetime.combine(first, time(), tzinfo=UTC) - EARLIEST_OFFSET
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC) + LATEST_OFFSET
        return (
            self.filter(starts_at__gte=start, starts_at__lt=end)
            .alias(local_start_date=LocalDate(F("starts_at"), F("city__timezone")))
            .filter(local_start_date__range=(first, last))
        )

    def within_km(self, lat: float, lon: float, km: float):
        """At most `km` from (lat, lon): the venue if placed on the map, else the city.
        Annotates `distance_km`.

        Boxes around the point narrow the rows first, on the (venue_latitude,
        venue_longitude) and City (latitude, longitude) indexes; the haversine distance
        is then checked on those.
        """
        city_model = self.model._meta.get_field("city").related_model
        cities = city_model.objects.filter(bounding_box(lat, lon, km, "")).order_by()
        near = Q(venue_latitude__isnull=False) & bounding_box(lat, lon, km, "venue_")
        in_box = cities.values("id")[:MAX_CITIES_NEAR]
        near |= Q(venue_latitude__isnull=True) & _any_of("city_id", in_box)
        distance = haversine_km(
            lat,
            lon,
            Coalesce("venue_latitude", "city__latitude"),
            Coalesce("venue_longitude", "city__longitude"),
        )
        return self.filter(near).annotate(distance_km=distance).filter(distance_km__lte=km)

    def nearest_first(self):
        """After `within_km`: the closest first, then the soonest."""
        return self.order_by("distance_km", "starts_at", "id")
