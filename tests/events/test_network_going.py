"""'N people you follow are going' on a tweetup page: each person's own, in a personal
hole of the cached frame, from one query whatever the size of their X graph."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory, follows
from tests.pages import network_block, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def going_party(berlin):
    """A tweetup with three people going and one who said maybe."""
    tweetup = TweetupFactory(city=berlin)
    people = [UserFactory(x_username=f"friend{n}") for n in range(4)]
    for person in people[:3]:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=Rsvp.Status.GOING)
    Rsvp.objects.create(tweetup=tweetup, user=people[3], status=Rsvp.Status.MAYBE)
    return tweetup, people


def test_a_viewer_sees_who_they_follow_is_going_and_another_does_not(going_party):
    tweetup, people = going_party
    viewer, other = UserFactory(), UserFactory()
    follows(viewer, people[0], people[2], people[3])  # people[3] only said maybe
    url = tweetup.get_absolute_url()

    mine = signed_in(viewer).get(url)
    theirs = signed_in(other).get(url)

    html = mine.content.decode()
    block = network_block(html)
    assert "2 people you follow are going" in block
    assert "@friend0" in block and "@friend2" in block
    assert "@friend1" not in block and "@friend3" not in block
    # Before the rest of the attendee list.
    assert html.index("people you follow are going") < html.index('aria-label="People going"')
    assert theirs["X-Cache"] == "frame-hit"  # the frame the viewer's request left
    assert network_block(theirs.content.decode()) == ""


def test_the_first_viewers_network_does_not_leak_into_the_frame(going_party):
    tweetup, people = going_party
    viewer, other = UserFactory(), UserFactory()
    follows(viewer, people[0])
    follows(other, people[1], people[2])
    url = tweetup.get_absolute_url()

    signed_in(viewer).get(url)
    theirs = signed_in(other).get(url)

    block = network_block(theirs.content.decode())
    assert theirs["X-Cache"] == "frame-hit"
    assert "2 people you follow are going" in block
    assert "@friend1" in block and "@friend2" in block and "@friend0" not in block


def test_visitors_never_see_a_network_block(going_party):
    tweetup, people = going_party
    viewer = UserFactory()
    follows(viewer, people[0])
    signed_in(viewer).get(tweetup.get_absolute_url())

    html = Client().get(tweetup.get_absolute_url()).content.decode()

    assert network_block(html) == ""


def test_the_query_count_does_not_grow_with_the_graph(berlin):
    tweetup = TweetupFactory(city=berlin)
    going = [UserFactory() for _ in range(20)]
    for person in going:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=Rsvp.Status.GOING)
    small, big = UserFactory(), UserFactory()
    follows(small, going[0])
    follows(big, *going, generated=3000)
    url = tweetup.get_absolute_url()
    for viewer in (small, big):  # warm the shared parts, the frame and each one's opt-in
        signed_in(viewer).get(url)

    counts = {}
    for name, viewer in (("small", small), ("big", big)):
        client = signed_in(viewer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response["X-Cache"] == "frame-hit"
        counts[name] = len(queries)
        text = response.content.decode()

    assert counts["small"] == counts["big"]
    assert "20 people you follow are going" in text
    assert text.count('class="network-handle"') == 8  # faces shown are capped; all counted
