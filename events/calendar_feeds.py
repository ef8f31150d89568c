"""Calendar feeds: each tweetup's VEVENT kept as its feeds write it (TweetupVevent, in the
same transaction as every change to what it is written from), and a feed put together from
the kept texts, the cache, or icalendar (events/calendar.py builds every VEVENT)."""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from icalendar import Event, vDuration

from events import calendar as ics
from events.calendar import VeventFields, tweetup_paths
from events.models import Tweetup, TweetupVevent

VEVENT_SECONDS = 7 * 24 * 3600  # an event a feed still shows is asked for hourly
# A site's address or a path that iCalendar TEXT writes as it is (no escapes): a kept text's
# links are made absolute by putting the site's address before them (`linked_vevent`).
AS_IS = re.compile(r"[^\\;,\r\n]*")
FOLD_AT = 75  # octets: a content line this long is folded (RFC 5545, as icalendar does)

logger = logging.getLogger(__name__)


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
    event = ics._vevent(fields)
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
        event = ics._vevent(fields)
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
    cal = ics._calendar()
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
    parts = [head.removesuffix(end), *map(ics._vtimezone_ical, tzids)]
    parts += [event.ical for event in events]
    return b"".join([*parts, end])
