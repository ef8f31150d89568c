"""Per-city iCalendar feeds: content, time zones, identity with the single .ics, and
cheap polling (conditional GET, a fixed number of queries)."""

from datetime import timedelta

import factory
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from events.calendar import tweetup_uid
from events.services import tweetup_cancel
from feeds import sources
from tests.factories import CityFactory, TweetupFactory
from tests.feeds.conftest import days_from_now, parse_ics, vevents

pytestmark = pytest.mark.django_db


def city_feed(client, city, **headers):
    return client.get(reverse("feeds:city_calendar", args=[city.slug]), headers=headers)


def test_a_city_feed_has_its_upcoming_and_recent_tweetups_in_city_time(client, berlin):
    soon, later = days_from_now(2, city=berlin), days_from_now(40, city=berlin)
    recent = days_from_now(-10, city=berlin)
    days_from_now(-45, city=berlin)  # too long ago
    days_from_now(2, city=CityFactory(name="Lisbon", timezone="Europe/Lisbon"))

    response = city_feed(client, berlin)

    calendar = parse_ics(response)
    assert set(vevents(calendar)) == {tweetup_uid(t) for t in (soon, later, recent)}
    assert str(calendar["X-WR-CALNAME"]) == "Tweetups in Berlin"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    for event in calendar.walk("VEVENT"):
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    event = vevents(calendar)[tweetup_uid(soon)]
    assert event["DTSTART"].dt == soon.starts_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == soon.title
    assert str(event["URL"]) == f"http://testserver{soon.get_absolute_url()}"
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in response.get("Vary", "")  # one copy for everyone in a shared cache


def test_uid_and_sequence_are_those_of_the_single_event_file(client, berlin):
    tweetup = days_from_now(5, city=berlin, revision=3)
    single = parse_ics(client.get(reverse("events:tweetup_ics", args=[tweetup.slug])))
    (single_event,) = single.walk("VEVENT")

    (feed_event,) = parse_ics(city_feed(client, berlin)).walk("VEVENT")

    assert feed_event["UID"] == single_event["UID"] == tweetup_uid(tweetup)
    assert feed_event["SEQUENCE"] == single_event["SEQUENCE"] == 3
    assert feed_event["DTSTART"].to_ical() == single_event["DTSTART"].to_ical()
    assert feed_event["LOCATION"] == single_event["LOCATION"]


def test_a_cancelled_tweetup_stays_in_the_feed_as_cancelled(client, berlin):
    kept, cancelled = days_from_now(3, city=berlin), days_from_now(4, city=berlin)
    tweetup_cancel(tweetup=cancelled, actor=cancelled.organizer, reason="Venue closed")

    events = vevents(parse_ics(city_feed(client, berlin)))

    assert events[tweetup_uid(kept)]["STATUS"] == "CONFIRMED"
    assert events[tweetup_uid(cancelled)]["STATUS"] == "CANCELLED"
    assert events[tweetup_uid(cancelled)]["SEQUENCE"] == 1


def test_the_feed_has_the_next_tweetups_and_the_latest_past_ones(client, berlin, monkeypatch):
    monkeypatch.setattr(sources, "FEED_MAX_UPCOMING", 2)
    monkeypatch.setattr(sources, "FEED_MAX_RECENT", 1)
    days_from_now(-3, city=berlin)
    latest = days_from_now(-1, city=berlin)
    soonest, next_one = days_from_now(1, city=berlin), days_from_now(2, city=berlin)
    days_from_now(3, city=berlin)

    calendar = parse_ics(city_feed(client, berlin))
    in_date_order = [tweetup_uid(t) for t in (latest, soonest, next_one)]
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == in_date_order


def test_a_busy_past_month_leaves_room_for_what_is_coming(client, berlin):
    """Soonest first from 30 days ago under one cap, a city with more tweetups in its past
    month than the cap had none to come in its feed."""
    past = sources.FEED_MAX_RECENT + sources.FEED_MAX_UPCOMING
    starts = timezone.now() - timedelta(days=20)
    TweetupFactory.create_batch(
        past,
        city=berlin,
        starts_at=factory.Sequence(lambda n: starts + timedelta(minutes=n)),
        ends_at=factory.LazyAttribute(lambda t: t.starts_at + timedelta(hours=1)),
    )
    coming = days_from_now(5, city=berlin)

    events = vevents(parse_ics(city_feed(client, berlin)))

    assert tweetup_uid(coming) in events
    assert len(events) == sources.FEED_MAX_RECENT + 1


def test_an_unchanged_feed_is_a_304_and_a_change_is_a_new_etag(client, berlin):
    tweetup = days_from_now(3, city=berlin)
    first = city_feed(client, berlin)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert last_modified == http_date(int(tweetup.updated_at.timestamp()))

    again = city_feed(client, berlin, If_None_Match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"].startswith("public")
    assert city_feed(client, berlin, If_Modified_Since=last_modified).status_code == 304

    tweetup.title = "Renamed"
    tweetup.updated_at = timezone.now() + timedelta(seconds=2)  # past the second it had
    tweetup.save()
    changed = city_feed(client, berlin, If_None_Match=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Renamed" in changed.content.decode()

    days_from_now(9, city=berlin)  # a new tweetup in the feed is a change too
    assert city_feed(client, berlin, If_None_Match=changed["ETag"]).status_code == 200


def test_an_empty_feed_is_valid_and_still_validates(client, berlin):
    response = city_feed(client, berlin)
    assert vevents(parse_ics(response)) == {}
    assert "Last-Modified" not in response
    assert city_feed(client, berlin, If_None_Match=response["ETag"]).status_code == 304


@pytest.mark.parametrize("size", [3, 30])
def test_a_feed_takes_three_queries_whatever_its_size(
    client, berlin, size, django_assert_num_queries
):
    for day in range(size):
        days_from_now(day - 5, city=berlin)
    with django_assert_num_queries(3):  # the city, the rows' stamp, the rows
        response = city_feed(client, berlin)
    assert len(vevents(parse_ics(response))) == size
    with django_assert_num_queries(2):
        assert city_feed(client, berlin, If_None_Match=response["ETag"]).status_code == 304
    with django_assert_num_queries(2):  # a new poller: the same bytes, from the cache
        again = city_feed(client, berlin)
    assert again.content == response.content
    assert again["ETag"] == response["ETag"]


def test_a_cached_feed_is_rendered_again_after_a_change(client, berlin):
    tweetup = days_from_now(3, city=berlin)
    assert tweetup.title.encode() in city_feed(client, berlin).content
    tweetup.title = "A new name"
    tweetup.updated_at = timezone.now() + timedelta(seconds=2)
    tweetup.save()
    assert b"A new name" in city_feed(client, berlin).content


def test_without_the_cache_feeds_are_rendered_every_time(client, berlin, settings):
    settings.CACHES = {"default": {"BACKEND": "tests.feeds.conftest.BrokenCache"}}
    days_from_now(3, city=berlin)
    assert len(vevents(parse_ics(city_feed(client, berlin)))) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/c/nowhere/calendar.ics",
        "/c/nowhere/atom.xml",
        "/c/%00/calendar.ics",
        "/c/%E2%80%AE/calendar.ics",
        "/c/" + "x" * 5000 + "/calendar.ics",
        "/c/berlin/calendar.ics/extra",
    ],
)
def test_junk_city_feed_addresses_are_404s_in_the_sites_look(client, berlin, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"We couldn't find that page" in response.content
