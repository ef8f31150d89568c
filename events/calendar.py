"""iCalendar (RFC 5545) for tweetups: the page's download, the invitations in mail, and the
subscribable feeds (feeds/). One VEVENT builder serves them all, so a tweetup has the same
UID and SEQUENCE wherever a calendar app meets it."""

import functools
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText

from events.models import Tweetup, TweetupVevent

PRODID = "-//Tweetups//tweetups//EN"
# A feed keeps each event's text (feed_ics) under what it is written from, in the database
# (TweetupVevent) and the cache. Bump when the same fields would be written differently, so
# no feed serves the old text; then `manage.py store_vevents` writes the kept ones again
# (until then feeds write them).
VEVENT_FORMAT = "1"
VEVENT_SECONDS = 7 * 24 * 3600  # an event a feed still shows is asked for hourly
URL_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # what Django's <slug:> path converter matches
URL_SLUG_STAND_IN = "tweetup-slug"
# A site's address or a path that iCalendar TEXT writes as it is (no escapes): a kept text's
# links are made absolute by putting the site's address before them (`linked_vevent`).
AS_IS = re.compile(r"[^\\;,\r\n]*")
FOLD_AT = 75  # octets: a content line this long is folded (RFC 5545, as icalendar does)

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


@dataclass(frozen=True)
class WrittenVevent:
    """A VEVENT as icalendar wrote it, and the zones it needs a VTIMEZONE for."""

    tzids: tuple[str, ...]
    ical: bytes


def _feed_fields(tweetup: Tweetup, url: str) -> VeventFields:
    """What a feed writes the tweetup from: stamped with its last change, so the same rows
    make the same bytes."""
    return VeventFields.of(
        tweetup, url=url, stamp=tweetup.updated_at, last_modified=tweetup.updated_at
    )


def _tzids(event: Event) -> tuple[str, ...]:
    # The zones its times name, as `Calendar.get_missing_tzids()` finds them (UTC needs no
    # VTIMEZONE), read off the two properties that have one: asking a one-event calendar
    # walks every property, a sixth of the time it takes to write the event.
    used = {event[name].params.get("TZID") for name in ("DTSTART", "DTEND")}
    return tuple(sorted(used - {None, "UTC"}))


def _write_vevent(fields: VeventFields) -> WrittenVevent:
    event = _vevent(fields)
    return WrittenVevent(_tzids(event), event.to_ical())


def store_vevents(tweetups: Iterable[Tweetup], *, model: type = TweetupVevent) -> None:
    """Keep each tweetup's VEVENT as its feeds write it (TweetupVevent), in the caller's
    transaction: what a feed with nothing cached puts together. Call it with every write to
    what a VEVENT is written from (`VeventFields.of`: the tweetup, its city's name and
    zone); read each tweetup's city with it. Links are kept as paths, so one text serves
    every address the site answers at. (`model`: a migration's own TweetupVevent.)"""
    path_for = tweetup_paths()
    rows = []
    for tweetup in tweetups:
        fields = _feed_fields(tweetup, path_for(tweetup))
        event = _vevent(fields)
        # Unfolded: the lines are folded once the links are whole (`linked_vevent`).
        ical = "".join(f"{line}\r\n" for line in event.content_lines() if line)
        tzids = " ".join(_tzids(event))
        rows.append(
            model(tweetup_id=tweetup.pk, fields_key=fields.cache_key(), tzids=tzids, ical=ical)
        )
    model.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["tweetup"],
        update_fields=["fields_key", "tzids", "ical"],
    )


# What a VEVENT is written from (`VeventFields.of`), for reading tweetups just for theirs.
VEVENT_COLUMNS = (
    "id", "slug", "revision", "updated_at", "starts_at", "ends_at", "status", "title",
    "description", "venue_name", "venue_address", "city__name", "city__timezone",
)  # fmt: skip
# ...and the kept text: what a feed reads of its rows (not their search words, say).
FEED_COLUMNS = (*VEVENT_COLUMNS, "vevent__fields_key", "vevent__tzids", "vevent__ical")


def store_all_vevents(
    tweetups: QuerySet | None = None, *, batch: int = 1000, model: type = TweetupVevent
) -> int:
    """Keep the VEVENT of every tweetup (or of `tweetups`) again, `batch` at a time in
    order of id, each batch in its own transaction; returns how many. For rows written
    around `store_vevents` (a city renamed, bulk_create), and after VEVENT_FORMAT or
    icalendar changed: until then feeds write those events themselves."""
    rows = Tweetup.objects.all() if tweetups is None else tweetups
    rows = rows.select_related("city").only(*VEVENT_COLUMNS).order_by("pk")
    stored, last = 0, 0
    while part := list(rows.filter(pk__gt=last)[:batch]):
        with transaction.atomic(using=rows.db):
            store_vevents(part, model=model)
        stored, last = stored + len(part), part[-1].pk
    return stored


