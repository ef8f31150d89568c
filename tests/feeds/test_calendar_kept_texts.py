"""Each tweetup's VEVENT is kept in the database (`TweetupVevent`, events/calendar_feeds.py), so a
calendar feed with nothing cached writes no event: it puts the kept texts together, byte for
byte what icalendar writes. Every write to what a VEVENT is written from keeps the text in
step (services, the admin, a city renamed); a text some other write left behind is never
served."""

import importlib
import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.forms.models import model_to_dict
from django.urls import reverse
from icalendar.parser import _foldline

from events import calendar_feeds
from events.admin import TweetupAdmin
from events.calendar import tweetup_uid
from events.calendar_feeds import _fold, store_all_vevents
from events.models import Tweetup, TweetupVevent
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from tests.factories import (
    HARBOUR_WALK_STARTS,
    CityFactory,
    TopicFactory,
    UserFactory,
    harbour_walk,
)
from tests.feeds.conftest import days_from_now, icalendar_writes, parse_ics, vevents

pytestmark = pytest.mark.django_db

START = HARBOUR_WALK_STARTS


def city_feed(client, city, **extra):
    cache.clear()  # nothing kept but the database's texts: the first poller after a deploy
    return client.get(reverse("feeds:city_calendar", args=[city.slug]), **extra)


def feed_event(client, tweetup, written):
    """The tweetup's event in a cold feed of its city, which wrote no event: its kept text
    was written from what the tweetup is now."""
    tweetup = Tweetup.objects.select_related("city").get(pk=tweetup.pk)
    written.clear()
    event = vevents(parse_ics(city_feed(client, tweetup.city)))[tweetup_uid(tweetup)]
    assert written == []
    return event


def test_a_cold_feed_writes_no_event_and_is_what_icalendar_writes(client, written):
    """Kept texts put together are byte for byte the calendar icalendar writes in one go:
    zones sorted before the events, lines folded where icalendar folds them (long and
    non-ASCII text, escapes at a fold), links at the address asked."""
    topic = TopicFactory(name="Chess")
    zones = ["Europe/Lisbon", "America/New_York", "UTC", "Atlantic/Reykjavik"]
    descriptions = [
        "A\nB, C; D \\ E",
        "Ünïcödé 🍻 " * 12,
        "x" * 61 + "\\, after the first fold" + "^" * 90,
        "",
    ]
    organizer = UserFactory()
    tweetups = []
    for day, (zone, description) in enumerate(zip(zones, descriptions, strict=True), start=1):
        city = CityFactory(name=zone.split("/")[-1], timezone=zone)
        start = START + timedelta(days=day)
        tweetup = tweetup_create(
            organizer=organizer,
            details=harbour_walk(
                city,
                title=f"Chess night {day} — Ünïcödé " * 3,
                description=description,
                venue_address="Rua Augusta 1, 1100-053 Lisboa" * 3,
                hashtag=f"chess{day}",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                topics=[topic],
            ),
        )
        tweetups.append(tweetup)
    tweetup_cancel(tweetup=tweetups[0], actor=organizer, reason="Rain")
    assert TweetupVevent.objects.count() == len(zones)
    cache.clear()
    written.clear()

    response = client.get(reverse("feeds:topic_calendar", args=[topic.slug]))

    assert written == []
    reference = icalendar_writes(tweetups)
    start = b"BEGIN:VTIMEZONE"
    assert response.content[response.content.index(start) :] == reference[reference.index(start) :]


def test_each_host_gets_its_own_links_from_one_kept_text(client, berlin, settings, written):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "tweetups.example"]
    tweetup = tweetup_create(organizer=UserFactory(), details=harbour_walk(berlin))
    path = tweetup.get_absolute_url()
    written.clear()
    for host in ("testserver", "tweetups.example"):
        event = vevents(parse_ics(city_feed(client, berlin, HTTP_HOST=host)))
        event = event[tweetup_uid(tweetup)]
        assert str(event["URL"]) == f"http://{host}{path}"
        assert str(event["DESCRIPTION"]) == f"Bring a camera.\n\nhttp://{host}{path}"
    assert written == []


