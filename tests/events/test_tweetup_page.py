"""A tweetup's page: the first attendees and how many more, the description escaped and
linked, card tags and a map link, the .ics download, a CSP that allows only our files,
404 for what doesn't exist, and a fixed number of queries however many are going."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("attendees", [2, 40])
def test_tweetup_page_query_count_is_fixed(client, tweetup, attendees, settings):
    for _ in range(attendees):
        Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status="going")
    client.force_login(UserFactory())
    client.get(tweetup.get_absolute_url())  # warm the session and the cached parts
    with CaptureQueriesContext(connection) as cached:
        assert client.get(tweetup.get_absolute_url()).status_code == 200
    settings.PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(tweetup.get_absolute_url())
    assert response.text.count('<span class="avatar-stack"') == attendees + 2  # + organizer
    # user, tweetup with city, organizer and counts, your RSVP, attendees and how many,
    # topics, wall, and (the wall being empty) when X is read next; people you follow
    # who are going only for people who opted in (tests/events/test_network_going.py)
    assert len(ctx.captured_queries) == 8
    # the user; the rest from the cache, your RSVP too (kept per person with the page)
    assert len(cached.captured_queries) == 1


def test_tweetup_page_shows_the_first_attendees_and_how_many_more(client, tweetup):
    for _ in range(50):
        Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status="going")
    html = client.get(tweetup.get_absolute_url()).text
    attendees = html.split('aria-label="People going"')[1].split("</ul>")[0]
    assert attendees.count("<li>") == 48  # of 51 going, organizer included
    assert "and 3 more going" in html


def test_tweetup_page_escapes_and_links_description(client, berlin):
    t = TweetupFactory(
        city=berlin,
        title="<b>Bold</b> title",
        description="See https://example.com/x <script>alert(1)</script>",
    )
    html = client.get(t.get_absolute_url()).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://example.com/x"' in html
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in html


def test_tweetup_page_has_card_tags_and_osm_link(client, tweetup):
    html = client.get(tweetup.get_absolute_url()).text
    assert '<meta property="og:title" content="' + tweetup.title in html
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert "Berlin" in html.split('property="og:description"')[1].split(">")[0]
    assert "https://www.openstreetmap.org/search?query=" in html


def test_unknown_tweetup_and_city_are_404(client, db):
    assert client.get("/t/nope/").status_code == 404
    assert client.get("/c/atlantis/").status_code == 404


def test_ics_download(client, tweetup):
    response = client.get(reverse("events:tweetup_ics", args=[tweetup.slug]))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert f"UID:tweetup-{tweetup.pk}@tweetups" in body
    assert "DTSTART;TZID=Europe/Berlin:" in body


def test_csp_header_allows_only_our_files(client, tweetup):
    response = client.get(tweetup.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "nonce" not in csp
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert '<script src="/static/js/site.js" defer></script>' in response.text
