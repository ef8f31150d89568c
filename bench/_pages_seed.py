"""Part of bench/pages.py (run that): its site, N tweetups over the past and next year in
twelve cities, ~1k users, and one tweetup with 200 going to measure.

Imported after bench.common.bootstrap(): it needs Django set up.
"""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import User
from bench.common import truncate
from events.models import City, Rsvp, Tweetup

USERS = 1_000
TARGET_GOING = 200
UPCOMING_SHARE = 0.3  # most of a year's tweetups on a site are in the past
BATCH = 5_000
MEASURED_CITY = "berlin"

# (name, country, slug, IANA zone, weight): the measured city is the busiest one.
CITIES = [
    ("Berlin", "Germany", "berlin", "Europe/Berlin", 3),
    ("London", "United Kingdom", "london", "Europe/London", 2),
    ("New York", "United States", "new-york", "America/New_York", 2),
    ("San Francisco", "United States", "san-francisco", "America/Los_Angeles", 2),
    ("Tokyo", "Japan", "tokyo", "Asia/Tokyo", 1),
    ("São Paulo", "Brazil", "sao-paulo", "America/Sao_Paulo", 1),
    ("Sydney", "Australia", "sydney", "Australia/Sydney", 1),
    ("Lagos", "Nigeria", "lagos", "Africa/Lagos", 1),
    ("Mumbai", "India", "mumbai", "Asia/Kolkata", 1),
    ("Mexico City", "Mexico", "mexico-city", "America/Mexico_City", 1),
    ("Toronto", "Canada", "toronto", "America/Toronto", 1),
    ("Singapore", "Singapore", "singapore", "Asia/Singapore", 1),
]


def wipe() -> None:
    truncate(Rsvp, Tweetup, City, User, tables=("django_session",))


def evening_in(city: City, day: datetime, rng: random.Random) -> datetime:
    """A start at 18:00-20:30 local time on the given day, in UTC."""
    local = datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(city.timezone))
    local = local.replace(hour=rng.choice((18, 19, 20)), minute=rng.choice((0, 30)))
    return local.astimezone(UTC)


def seed(n: int) -> dict:
    """N tweetups over the past and next year, ~1k users, one target with 200 going."""
    rng = random.Random(n)
    now = datetime.now(UTC)
    wipe()
    cities = City.objects.bulk_create(
        City(name=name, country=country, slug=slug, timezone=zone)
        for name, country, slug, zone, _ in CITIES
    )
    weights = [w for *_, w in CITIES]
    users = User.objects.bulk_create(
        (
            User(
                username=f"x_{i}",
                password=make_password(None),  # unusable: people sign in with X
                x_id=str(10_000 + i),
                x_username=f"friend{i}",
                display_name=f"Friend {i}",
                avatar_url="" if i % 5 == 0 else f"https://pbs.twimg.com/profile_images/{i}.jpg",
            )
            for i in range(USERS)
        ),
        batch_size=BATCH,
    )

    # A few more RSVPs on one tweetup in twenty (at most 9 going: every capacity is >= 20).
    statuses = [Rsvp.Status.GOING] * 8 + [Rsvp.Status.MAYBE] * 3 + [Rsvp.Status.NOT_GOING]

    def tweetups():
        """(tweetup, its guests' RSVPs), going_count already as the RSVP services keep it."""
        for i in range(n):
            city = rng.choices(cities, weights)[0]
            if rng.random() < UPCOMING_SHARE:
                day = now + timedelta(days=rng.uniform(0.5, 365))
            else:
                day = now - timedelta(days=rng.uniform(1, 365))
            starts_at = evening_in(city, day, rng)
            cancelled = rng.random() < 0.03
            organizer = rng.choice(users)
            guests = []
            if rng.random() < 0.05:
                others = [u for u in rng.sample(users, 9) if u is not organizer]
                guests = [(u, rng.choice(statuses)) for u in others[: rng.randint(1, 8)]]
            tweetup = Tweetup(
                city=city,
                organizer=organizer,
                title=f"{city.name} tweetup #{i}",
                slug=f"{city.slug}-tweetup-{i}",
                description="Drinks and chat with people from the timeline.\nAll welcome.",
                venue_name=f"Bar {i % 300}",
                venue_address=f"{i % 200} Main Street",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=rng.choice((2, 3, 4))),
                capacity=rng.choice((None, None, 20, 40, 80)),
                hashtag=f"tu{n}_{i}",  # unique, so the hashtag exclusion constraint holds
                status=Tweetup.Status.CANCELLED if cancelled else Tweetup.Status.SCHEDULED,
                cancelled_at=now if cancelled else None,
                going_count=1 + sum(status == Rsvp.Status.GOING for _, status in guests),
            )
            yield tweetup, guests

    rsvps, batch = [], []

    def flush():
        Tweetup.objects.bulk_create([tweetup for tweetup, _ in batch])
        for tweetup, guests in batch:
            # As tweetup_create does, the organizer is the first person going.
            rsvps.append(Rsvp(tweetup=tweetup, user=tweetup.organizer, status=Rsvp.Status.GOING))
            rsvps.extend(Rsvp(tweetup=tweetup, user=u, status=st) for u, st in guests)
        batch.clear()

    for row in tweetups():
        batch.append(row)
        if len(batch) == BATCH:
            flush()
    flush()

    city = next(c for c in cities if c.slug == MEASURED_CITY)
    starts_at = evening_in(city, now + timedelta(days=10), rng)
    target = Tweetup.objects.create(
        city=city,
        organizer=users[0],
        title="The big Berlin tweetup",
        slug="bench-target",
        description="Two hundred people are going.",
        venue_name="Biergarten",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        capacity=250,
        hashtag="benchtarget",
        going_count=TARGET_GOING,
    )
    rsvps += [
        Rsvp(tweetup=target, user=user, status=Rsvp.Status.GOING) for user in users[:TARGET_GOING]
    ]
    rsvps += [
        Rsvp(tweetup=target, user=user, status=Rsvp.Status.MAYBE)
        for user in users[TARGET_GOING : TARGET_GOING + 20]
    ]
    Rsvp.objects.bulk_create(rsvps, batch_size=BATCH)

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # settled tables, as on a site past its bulk loads
        cursor.execute("CHECKPOINT")  # and the load written out now, not while measuring
    upcoming = Tweetup.objects.in_city(city).upcoming().count()
    return {
        "city": city,
        "target": target,
        "viewer": users[1],  # going to the target, so the page shows their RSVP
        "target_going": target.rsvps.going().count(),
        "city_tweetups": Tweetup.objects.in_city(city).count(),
        "city_upcoming": upcoming,
        "rsvps": len(rsvps),
    }
