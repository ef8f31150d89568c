"""Times in the tweetup's city, always with the zone named."""

from datetime import datetime
from urllib.parse import quote_plus

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from events.cards import CardFacts
from events.local_time import local_when, zone_label
from events.models import Tweetup
from events.sharing import share_text, x_intent_url
from events.tweet_text import tweet_html

register = template.Library()


register.filter(local_when)


@register.filter
def local_start(tweetup: Tweetup) -> str:
    start = tweetup.local_starts_at
    return f"{start:%a %-d %b} · {start:%H:%M} {zone_label(start)}"


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
    """The venue on OpenStreetMap: at its pin if the organizer placed one, else searched
    for by name and address."""
    if tweetup.venue_latitude is not None and tweetup.venue_longitude is not None:
        lat, lon = f"{tweetup.venue_latitude:.6f}", f"{tweetup.venue_longitude:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
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
    return f"{prefix}{local:%H:%M} {zone_label(local)}"


@register.filter
def card_version(tweetup: Tweetup) -> str:
    """The card image's version: its link changes when the picture does, so X and
    Facebook, which keep a card per link, fetch the new one."""
    return CardFacts.of(tweetup).digest


@register.inclusion_tag("events/_share.html", takes_context=True)
def share_tweetup(context, tweetup: Tweetup) -> dict:
    """Post on X, the phone's share sheet and copy link: the same for everyone who sees the
    page (it is cached), so it never goes in a `personal` block."""
    url = context["request"].build_absolute_uri(tweetup.get_absolute_url())
    return {
        "tweetup": tweetup,
        "url": url,
        "text": share_text(tweetup),
        "intent_url": x_intent_url(tweetup, url),
    }


@register.simple_tag
def avatar(person, small: bool = False) -> str:
    """A person's face: initials underneath, their X picture on top. If the picture can't
    load, site.js hides it and the initials show. `small` for the header.

    A tag rather than an included template: attendee lists and walls draw dozens of these,
    and an include costs several times as much to render.
    """
    picture = ""
    if person.avatar_url:
        size = 'width="28" height="28"' if small else 'width="44" height="44" loading="lazy"'
        picture = format_html(
            '<img class="avatar" src="{}" alt="" {}>',
            person.avatar_url,
            mark_safe(size),  # noqa: S308 (constant markup)
        )
    return format_html(
        '<span class="avatar-stack{}" aria-hidden="true"><span class="initials">{}</span>{}</span>',
        " avatar-stack-sm" if small else "",
        (person.name or "")[:2],
        picture,
    )


@register.simple_tag
def attendee(person, note: str = "") -> str:
    """One face on an attendee list, linked to the person's X profile; `note` says why a
    viewer sees them (their own private RSVP, a protected account they follow). A tag, as
    `avatar` is: a list draws up to 48, and an include each cost most of its render."""
    return format_html(
        '<li><a href="{}" title="{} (@{})" rel="noopener noreferrer">{}'
        '<span class="visually-hidden">{}</span></a></li>',
        person.x_profile_url or "#",
        person.name,
        person.x_username,
        avatar(person),
        f"{person.name} ({note})" if note else person.name,
    )
