"""Per-city Atom feeds (django.contrib.syndication)."""

# Our own feed, parsed to check it is well-formed Atom: not untrusted input (S314).
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from events.services import tweetup_cancel
from tests.factories import CityFactory
from tests.feeds.conftest import days_from_now

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(client, city, **headers):
    return client.get(reverse("feeds:city_atom", args=[city.slug]), headers=headers)


def test_a_city_atom_feed_is_valid_atom_newest_announcement_first(client, berlin):
    older = days_from_now(10, city=berlin, title="First announced", description="a < b & c")
    newer = days_from_now(2, city=berlin, title="Announced <next>")
    tweetup_cancel(tweetup=newer, actor=newer.organizer, reason="")
    days_from_now(2, city=CityFactory(name="Lisbon", timezone="Europe/Lisbon"))

    response = atom(client, berlin)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Tweetups in Berlin"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Cancelled: Announced <next>",
        "First announced",
    ]
    link = entries[1].find(f"{ATOM}link").get("href")
    assert link == f"http://testserver{older.get_absolute_url()}"
    summary = entries[1].findtext(f"{ATOM}summary")
    assert "Berlin time, Europe/Berlin" in summary
    assert "a &lt; b &amp; c" in summary  # plain text, escaped once inside the HTML
    assert entries[1].find(f"{ATOM}author").findtext(f"{ATOM}name") == older.organizer.name
    assert response["Cache-Control"].startswith("public, max-age=")


def test_atom_answers_conditional_gets_in_a_fixed_number_of_queries(
    client, berlin, django_assert_num_queries
):
    for day in range(12):
        days_from_now(day, city=berlin)
    with django_assert_num_queries(3):
        first = atom(client, berlin)
    entries = ET.fromstring(first.content).findall(f"{ATOM}entry")  # noqa: S314
    assert len(entries) == 12
    with django_assert_num_queries(2):
        again = atom(client, berlin, If_None_Match=first["ETag"])
    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]


def test_the_city_page_links_its_feeds(client, berlin, no_page_cache):
    page = client.get(berlin.get_absolute_url()).content.decode()
    assert f'href="{reverse("feeds:city_atom", args=[berlin.slug])}"' in page
    assert f'href="{reverse("feeds:city_calendar", args=[berlin.slug])}"' in page
    assert 'rel="alternate" type="application/atom+xml"' in page
