"""Calendar feeds per topic and per search: the same events as the city feed builds."""

import pytest
from django.urls import reverse

from events import search
from events.calendar import tweetup_uid
from events.models import Topic
from tests.feeds.conftest import days_from_now, parse_ics, vevents

pytestmark = pytest.mark.django_db


def test_a_topic_feed_has_that_topics_tweetups_and_no_others(client):
    books = Topic.objects.get(slug="books")
    reading = days_from_now(3, title="Reading club")
    reading.topics.set([books])
    days_from_now(4, title="Untagged drinks")
    response = client.get(reverse("feeds:topic_calendar", args=["books"]))
    assert set(vevents(parse_ics(response))) == {tweetup_uid(reading)}
    assert "public" in response["Cache-Control"] and response["ETag"]
    atom = client.get(reverse("feeds:topic_atom", args=["books"]))
    assert atom.status_code == 200 and b"Reading club" in atom.content
    page = client.get(books.get_absolute_url()).text
    assert reverse("feeds:topic_calendar", args=["books"]) in page


def test_a_search_feed_has_what_the_search_finds(client):
    found = days_from_now(2, title="Tempelhof Tech Drinks", hashtag="TempelhofTech")
    days_from_now(2, title="Gardening morning", hashtag="Gardens")
    url = reverse("feeds:search_calendar")
    assert set(vevents(parse_ics(client.get(url, {"q": "Tempelhof"})))) == {tweetup_uid(found)}
    # Another query is another feed: its ETag differs.
    other = client.get(url, {"q": "Gardening"})
    assert other["ETag"] != client.get(url, {"q": "Tempelhof"})["ETag"]
    assert vevents(parse_ics(client.get(url))) == {}  # no words: an empty, valid feed


def test_a_search_feed_has_what_is_coming_however_many_old_tweetups_match(client, monkeypatch):
    """A search ranks among its first candidates in date order: the oldest, unless the
    feed searches only what it can show."""
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 2)
    for days in (-300, -200, -100, -20):
        days_from_now(days, title="Tempelhof Tech Drinks", hashtag=f"TempelhofTech{-days}")
    today = days_from_now(-0.1, title="Tempelhof Tech Drinks", hashtag="TempelhofToday")
    coming = days_from_now(2, title="Tempelhof Tech Drinks", hashtag="TempelhofTech")

    response = client.get(reverse("feeds:search_calendar"), {"q": "Tempelhof"})

    assert set(vevents(parse_ics(response))) == {tweetup_uid(today), tweetup_uid(coming)}


@pytest.mark.parametrize("path", ["/topics/no-such/calendar.ics", "/topics/no-such/atom.xml"])
def test_an_unknown_topic_feed_is_a_404(client, path):
    assert client.get(path).status_code == 404
