from datetime import timedelta

import pytest
from django.core.cache.backends.base import BaseCache
from django.utils import timezone
from icalendar import Calendar

from events import calendar as ics
from events.models import Tweetup
from tests.factories import TweetupFactory


def days_from_now(days: float, **kwargs):
    """A tweetup starting `days` from now (negative: in the past), three hours long."""
    starts_at = timezone.now() + timedelta(days=days)
    return TweetupFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), **kwargs)


def parse_ics(response) -> Calendar:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def vevents(calendar: Calendar) -> dict[str, object]:
    """The calendar's events by UID."""
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


class BrokenCache(BaseCache):
    """A cache whose server is away: every call fails."""

    def __init__(self, location=None, params=None):
        super().__init__(params or {})

    def get(self, *args, **kwargs):
        raise ConnectionError("cache down")

    set = add = delete = get_many = set_many = get


@pytest.fixture
def written(monkeypatch):
    """The UIDs of the events icalendar is asked to write, in order."""
    uids = []
    real = ics._vevent

    def counting(fields):
        uids.append(fields.uid)
        return real(fields)

    monkeypatch.setattr(ics, "_vevent", counting)
    return uids


def icalendar_writes(tweetups) -> bytes:
    """What icalendar itself writes for `tweetups` (a feed's events, zones first), each
    linked at testserver and stamped as feeds stamp them: a reference for the feed's bytes
    from the VTIMEZONEs on (the calendar's own lines come before)."""
    whole = Calendar()
    for tweetup in Tweetup.objects.filter(pk__in=[t.pk for t in tweetups]).order_by("starts_at"):
        address = f"http://testserver{tweetup.get_absolute_url()}"
        event = ics.tweetup_vevent(tweetup, url=address, stamp=tweetup.updated_at)
        event.add("last-modified", tweetup.updated_at)
        whole.add_component(event)
    whole.add_missing_timezones()
    whole.subcomponents.sort(key=lambda c: (c.name != "VTIMEZONE", str(c.get("TZID", ""))))
    return whole.to_ical()