def test_the_kept_text_follows_each_change_a_service_makes(client, berlin, written):
    organizer = UserFactory()
    walk = tweetup_create(organizer=organizer, details=harbour_walk(berlin))
    event = feed_event(client, walk, written)
    assert str(event["SUMMARY"]) == "Harbour Photo Walk"
    assert event["SEQUENCE"] == 0

    lisbon = CityFactory(name="Lisbon", timezone="Europe/Lisbon")
    moved = harbour_walk(
        lisbon,
        title="Harbour Sketch Walk",
        venue_name="Cais do Sodré",
        starts_at=START + timedelta(days=1),
        ends_at=START + timedelta(days=1, hours=3),
    )
    walk = tweetup_update(tweetup=walk, actor=organizer, details=moved)
    event = feed_event(client, walk, written)
    assert str(event["SUMMARY"]) == "Harbour Sketch Walk"
    assert str(event["LOCATION"]) == "Cais do Sodré, Lisbon"
    assert event["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert event["DTSTART"].dt == START + timedelta(days=1)
    assert event["SEQUENCE"] == 1
    assert tweetup_uid(walk) not in vevents(parse_ics(city_feed(client, berlin)))

    tweetup_cancel(tweetup=walk, actor=organizer, reason="Rain.")
    event = feed_event(client, walk, written)
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    # The same UID and SEQUENCE as the tweetup's own .ics
    (single,) = parse_ics(client.get(reverse("events:tweetup_ics", args=[walk.slug]))).walk(
        "VEVENT"
    )
    assert (str(single["UID"]), single["SEQUENCE"]) == (str(event["UID"]), event["SEQUENCE"])


def test_an_admin_edit_keeps_the_text_in_step(client, berlin, written, rf):
    tweetup = tweetup_create(organizer=UserFactory(), details=harbour_walk(berlin))
    tweetup.title = "Renamed by an admin"
    TweetupAdmin(Tweetup, admin.site).save_model(rf.post("/"), tweetup, None, True)

    assert str(feed_event(client, tweetup, written)["SUMMARY"]) == "Renamed by an admin"


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("name", "Berlin-Mitte", lambda event: str(event["LOCATION"]).endswith("Berlin-Mitte")),
        ("timezone", "Europe/Lisbon", lambda event: event["DTSTART"].params["TZID"] == "Europe/Lisbon"),  # noqa: E501
    ],
)  # fmt: skip
def test_a_city_renamed_or_moved_in_the_admin_keeps_its_tweetups_texts(
    client, berlin, written, celery_eager, django_capture_on_commit_callbacks, field, value, shown
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    tweetups = [
        tweetup_create(organizer=staff, details=harbour_walk(berlin, hashtag=f"walk{n}"))
        for n in range(3)
    ]
    client.force_login(staff)
    data = {k: "" if v is None else v for k, v in model_to_dict(berlin).items()}
    data[field] = value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:events_city_change", args=[berlin.pk]), data)
    assert response.status_code == 302, response.content[-2000:]

    for tweetup in tweetups:
        assert shown(feed_event(client, tweetup, written))


def test_an_organizers_handle_is_in_no_event(client, berlin, written):
    """The feed names no organizer: a new X handle leaves every kept text as it was."""
    tweetup = tweetup_create(
        organizer=UserFactory(x_username="old_handle"), details=harbour_walk(berlin)
    )
    before = city_feed(client, berlin).content
    tweetup.organizer.x_username = "new_handle"
    tweetup.organizer.save()

    feed_event(client, tweetup, written)  # still kept: nothing written
    assert city_feed(client, berlin).content == before
    assert b"handle" not in before


def test_a_text_some_other_write_left_behind_is_never_served(client, berlin, written):
    tweetup = tweetup_create(organizer=UserFactory(), details=harbour_walk(berlin))
    Tweetup.objects.filter(pk=tweetup.pk).update(title="New name", venue_name="Another bar")
    written.clear()

    event = vevents(parse_ics(city_feed(client, berlin)))[tweetup_uid(tweetup)]
    assert str(event["SUMMARY"]) == "New name"
    assert str(event["LOCATION"]).startswith("Another bar")
    assert written == [tweetup_uid(tweetup)]  # written afresh, not the kept text

    store_all_vevents()  # manage.py store_vevents
    assert str(feed_event(client, tweetup, written)["SUMMARY"]) == "New name"


def test_a_cold_feed_of_kept_texts_reads_no_cache_and_queries_as_before(
    client, berlin, written, django_assert_num_queries, monkeypatch
):
    organizer = UserFactory()
    for n in range(20):
        start = START + timedelta(days=n)
        tweetup_create(
            organizer=organizer,
            details=harbour_walk(
                berlin, hashtag=f"walk{n}", starts_at=start, ends_at=start + timedelta(hours=1)
            ),
        )
    cache.clear()
    written.clear()
    asked = []
    monkeypatch.setattr(calendar_feeds, "cache", SimpleNamespace(get_many=asked.append))
    with django_assert_num_queries(3):  # the city, the rows' stamp, the rows with their texts
        response = client.get(reverse("feeds:city_calendar", args=[berlin.slug]))
    assert len(vevents(parse_ics(response))) == 20
    assert written == [] and asked == []


def test_the_migration_keeps_the_texts_of_existing_tweetups(client, berlin, written):
    organizer = UserFactory()
    tweetups = [days_from_now(day, city=berlin, organizer=organizer) for day in (-3, 1, 2)]
    assert not TweetupVevent.objects.exists()  # made around the services, as before 0022
    migration = importlib.import_module("events.migrations.0022_tweetup_vevent")
    apps = MigrationLoader(connection).project_state(("events", "0022_tweetup_vevent")).apps

    migration.store_vevents(apps, SimpleNamespace(connection=connection))

    assert TweetupVevent.objects.count() == 3
    for tweetup in tweetups:
        feed_event(client, tweetup, written)


def test_store_all_keeps_every_row_a_batch_at_a_time(berlin, django_assert_num_queries):
    for day in range(5):
        days_from_now(day, city=berlin)
    # Each batch: its rows read, then a savepoint, one INSERT and its release; then a read
    # that finds no more.
    with django_assert_num_queries(3 * 4 + 1):
        assert store_all_vevents(batch=2) == 5
    assert TweetupVevent.objects.count() == 5


def test_folding_is_icalendars():
    """`_fold` cuts by octets what icalendar folds a character at a time: the same lines,
    for ASCII, escapes at the fold, and characters of two to four octets."""
    rng = random.Random(5545)
    alphabet = ["a", "b", " ", "\\", "^", ",", "é", "€", "🍻", "Ω", "漢"]
    lines = [
        "".join(rng.choices(alphabet, weights=[30, 30, 5, 5, 3, 3, 5, 5, 3, 3, 3], k=n))
        for n in [*range(60, 90), *(rng.randint(1, 600) for _ in range(500))]
    ]
    lines += ["x" * 73 + "\\n" + "y" * 80, "x" * 74, "x" * 75, "x" * 148, "x" * 149]
    for line in lines:
        assert _fold(line.encode()) == _foldline(line).encode()
