"""Reading pages in view tests: a signed-in client, the text, and the parts of a tweetup page; and
filling them in: the data of the tweetup form."""

from html import unescape

from django.test import Client
from django.utils import timezone

from tests.factories import TopicFactory

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = timezone.now().year + 1


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return unescape(response.content.decode())


def people_going(html: str) -> str:
    """The attendee list on a tweetup page ("" when it has none)."""
    if 'aria-label="People going"' not in html:
        return ""
    return html.split('aria-label="People going"')[1].split("</ul>")[0]


def network_block(html: str) -> str:
    """The "people you follow are going" section, or "" when the page has none."""
    start = html.find('<section class="network-going"')
    return html[start : html.index("</section>", start)] if start >= 0 else ""


def form_data(city, **overrides):
    """The tweetup form filled in for `city`, in April next year; `overrides` replace fields."""
    data = {
        "title": "Berlin X friends",
        "city": city.pk,
        "starts_at": f"{YEAR}-04-02T19:00",
        "ends_at": f"{YEAR}-04-02T22:00",
        "venue_name": "Café Kreuzberg",
        "venue_address": "Oranienstraße 1",
        "capacity": "10",
        "hashtag": "#BerlinXFriends",
        "description": "Come by! https://example.com",
        "topics": [TopicFactory(name="Tech").pk],
    }
    data.update(overrides)
    return data
