"""iCalendar (RFC 5545) files for tweetups: the page's download and the invitations in mail."""

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from events.models import Tweetup


@dataclass(frozen=True)
class Attendee:
    """The person an invitation is for, and their answer (None claims no answer)."""

    address: str
    name: str
    partstat: str | None = None  # ACCEPTED when going, TENTATIVE for maybe


def tweetup_uid(tweetup: Tweetup) -> str:
    """Stable per tweetup, so calendar apps update the same event."""
    return f"tweetup-{tweetup.pk}@tweetups"


def tweetup_ics(
    tweetup: Tweetup,
    *,
    url: str = "",
    method: str = "PUBLISH",
    attendee: Attendee | None = None,
) -> bytes:
    """One VEVENT: UID stable per tweetup, SEQUENCE its revision, times in the city's TZID.

    PUBLISH is a file to import (the tweetup page's download). The iTIP methods (RFC 5546)
    are mail to `attendee`: REQUEST puts (or updates) the event in their calendar with
    their answer as PARTSTAT; CANCEL with the same UID and a higher SEQUENCE takes it out
    again. Both name the site's From address as ORGANIZER, as iTIP requires.
    """
    cal = Calendar()
    cal.add("prodid", "-//Tweetups//tweetups//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", tweetup_uid(tweetup))
    event.add("sequence", tweetup.revision)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", tweetup.local_starts_at)
    event.add("dtend", tweetup.local_ends_at)
    event.add("summary", tweetup.title)
    event.add("location", vText(tweetup.location))
    if url:
        event.add("url", url)
    event.add("description", f"{tweetup.description}\n\n{url}".strip())
    cancelled = method == "CANCEL" or tweetup.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
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
    cal.add_missing_timezones()
    return cal.to_ical()
