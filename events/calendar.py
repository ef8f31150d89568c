"""iCalendar (RFC 5545) for tweetups: the page's download, the invitations in mail, and the
subscribable feeds (feeds/). One VEVENT builder serves them all, so a tweetup has the same
UID and SEQUENCE wherever a calendar app meets it."""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText

from events.models import Tweetup

PRODID = "-//Tweetups//tweetups//EN"


@dataclass(frozen=True)
class Attendee:
    """The person an invitation is for, and their answer (None claims no answer)."""

    address: str
    name: str
    partstat: str | None = None  # ACCEPTED when going, TENTATIVE for maybe


def tweetup_uid(tweetup: Tweetup) -> str:
    """Stable per tweetup, so calendar apps update the same event."""
    return f"tweetup-{tweetup.pk}@tweetups"


def _add_city_time(event: Event, name: str, moment: datetime) -> None:
    """A time as the city's wall clock with TZID=<its IANA zone>.

    Handing icalendar the aware time is not enough: it writes any zone it finds equivalent
    to UTC since 1970 (Atlantic/Reykjavik, Africa/Abidjan...) as UTC with a `Z`, no TZID
    and no VTIMEZONE, so calendar apps lose the city's zone. The naive local time with an
    explicit TZID keeps it, and `add_missing_timezones()` writes that zone's VTIMEZONE.
    A city whose zone is UTC itself still gets `Z`, which is what RFC 5545 asks for.
    """
    zone = moment.tzinfo.key  # City.tzinfo is a ZoneInfo
    event.add(name, moment.replace(tzinfo=None), parameters={"TZID": zone})


def tweetup_vevent(
    tweetup: Tweetup, *, url: str, stamp: datetime, cancelled: bool = False
) -> Event:
    """The tweetup as a VEVENT: UID stable per tweetup, SEQUENCE its revision, times in the
    city's TZID (the calendar adds the VTIMEZONE), STATUS:CANCELLED once it is off."""
    event = Event()
    event.add("uid", tweetup_uid(tweetup))
    event.add("sequence", tweetup.revision)
    event.add("dtstamp", stamp)
    _add_city_time(event, "dtstart", tweetup.local_starts_at)
    _add_city_time(event, "dtend", tweetup.local_ends_at)
    event.add("summary", tweetup.title)
    event.add("location", vText(tweetup.location))
    if url:
        event.add("url", url)
    event.add("description", f"{tweetup.description}\n\n{url}".strip())
    cancelled = cancelled or tweetup.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


@functools.lru_cache(maxsize=1024)
def _vtimezone(tzid: str) -> Timezone | None:
    """A zone's VTIMEZONE, as icalendar writes it from zoneinfo (1970 to 2038), made once
    per process: making one walks decades of transitions (tens of milliseconds a zone),
    and a topic or search feed names a dozen zones. None for a zone icalendar can't write.
    Shared by every calendar that uses the zone: nothing here changes a component once
    it is in a calendar (they are only written out)."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None


def _add_timezones(cal: Calendar) -> None:
    """A VTIMEZONE for every TZID the events use, before the events and sorted by TZID
    (what `Calendar.add_missing_timezones()` adds, without remaking each one every time)."""
    found = (_vtimezone(tzid) for tzid in sorted(cal.get_missing_tzids()))
    zones = [zone for zone in found if zone is not None]
    cal.subcomponents[len(cal.timezones) : len(cal.timezones)] = zones


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def tweetup_ics(
    tweetup: Tweetup,
    *,
    url: str = "",
    method: str = "PUBLISH",
    attendee: Attendee | None = None,
) -> bytes:
    """One tweetup as a file.

    PUBLISH is a file to import (the tweetup page's download). The iTIP methods (RFC 5546)
    are mail to `attendee`: REQUEST puts (or updates) the event in their calendar with
    their answer as PARTSTAT; CANCEL with the same UID and a higher SEQUENCE takes it out
    again. Both name the site's From address as ORGANIZER, as iTIP requires.
    """
    cal = _calendar(method)
    event = tweetup_vevent(tweetup, url=url, stamp=timezone.now(), cancelled=method == "CANCEL")
    if method != "PUBLISH":
        from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        organizer = vCalAddress(f"mailto:{from_address}")
        organizer.params["cn"] = vText(from_name or "Tweetups")
        event.add("organizer", organizer)
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.address}")
        address.params["cn"] = vText(attendee.name)
        if attendee.partstat:
            address.params["partstat"] = attendee.partstat
        address.params["rsvp"] = "FALSE"  # nobody reads replies sent to the From address
        event.add("attendee", address)
    cal.add_component(event)
    _add_timezones(cal)
    return cal.to_ical()


def feed_ics(
    tweetups: Iterable[Tweetup],
    *,
    name: str,
    url_for: Callable[[Tweetup], str],
    refresh: timedelta,
) -> bytes:
    """Tweetups as a calendar to subscribe to, with one VTIMEZONE per zone used.

    No METHOD: a subscription is not an iTIP message. Each DTSTAMP is the tweetup's last
    change, so the same rows make the same bytes (feeds answer 304s from the rows' stamp).
    """
    cal = _calendar()
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what Apple and Google Calendar show
    cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    for tweetup in tweetups:
        event = tweetup_vevent(tweetup, url=url_for(tweetup), stamp=tweetup.updated_at)
        event.add("last-modified", tweetup.updated_at)
        cal.add_component(event)
    _add_timezones(cal)
    return cal.to_ical()
