"""Times in the tweetup's city, always with the zone named."""

from datetime import datetime
from urllib.parse import quote_plus

from django import template

from events.models import Tweetup
from events.tweet_text import tweet_html

register = template.Library()


def _zone_label(moment: datetime) -> str:
    return moment.tzname() or ""


@register.filter
def local_when(tweetup: Tweetup) -> str:
    """'Tue 1 Dec 2026 · 19:00–22:00 CET', in the city's zone."""
    start, end = tweetup.local_starts_at, tweetup.local_ends_at
    day = start.strftime("%a %-d %b %Y")
    if start.date() == end.date():
        span = f"{start:%H:%M}–{end:%H:%M}"
        zone = (
            _zone_label(start)
            if _zone_label(start) == _zone_label(end)
            else (f"{_zone_label(start)}/{_zone_label(end)}")
        )
        return f"{day} · {span} {zone}"
    return f"{day} {start:%H:%M} {_zone_label(start)} – {end:%a %-d %b %H:%M} {_zone_label(end)}"


@register.filter
def local_start(tweetup: Tweetup) -> str:
    start = tweetup.local_starts_at
    return f"{start:%a %-d %b} · {start:%H:%M} {_zone_label(start)}"


@register.filter
def local_month(tweetup: Tweetup) -> str:
    """'Dec': the month in the city's zone (Django's date filter would convert to UTC)."""
    return f"{tweetup.local_starts_at:%b}"


@register.filter
def start_iso(tweetup: Tweetup) -> str:
    """The start as an ISO 8601 instant (UTC), for <time datetime>."""
    return tweetup.starts_at.isoformat()


@register.filter
def osm_url(tweetup: Tweetup) -> str:
    return f"https://www.openstreetmap.org/search?query={quote_plus(tweetup.location)}"


@register.filter
def post_html(post) -> str:
    """A stored post's text, escaped once, with its links, hashtags and mentions."""
    return tweet_html(post.text, post.entities)


@register.filter
def city_time(moment: datetime | None, tweetup: Tweetup) -> str:
    """A moment in the tweetup's city time: '14:05 CET', or '28 Nov, 14:05 CET' another day."""
    if moment is None:
        return ""
    local = moment.astimezone(tweetup.city.tzinfo)
    today = datetime.now(tweetup.city.tzinfo).date()
    prefix = "" if local.date() == today else f"{local:%-d %b}, "
    return f"{prefix}{local:%H:%M} {_zone_label(local)}"