def _fold(line: bytes) -> bytes:
    """A content line folded as icalendar folds it (`icalendar.parser._foldline`): parts of
    at most FOLD_AT - 1 octets, never splitting a character or putting a part's last
    character, if it is a backslash or a caret, apart from what it escapes. Cut by octets,
    not walked a character at a time: a description is most of a feed's text."""
    parts = []
    start = 0
    while len(line) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        while line[end] & 0xC0 == 0x80:  # a UTF-8 continuation octet: the character's tail
            end -= 1
        if end - 1 > start and line[end - 1] in b"\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def linked_vevent(ical: str, path: str, site: str) -> bytes:
    """A kept text (TweetupVevent.ical) as a feed at `site` (scheme and host) writes it: its
    links (URL, and the end of DESCRIPTION) made absolute, and its lines folded. Byte for
    byte what icalendar writes for the event with those links, as long as neither `site`
    nor `path` has a character iCalendar TEXT escapes (AS_IS)."""
    relative, absolute = path.encode(), (site + path).encode()
    lines = []
    for line in ical.encode().split(b"\r\n"):
        if line.endswith(relative) and line.startswith((b"URL:", b"DESCRIPTION:")):
            line = line[: -len(relative)] + absolute
        lines.append(line if len(line) < FOLD_AT else _fold(line))
    return b"\r\n".join(lines)


def _kept_vevent(tweetup: Tweetup) -> TweetupVevent | None:
    """The tweetup's kept text, if it was read with the row (never a query an event)."""
    if not Tweetup.vevent.is_cached(tweetup):
        return None
    try:
        return tweetup.vevent
    except TweetupVevent.DoesNotExist:
        return None


def _written_vevents(all_fields: list[VeventFields]) -> list[WrittenVevent]:
    """Each event as written, in order: the texts kept in the cache, the others written and
    kept. One cache read and at most one write, whatever the feed's size. Without the
    cache, every event is written."""
    if not all_fields:
        return []
    keys = [fields.cache_key() for fields in all_fields]
    try:
        kept = cache.get_many(keys)
    except Exception:
        logger.warning("Calendar event cache unavailable", exc_info=True)
        kept = {}
    written = {}
    for key, fields in zip(keys, all_fields, strict=True):
        if key not in kept and key not in written:
            written[key] = _write_vevent(fields)
    if written:
        try:
            cache.set_many(written, VEVENT_SECONDS)
        except Exception:
            logger.warning("Calendar event cache unavailable", exc_info=True)
    return [kept.get(key) or written[key] for key in keys]


def _feed_vevents(tweetups: Iterable[Tweetup], site: str) -> list[WrittenVevent]:
    """Each tweetup's event, links at `site`: its kept text (TweetupVevent) while that was
    written from what the tweetup is now, else from the cache or written afresh
    (`_written_vevents`). Checking a kept text costs its fields' digest, a few microseconds;
    writing an event, a third of a millisecond."""
    path_for = tweetup_paths()
    site_as_is = AS_IS.fullmatch(site) is not None
    events: list[WrittenVevent | None] = []
    unkept: list[VeventFields] = []
    for tweetup in tweetups:
        path = path_for(tweetup)
        kept = _kept_vevent(tweetup) if site_as_is and AS_IS.fullmatch(path) else None
        if kept is not None and kept.fields_key == _feed_fields(tweetup, path).cache_key():
            ical = linked_vevent(kept.ical, path, site)
            events.append(WrittenVevent(tuple(kept.tzids.split()), ical))
        else:
            events.append(None)
            unkept.append(_feed_fields(tweetup, site + path))
    written = iter(_written_vevents(unkept))
    return [event or next(written) for event in events]


def feed_ics(
    tweetups: Iterable[Tweetup],
    *,
    name: str,
    site: str,
    refresh: timedelta,
) -> bytes:
    """Tweetups as a calendar to subscribe to, with one VTIMEZONE per zone used, each
    linked to its page at `site` (scheme and host, as the request came).

    No METHOD: a subscription is not an iTIP message. Each DTSTAMP is the tweetup's last
    change, so the same rows make the same bytes (feeds answer 304s from the rows' stamp).

    icalendar writes every part: the calendar's own lines, each VEVENT, each VTIMEZONE.
    Writing an event costs a third of a millisecond or more (most of a 200-event feed), so
    each event's text is kept (in the database, else in the cache: `_feed_vevents`) and
    each zone's once per process, and the feed is those texts in the order
    `Calendar.to_ical()` writes its subcomponents: zones (sorted by TZID), then events.
    Read the tweetups with their city and kept text: select_related("city", "vevent"),
    only(*FEED_COLUMNS).
    """
    cal = _calendar()
    cal.add("name", name)  # RFC 7986
    cal.add("x-wr-calname", name)  # what Apple and Google Calendar show
    cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    events = _feed_vevents(tweetups, site)
    tzids = sorted({tzid for event in events for tzid in event.tzids})
    end = b"END:VCALENDAR\r\n"
    head = cal.to_ical()
    if not head.endswith(end):  # another icalendar's framing: fail loudly, write no garbage
        raise ValueError("icalendar wrote a calendar that does not end with END:VCALENDAR")
    parts = [head.removesuffix(end), *map(_vtimezone_ical, tzids)]
    parts += [event.ical for event in events]
    return b"".join([*parts, end])
