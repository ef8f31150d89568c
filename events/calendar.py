"""iCalendar (RFC 5545) for tweetups: the page's download, the invitations in mail, and the
subscribable feeds (feeds/, put together in events/calendar_feeds.py). One VEVENT builder
serves them all, so a tweetup has the same UID and SEQUENCE wherever a calendar app meets
it."""

import functools
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from events.models import Tweetup

PRODID = "-//Tweetups//tweetups//EN"
# A feed keeps each event's text (feed_ics) under what it is written from, in the database
# (TweetupVevent) and the cache. Bump when the same fields would be written differently, so
# no feed serves the old text; then `manage.py store_vevents` writes the kept ones again
# (until then feeds write them).
VEVENT_FORMAT = "1"
URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # what Django's <slug:> path converter matches
URL_SLUG_STAND_IN = "tweetup-slug"

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class VeventFields:
    """Everything a tweetup's VEVENT is written from, and nothing else: `_vevent` reads only
    these. So they name its bytes, and a feed keeps each event's text under them
    (`cache_key`): any change to what would be written (the tweetup, its city's name or
    zone, the site's address in the URL) is a new key, never a stale text."""

    uid: str
    sequence: int
    stamp: datetime
    starts_at: datetime  # on the city's wall clock (a ZoneInfo-aware time)
    ends_at: datetime
    title: str
    location: str
    url: str
    description: str
    cancelled: bool
    last_modified: datetime | None = None

    @classmethod
    def of(
        cls,
        tweetup: Tweetup,
        *,
        url: str,
        stamp: datetime,
        cancelled: bool = False,
        last_modified: datetime | None = None,
    ) -> "VeventFields":
        return cls(
            uid=tweetup_uid(tweetup),
            sequence=tweetup.revision,
            stamp=stamp,
            starts_at=tweetup.local_starts_at,
            ends_at=tweetup.local_ends_at,
            title=tweetup.title,
            location=tweetup.location,
            url=url,
            description=f"{tweetup.description}\n\n{url}".strip(),
            cancelled=cancelled or tweetup.is_cancelled,
            last_modified=last_modified,
        )

    def cache_key(self) -> str:
        # repr() names each time's zone too (ZoneInfo(key='Europe/Berlin')); the library's
        # version and VEVENT_FORMAT stand for the code that writes them.
        seed = f"{VEVENT_FORMAT}|{icalendar.__version__}|{self!r}"
        return "ics-vevent:" + hashlib.blake2b(seed.encode(), digest_size=20).hexdigest()


def _vevent(fields: VeventFields) -> Event:
    event = Event()
    event.add("uid", fields.uid)
    event.add("sequence", fields.sequence)
    event.add("dtstamp", fields.stamp)
    _add_city_time(event, "dtstart", fields.starts_at)
    _add_city_time(event, "dtend", fields.ends_at)
    event.add("summary", fields.title)
    event.add("location", vText(fields.location))
    if fields.url:
        event.add("url", fields.url)
    event.add("description", fields.description)
    event.add("status", "CANCELLED" if fields.cancelled else "CONFIRMED")
    if fields.last_modified is not None:
        event.add("last-modified", fields.last_modified)
    return event


def tweetup_vevent(
    tweetup: Tweetup, *, url: str, stamp: datetime, cancelled: bool = False
) -> Event:
    """The tweetup as a VEVENT: UID stable per tweetup, SEQUENCE its revision, times in the
    city's TZID (the calendar adds the VTIMEZONE), STATUS:CANCELLED once it is off."""
    return _vevent(VeventFields.of(tweetup, url=url, stamp=stamp, cancelled=cancelled))


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


@functools.lru_cache(maxsize=1024)
def _vtimezone_ical(tzid: str) -> bytes:
    """The zone's VTIMEZONE as written, once per process (empty for a zone icalendar can't
    write): New York's is about fifty lines, and every feed that names it would write them."""
    zone = _vtimezone(tzid)
    return zone.to_ical() if zone is not None else b""


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


def tweetup_paths() -> Callable[[Tweetup], str]:
    """Each tweetup's path, as `get_absolute_url()` makes it. reverse() walks the URL
    patterns on every call (tens of microseconds): a feed of 200 makes its links from one
    reversed path with each slug put in. The <slug:> pattern takes only characters that
    need no quoting; any other slug goes through reverse() as before."""
    head, _, tail = reverse("events:tweetup", args=[URL_SLUG_STAND_IN]).rpartition(
        URL_SLUG_STAND_IN
    )

    def path_for(tweetup: Tweetup) -> str:
        if URL_SLUG.fullmatch(tweetup.slug):
            return f"{head}{tweetup.slug}{tail}"
        return tweetup.get_absolute_url()

    return path_for
