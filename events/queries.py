"""Discovery filters as QuerySet methods: topic, dates in city time, seats left, distance.

They compose (`Tweetup.objects.upcoming().with_topic("tech").with_seats_left()`), and each
is a condition an index serves or one checked on rows an index already narrowed down.

Distances on PostgreSQL: the `cube` and `earthdistance` contrib extensions (migration
0019) index each venue and city as a point on the Earth (`LlToEarth`, GiST indexes), so
"within N km" asks those indexes for the points in a box around the circle; the
great-circle distance is then checked, and sorted on, for those points only. Elsewhere
(SQLite) latitude/longitude boxes on plain indexes narrow the rows instead.
"""

import math
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, models
from django.db.models import F, Func, OuterRef, Q, Value
from django.db.models.functions import ASin, Coalesce, Cos, Least, Power, Radians, Sin, Sqrt

from events.indexes import LlToEarth
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


class EarthBoxContains(Func):
    """The point `lat_field`/`lon_field` is in earthdistance's box around (lat, lon) that
    holds every point within `km` (and some further: the distance is checked after).

    The box's radius is in the units of earthdistance's `earth()` (metres on a sphere of
    6378.168 km) while our distances are on a sphere of EARTH_RADIUS_KM: the same angle,
    km / EARTH_RADIUS_KM, is asked for, with a hair more for rounding.
    """

    output_field = models.BooleanField()

    def __init__(self, lat: float, lon: float, km: float, lat_field: str, lon_field: str):
        angle = km / EARTH_RADIUS_KM * (1 + 1e-9)
        super().__init__(
            LlToEarth(Value(float(lat)), Value(float(lon))),
            Value(angle),
            LlToEarth(F(lat_field), F(lon_field)),
        )

    def as_sql(self, compiler, connection, **extra):
        centre, angle, point = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"earth_box({centre[0]}, {angle[0]} * earth()) @> {point[0]}"
        return sql, (*centre[1], *angle[1], *point[1])


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

        Boxes around the point narrow the rows first: on PostgreSQL the GiST indexes of
        venues' and cities' points on the Earth (`LlToEarth`), elsewhere the
        (venue_latitude, venue_longitude) and City (latitude, longitude) indexes. The
        haversine distance is then checked on those, the same everywhere.
        """
        city_model = self.model._meta.get_field("city").related_model
        if connections[self.db].vendor == "postgresql":
            venue_box = EarthBoxContains(lat, lon, km, "venue_latitude", "venue_longitude")
            city_box = EarthBoxContains(lat, lon, km, "latitude", "longitude")
        else:
            venue_box = bounding_box(lat, lon, km, "venue_")
            city_box = bounding_box(lat, lon, km, "")
        cities = city_model.objects.filter(city_box).order_by()
        near = Q(venue_latitude__isnull=False) & Q(venue_box)
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

    def nearest(self, lat: float, lon: float, km: float, *, first: int):
        """`within_km(lat, lon, km).nearest_first()`, right in its first `first` rows (a
        page ending there): call it last, with every filter already applied.

        Within reach of a busy city are thousands of tweetups, and sorting them all by
        distance reads each one for the sake of a page of twenty. On PostgreSQL this reads
        at most `first` rows each way a tweetup gets its point: placed venues, nearest
        first; and for each city within reach, its unplaced ones soonest first (they are
        all at the city's distance). The first `first` rows of the whole listing are among
        those, ordered as `nearest_first()` orders them.
        """
        everything = self.within_km(lat, lon, km).nearest_first()
        if connections[self.db].vendor != "postgresql":
            return everything
        city_model = self.model._meta.get_field("city").related_model
        filtered = self.order_by()
        venues = (
            filtered.filter(
                EarthBoxContains(lat, lon, km, "venue_latitude", "venue_longitude"),
                venue_latitude__isnull=False,
            )
            .alias(venue_km=haversine_km(lat, lon, F("venue_latitude"), F("venue_longitude")))
            .filter(venue_km__lte=km)
            .order_by("venue_km", "starts_at", "id")
            .values("id")[:first]
        )
        in_city = (
            filtered.filter(city_id=OuterRef("pk"), venue_latitude__isnull=True)
            .order_by("starts_at", "id")
            .values("id")[:first]
        )
        cities = (
            city_model.objects.filter(EarthBoxContains(lat, lon, km, "latitude", "longitude"))
            .alias(city_km=haversine_km(lat, lon, F("latitude"), F("longitude")))
            .filter(city_km__lte=km)
            .order_by()
            .annotate(tweetup_id=Func(ArraySubquery(in_city), function="unnest"))
            .values("tweetup_id")[:MAX_CITIES_NEAR]
        )
        ids = _any_of("id", venues) | _any_of("id", cities)
        return everything.filter(ids)
