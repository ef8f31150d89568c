"""Feed, page download and mail invitation all write a tweetup's times as the city's wall
clock with TZID=<its IANA zone> and a VTIMEZONE for it, including zones icalendar would
otherwise write as UTC (Reykjavík is UTC+0 all year) and zones crossing a DST change."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from events.calendar import Attendee, tweetup_ics, tweetup_uid
from events.services import tweetup_cancel
from tests.factories import CityFactory, TopicFactory, TweetupFactory
from tests.feeds.conftest import parse_ics, vevents

pytestmark = pytest.mark.django_db

ZONES = {
    "Reykjavik": "Atlantic/Reykjavik",  # UTC+0, no DST: the one icalendar wrote as `Z`
    "Lisbon": "Europe/Lisbon",  # UTC+0 in winter, UTC+1 in summer
    "New York": "America/New_York",
}


def at_local(city, day: date, hour: int) -> datetime:
    """`hour` o'clock on `day`, on the city's wall clock, as an aware time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=city.tzinfo)


def tweetup_at(city, day: date, hour: int = 19, **kwargs):
    starts_at = at_local(city, day, hour)
    return TweetupFactory(
        city=city, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), **kwargs
    )


def second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def next_winter_day() -> date:
    """A January day next year: standard time in every zone here, and inside the feed."""
    return date(timezone.now().year + 1, 1, 14)


def assert_city_time(raw: bytes, event, field: str, zone: str, local: datetime):
    """As written (wall clock, TZID, no `Z`: icalendar writes a parsed Reykjavík time back
    as UTC, so the bytes are read as sent) and as a calendar app reads it."""
    line = f"{field};TZID={zone}:{local.strftime('%Y%m%dT%H%M%S')}\r\n".encode()
    assert line in raw
    prop = event[field]
    assert prop.params["TZID"] == zone
    assert prop.dt.tzinfo == ZoneInfo(zone)
    assert prop.dt == local


def assert_has_vtimezone(calendar: Calendar, zone: str):
    assert zone in [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]


@pytest.mark.parametrize("name", ZONES)
def test_a_city_feed_writes_city_time_with_its_zone(client, name):
    zone = ZONES[name]
    city = CityFactory(name=name, timezone=zone)
    tweetup = tweetup_at(city, next_winter_day())

    response = client.get(reverse("feeds:city_calendar", args=[city.slug]))

    calendar = parse_ics(response)
    assert_has_vtimezone(calendar, zone)
    event = vevents(calendar)[tweetup_uid(tweetup)]
    day = next_winter_day()
    assert_city_time(response.content, event, "DTSTART", zone, at_local(city, day, 19))
    assert_city_time(response.content, event, "DTEND", zone, at_local(city, day, 21))


@pytest.mark.parametrize("name", ZONES)
def test_the_page_download_and_the_mail_invitation_write_city_time_too(client, name):
    zone = ZONES[name]
    city = CityFactory(name=name, timezone=zone)
    tweetup = tweetup_at(city, next_winter_day(), hour=18)
    page = client.get(reverse("events:tweetup_ics", args=[tweetup.slug]))
    assert page.status_code == 200
    invitation = tweetup_ics(
        tweetup, method="REQUEST", attendee=Attendee("ana@example.com", "Ana", "ACCEPTED")
    )

    day = next_winter_day()
    for raw in (page.content, invitation):
        calendar = Calendar.from_ical(raw)
        assert_has_vtimezone(calendar, zone)
        (event,) = calendar.walk("VEVENT")
        assert_city_time(raw, event, "DTSTART", zone, at_local(city, day, 18))
        assert_city_time(raw, event, "DTEND", zone, at_local(city, day, 20))


