"""A tweetup's times as people read them: in its city's zone, with the zone named.

Used by the templates (events/templatetags/tweetup_tags.py) and by the mail.
"""

from datetime import datetime

from events.models import Tweetup


def zone_label(moment: datetime) -> str:
    return moment.tzname() or ""


def local_when(tweetup: Tweetup) -> str:
    """'Tue 1 Dec 2026 · 19:00–22:00 CET', in the city's zone."""
    start, end = tweetup.local_starts_at, tweetup.local_ends_at
    day = start.strftime("%a %-d %b %Y")
    if start.date() == end.date():
        span = f"{start:%H:%M}–{end:%H:%M}"
        zone = (
            zone_label(start)
            if zone_label(start) == zone_label(end)
            else (f"{zone_label(start)}/{zone_label(end)}")
        )
        return f"{day} · {span} {zone}"
    return f"{day} {start:%H:%M} {zone_label(start)} – {end:%a %-d %b %H:%M} {zone_label(end)}"
