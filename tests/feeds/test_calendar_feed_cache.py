"""A calendar feed keeps each event's text (events/calendar_feeds.py `feed_ics`): rendered afresh
after a change, only the changed event is written again, and no kept text is ever stale,
whatever changed (the tweetup, its status, its city's name or zone, the site's address)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from events.calendar import tweetup_uid
from events.models import Tweetup
from events.services import tweetup_cancel
from feeds.views import feed_body_key
from tests.factories import CityFactory, TopicFactory
from tests.feeds.conftest import days_from_now, icalendar_writes, parse_ics, vevents

pytestmark = pytest.mark.django_db


def city_feed(client, city, **headers):
    return client.get(reverse("feeds:city_calendar", args=[city.slug]), headers=headers)


def later(tweetup: Tweetup) -> None:
    """Saved past the second its stamp had, as a later request would."""
    tweetup.updated_at = timezone.now() + timedelta(seconds=2)
    tweetup.save()


def test_after_a_change_only_the_changed_event_is_written_again(client, berlin, written):
    tweetups = [days_from_now(day, city=berlin) for day in (-3, 1, 2, 5)]
    first = city_feed(client, berlin)
    assert sorted(written) == sorted(tweetup_uid(t) for t in tweetups)
    written.clear()

    changed = tweetups[2]
    changed.title = "Moved to the rooftop"
    later(changed)
    response = city_feed(client, berlin)

    assert written == [tweetup_uid(changed)]
    events = vevents(parse_ics(response))
    assert str(events[tweetup_uid(changed)]["SUMMARY"]) == "Moved to the rooftop"
    before = vevents(parse_ics(first))
    for tweetup in tweetups:
        if tweetup != changed:
            assert events[tweetup_uid(tweetup)].to_ical() == before[tweetup_uid(tweetup)].to_ical()


def test_a_tweetup_cancelled_after_its_text_was_kept_shows_cancelled_at_once(client, berlin):
    kept, cancelled = days_from_now(3, city=berlin), days_from_now(4, city=berlin)
    events = vevents(parse_ics(city_feed(client, berlin)))
    assert events[tweetup_uid(cancelled)]["STATUS"] == "CONFIRMED"

    tweetup_cancel(tweetup=cancelled, actor=cancelled.organizer, reason="Venue closed")
    cancelled.refresh_from_db()

    events = vevents(parse_ics(city_feed(client, berlin)))
    assert events[tweetup_uid(cancelled)]["STATUS"] == "CANCELLED"
    assert events[tweetup_uid(kept)]["STATUS"] == "CONFIRMED"
    single = parse_ics(client.get(reverse("events:tweetup_ics", args=[cancelled.slug])))
    (single_event,) = single.walk("VEVENT")
    assert events[tweetup_uid(cancelled)]["SEQUENCE"] == single_event["SEQUENCE"] == 1


def test_a_change_that_leaves_the_stamp_as_it_was_is_not_hidden_by_a_kept_text(client, berlin):
    """A row written without touching updated_at or revision (an admin's bulk edit): the
    rendered body is kept under the old stamp until it expires, but once it is rendered
    again the event's text is never the old one."""
    tweetup = days_from_now(3, city=berlin, title="Old name")
    first = city_feed(client, berlin)
    assert b"Old name" in first.content
    Tweetup.objects.filter(pk=tweetup.pk).update(title="New name", venue_name="Another bar")
    cache.delete(feed_body_key(first["ETag"], "http://testserver"))  # the body expired

    event = vevents(parse_ics(city_feed(client, berlin)))[tweetup_uid(tweetup)]
    assert str(event["SUMMARY"]) == "New name"
    assert str(event["LOCATION"]).startswith("Another bar")


def test_a_renamed_city_shows_in_every_events_location_at_once(client):
    city = CityFactory(name="Koenigsberg", timezone="Europe/Berlin")
    tweetups = [days_from_now(day, city=city) for day in (1, 2)]
    assert b"Koenigsberg" in city_feed(client, city).content

    city.name = "Kaliningrad"
    city.save()

    events = vevents(parse_ics(city_feed(client, city)))
    for tweetup in tweetups:
        assert str(events[tweetup_uid(tweetup)]["LOCATION"]).endswith(", Kaliningrad")


def test_a_city_moved_to_another_zone_gets_its_new_tzid_and_vtimezone(client):
    city = CityFactory(name="Tijuana", timezone="America/Los_Angeles")
    tweetup = days_from_now(20, city=city)
    assert b"TZID=America/Los_Angeles" in city_feed(client, city).content

    city.timezone = "America/Tijuana"
    city.save()

    calendar = parse_ics(city_feed(client, city))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Tijuana"]
    event = vevents(calendar)[tweetup_uid(tweetup)]
    assert event["DTSTART"].params["TZID"] == "America/Tijuana"
    assert event["DTSTART"].dt == tweetup.starts_at.replace(microsecond=0)


def test_each_host_gets_its_own_links(client, berlin, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "tweetups.example"]
    tweetup = days_from_now(3, city=berlin)
    path = tweetup.get_absolute_url()
    url = reverse("feeds:city_calendar", args=[berlin.slug])
    for host in ("testserver", "tweetups.example"):
        event = vevents(parse_ics(client.get(url, HTTP_HOST=host)))[tweetup_uid(tweetup)]
        assert str(event["URL"]) == f"http://{host}{path}"
        assert f"http://{host}{path}" in str(event["DESCRIPTION"])


def test_the_feed_is_what_icalendar_writes_for_the_whole_calendar(client):
    """Kept texts put together are byte for byte the calendar icalendar writes in one go,
    kept or not, zones sorted before the events."""
    topic = TopicFactory(name="Chess")
    zones = ["Europe/Lisbon", "America/New_York", "UTC", "Atlantic/Reykjavik"]
    tweetups = []
    for day, zone in enumerate(zones, start=1):
        city = CityFactory(name=zone.split("/")[-1], timezone=zone)
        tweetup = days_from_now(day, city=city, description="A\nB, C; D")
        tweetup.topics.add(topic)
        tweetups.append(tweetup)
    tweetup_cancel(tweetup=tweetups[0], actor=tweetups[0].organizer, reason="Rain")
    url = reverse("feeds:topic_calendar", args=[topic.slug])

    cold = client.get(url)
    cache.delete(feed_body_key(cold["ETag"], "http://testserver"))
    warm = client.get(url)

    reference = icalendar_writes(tweetups)
    assert cold.content == warm.content
    start = b"BEGIN:VTIMEZONE"  # the calendar's own lines before it: checked elsewhere
    assert cold.content[cold.content.index(start) :] == reference[reference.index(start) :]
    zones_written = [str(tz["TZID"]) for tz in Calendar.from_ical(reference).walk("VTIMEZONE")]
    assert zones_written == sorted(set(zones) - {"UTC"})


@pytest.mark.parametrize("size", [3, 30])
def test_queries_are_fixed_with_the_event_texts_kept_or_not(
    client, berlin, size, django_assert_num_queries
):
    tweetups = [days_from_now(day - 5, city=berlin) for day in range(size)]
    with django_assert_num_queries(3):  # the city, the rows' stamp, the rows
        assert len(vevents(parse_ics(city_feed(client, berlin)))) == size
    later(tweetups[size // 2])  # a new ETag: no kept body, every other event's text kept
    with django_assert_num_queries(3):
        response = city_feed(client, berlin)
    assert len(vevents(parse_ics(response))) == size
    cache.clear()  # nothing kept
    with django_assert_num_queries(3):
        assert city_feed(client, berlin).content == response.content


def test_each_link_is_the_tweetups_own_address(client, berlin, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "tweetup-slug.example"]
    slugs = ["tweetup-slug", "A_b-9", "x", "tweetup-slug-2"]
    tweetups = [days_from_now(day, city=berlin, slug=slug) for day, slug in enumerate(slugs, 1)]
    url = reverse("feeds:city_calendar", args=[berlin.slug])

    events = vevents(parse_ics(client.get(url, HTTP_HOST="tweetup-slug.example")))

    for tweetup in tweetups:
        address = f"http://tweetup-slug.example{tweetup.get_absolute_url()}"
        assert str(events[tweetup_uid(tweetup)]["URL"]) == address