def test_new_york_keeps_seven_pm_on_both_sides_of_the_dst_change(client):
    city = CityFactory(name="New York", timezone="America/New_York")
    change = second_sunday_of_march(timezone.now().year + 1)
    before = tweetup_at(city, change - timedelta(days=1))
    after = tweetup_at(city, change + timedelta(days=1))

    response = client.get(reverse("feeds:city_calendar", args=[city.slug]))

    calendar = parse_ics(response)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert {c.name for c in vtimezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    events = vevents(calendar)
    sides = ((before, change - timedelta(days=1), 0), (after, change + timedelta(days=1), 23))
    for tweetup, day, utc_hour in sides:
        event = events[tweetup_uid(tweetup)]
        assert_city_time(
            response.content, event, "DTSTART", "America/New_York", at_local(city, day, 19)
        )
        # 19:00 EST is 00:00 UTC next day; 19:00 EDT is 23:00 UTC the same day.
        assert event["DTSTART"].dt.astimezone(ZoneInfo("UTC")).hour == utc_hour
        assert event["DTSTART"].dt == tweetup.starts_at


def test_feed_and_download_agree_on_uid_sequence_times_and_cancellation(client):
    city = CityFactory(name="Reykjavik", timezone="Atlantic/Reykjavik")
    tweetup = tweetup_at(city, next_winter_day(), revision=2)
    tweetup_cancel(tweetup=tweetup, actor=tweetup.organizer, reason="Storm")
    tweetup.refresh_from_db()

    single_response = client.get(reverse("events:tweetup_ics", args=[tweetup.slug]))
    feed_response = client.get(reverse("feeds:city_calendar", args=[city.slug]))
    (single,) = parse_ics(single_response).walk("VEVENT")
    (fed,) = parse_ics(feed_response).walk("VEVENT")

    assert fed["UID"] == single["UID"] == tweetup_uid(tweetup)
    assert fed["SEQUENCE"] == single["SEQUENCE"] == tweetup.revision == 3
    start = (
        b"DTSTART;TZID=Atlantic/Reykjavik:" + tweetup.starts_at.strftime("%Y%m%dT%H%M%S").encode()
    )
    assert start in single_response.content and start in feed_response.content
    assert fed["DTSTART"].params == single["DTSTART"].params == {"TZID": "Atlantic/Reykjavik"}
    assert fed["STATUS"] == single["STATUS"] == "CANCELLED"


def test_a_city_in_utc_itself_keeps_utc_times(client):
    city = CityFactory(name="Nowhere", timezone="UTC")
    tweetup = tweetup_at(city, next_winter_day())

    (event,) = parse_ics(client.get(reverse("events:tweetup_ics", args=[tweetup.slug]))).walk(
        "VEVENT"
    )

    assert event["DTSTART"].to_ical().decode().endswith("Z")
    assert event["DTSTART"].dt == tweetup.starts_at


def test_a_feed_of_many_zones_has_one_vtimezone_each_made_once_per_process(client, monkeypatch):
    from events import calendar as ics

    ics._vtimezone.cache_clear()
    ics._vtimezone_ical.cache_clear()
    made = []
    real = ics.Timezone.from_tzid
    monkeypatch.setattr(
        ics.Timezone, "from_tzid", lambda tzid, **kw: made.append(tzid) or real(tzid, **kw)
    )
    topic = TopicFactory(name="Books")
    for name, zone in ZONES.items():
        tweetup_at(CityFactory(name=name, timezone=zone), next_winter_day()).topics.add(topic)
    url = reverse("feeds:topic_calendar", args=[topic.slug])

    calendar = parse_ics(client.get(url))
    zones = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    assert zones == sorted(ZONES.values())
    assert calendar.subcomponents[: len(zones)] == calendar.walk("VTIMEZONE")  # zones first
    cache.clear()  # the feed's kept body gone: rendered again
    again = parse_ics(client.get(url))

    assert [str(tz["TZID"]) for tz in again.walk("VTIMEZONE")] == zones
    assert sorted(made) == sorted(ZONES.values())  # each zone made once
    ics._vtimezone.cache_clear()
    ics._vtimezone_ical.cache_clear()
