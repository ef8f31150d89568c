"""Near me on PostgreSQL (earth_box on GiST indexes, a bounded read per busy city) gives
exactly what a brute-force great-circle distance gives, at the poles and across the
antimeridian too, and reads the points through their indexes."""

import math
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from events.models import City, Tweetup
from events.queries import EARTH_RADIUS_KM

pytestmark = pytest.mark.postgres

# (latitude, longitude) of cities: a spread, with clusters at both poles and astride the
# antimeridian, where latitude/longitude boxes go wrong first.
CITY_POINTS = [
    (52.52, 13.41), (52.60, 13.20), (53.55, 9.99), (-33.87, 151.21), (0.0, 0.0),
    (89.9, 10.0), (89.8, -170.0), (89.95, 100.0), (-89.9, 45.0), (-89.7, -135.0),
    (-16.5, 179.9), (-16.6, -179.9), (-17.2, 179.2), (65.0, -179.95), (64.9, 179.95),
]  # fmt: skip
QUERIES = [
    (52.52, 13.41), (52.5, 13.0), (90.0, 0.0), (89.9, -45.0), (-90.0, 0.0), (-89.8, 170.0),
    (-16.55, 180.0), (-16.55, -180.0), (65.0, 180.0), (0.0, 0.1), (-33.9, 151.0),
]  # fmt: skip


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))


@pytest.fixture
def spread(db):
    """Tweetups at every city: some at the city's point (no venue), some placed nearby
    (a few km off, wrapped across the antimeridian), several at the same point."""
    organizer = User.objects.create(username="organizer", x_username="organizer")
    cities = City.objects.bulk_create(
        City(name=f"City {i}", country="Testland", slug=f"city-{i}", timezone="UTC",
             latitude=lat, longitude=lon)
        for i, (lat, lon) in enumerate(CITY_POINTS)
    )  # fmt: skip
    now = timezone.now()
    rows = []
    for i, city in enumerate(cities):
        for j in range(8):
            placed = j % 3 != 0
            lat = max(-90.0, min(90.0, city.latitude + (j - 4) * 0.013)) if placed else None
            lon = city.longitude + (j - 3) * 0.071 if placed else None
            if lon is not None:
                lon = (lon + 180) % 360 - 180
            starts = now + timedelta(days=1 + (i * 7 + j * 3) % 11)
            rows.append(
                Tweetup(city=city, organizer=organizer, title=f"T {i}.{j}", slug=f"t-{i}-{j}",
                        venue_name="Venue", venue_latitude=lat, venue_longitude=lon,
                        starts_at=starts, ends_at=starts + timedelta(hours=2),
                        hashtag=f"tag{i}x{j}")
            )  # fmt: skip
    return Tweetup.objects.bulk_create(rows)


def brute_force(tweetups, point, km):
    found = []
    for t in tweetups:
        where = (t.venue_latitude, t.venue_longitude) if t.venue_latitude is not None else (
            t.city.latitude, t.city.longitude)  # fmt: skip
        distance = haversine(point, where)
        if distance <= km:
            found.append((distance, t.starts_at, t.pk))
    return [pk for _, _, pk in sorted(found)]


@pytest.mark.parametrize("km", [1, 25, 100, 500])
def test_near_me_is_the_brute_force_great_circle_answer(spread, km):
    tweetups = list(Tweetup.objects.select_related("city"))
    upcoming = Tweetup.objects.scheduled().upcoming()
    for lat, lon in QUERIES:
        expected = brute_force(tweetups, (lat, lon), km)
        everything = upcoming.within_km(lat, lon, km).nearest_first()
        assert [t.pk for t in everything] == expected, (lat, lon, km)
        for first in (1, 3, 5, 21):
            page = upcoming.nearest(lat, lon, km, first=first)[:first]
            assert [t.pk for t in page] == expected[:first], (lat, lon, km, first)
        distances = everything.values_list("distance_km", flat=True)
        assert all(d <= km for d in distances)


def test_the_antimeridian_and_the_pole_are_no_edge(spread):
    upcoming = Tweetup.objects.scheduled().upcoming()
    across = {t.city.name for t in upcoming.within_km(-16.55, 180.0, 60).select_related("city")}
    assert across == {"City 10", "City 11"}  # either side of 180°
    pole = {t.city.name for t in upcoming.within_km(90.0, 0.0, 30).select_related("city")}
    assert pole == {"City 5", "City 6", "City 7"}  # every longitude near the North Pole


def test_near_me_reads_the_points_through_their_gist_indexes(spread):
    """At a few thousand tweetups and cities (a realistic plan, not a tiny table's): the circle's
    venues and cities come from the GiST indexes, and no table is read whole."""
    organizer = User.objects.get()
    cities = City.objects.bulk_create(
        City(name=f"Town {i}", country="Testland", slug=f"town-{i}", timezone="UTC",
             latitude=-60 + (i * 0.119) % 120, longitude=-180 + (i * 0.347) % 360)
        for i in range(2000)
    )  # fmt: skip
    now = timezone.now()
    Tweetup.objects.bulk_create(
        Tweetup(city=cities[i % len(cities)], organizer=organizer, title=f"More {i}",
                slug=f"more-{i}", venue_name="Venue",
                venue_latitude=-60 + (i * 0.037) % 120 if i % 2 else None,
                venue_longitude=-180 + (i * 0.113) % 360 if i % 2 else None,
                starts_at=now + timedelta(hours=i), ends_at=now + timedelta(hours=i + 2),
                hashtag=f"more{i}")
        for i in range(4000)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_tweetup")
        cursor.execute("ANALYZE events_city")
    near = Tweetup.objects.scheduled().upcoming().nearest(52.52, 13.41, 25, first=21)
    plan = near[:21].explain()
    assert "tweetup_venue_earth_idx" in plan and "city_earth_idx" in plan, plan
    assert "Seq Scan on events_tweetup" not in plan, plan
