"""iCalendar (RFC 5545) files for tweetups."""

from django.utils import timezone
from icalendar import Calendar, Event, vText

from events.models import Tweetup


def tweetup_uid(tweetup: Tweetup) -> str:
    """Stable per tweetup, so calendar apps update the same event."""
    return f"tweetup-{tweetup.pk}@tweetups"


def tweetup_ics(tweetup: Tweetup, request=None) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Tweetups//tweetups//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", tweetup_uid(tweetup))
    event.add("summary", tweetup.title)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", tweetup.local_starts_at)
    event.add("dtend", tweetup.local_ends_at)
    event.add(
        "location",
        vText(
            ", ".join(
                p for p in [tweetup.venue_name, tweetup.venue_address, tweetup.city.name] if p
            )
        ),
    )
    description = tweetup.description
    if request is not None:
        url = request.build_absolute_uri(tweetup.get_absolute_url())
        event.add("url", url)
        description = f"{description}\n\n{url}".strip()
    event.add("description", description)
    event.add("status", "CANCELLED" if tweetup.is_cancelled else "CONFIRMED")
    event.add("sequence", tweetup.revision)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
