"""'N people you follow are going' on a tweetup page: each person's own, in a personal
hole of the cached frame, from one query whatever the size of their X graph."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events import parts
from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory, follows
from tests.pages import network_block, people_going, signed_in

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
    # The list below shows the organizer and the 12 not among the faces, each once.
    assert len(handles(people_going(text))) == 13


# --- The attendee list below does not repeat them ----------------------------------------------


def handles(html: str) -> list[str]:
    """The X handles of the people in an attendee list, in its order."""
    return re.findall(r'title="[^"]*\(@(\w+)\)"', html)


def test_a_follower_sees_each_person_they_follow_once(going_party):
    tweetup, people = going_party
    viewer = UserFactory()
    follows(viewer, people[0], people[2])
    url = tweetup.get_absolute_url()

    for response in (
        signed_in(viewer).get(url),  # the frame is made
        signed_in(viewer).get(url),  # from the frame
        signed_in(viewer).get(url, headers={"HX-Request": "true"}),  # the panel alone
    ):
        html = response.content.decode()
        assert "@friend0" in network_block(html) and "@friend2" in network_block(html)
        listed = people_going(html)
        assert handles(listed) == [tweetup.organizer.x_username, "friend1"]
        assert "more going" not in html
        assert "<!--attendee" not in html and "<!--/attendee" not in html


def test_visitors_and_people_who_follow_none_of_them_see_the_whole_list(going_party):
    tweetup, people = going_party
    follows(UserFactory(), people[0])
    url = tweetup.get_absolute_url()
    everyone = [tweetup.organizer.x_username, "friend0", "friend1", "friend2"]

    pages = {
        "visitor": Client().get(url).content.decode(),
        "visitor, cached": Client().get(url).content.decode(),
        "opted in, follows none of them": None,
        "not opted in": signed_in(UserFactory()).get(url).content.decode(),
    }
    stranger = UserFactory()
    follows(stranger, UserFactory())
    pages["opted in, follows none of them"] = signed_in(stranger).get(url).content.decode()

    lists = {name: people_going(html) for name, html in pages.items()}
    for name, html in pages.items():
        assert handles(lists[name]) == everyone, name
        assert network_block(html) == "", name
        assert "<!--attendee" not in html and "more going" not in html, name
    assert len(set(lists.values())) == 1  # the same list, byte for byte


def test_the_count_of_the_rest_stays_right_past_the_list(berlin, monkeypatch):
    """Someone followed who is past the shared list's first entries is shown above and is
    not counted among "more going"; someone followed in the list is left out of it."""
    monkeypatch.setattr(parts, "ATTENDEES_SHOWN", 3)
    tweetup = TweetupFactory(city=berlin)  # the organizer is going: first in the list
    people = [UserFactory(x_username=f"guest{n}") for n in range(6)]
    for person in people:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=Rsvp.Status.GOING)
    viewer = UserFactory()
    follows(viewer, people[0], people[4])  # one in the list of 3, one past it

    html = signed_in(viewer).get(tweetup.get_absolute_url()).content.decode()

    assert "2 people you follow are going" in network_block(html)
    assert handles(people_going(html)) == [tweetup.organizer.x_username, "guest1"]
    # 7 going: 2 above, 2 in the list, so 3 more (guest2, guest3, guest5).
    assert "and 3 more going" in html
    visitor = Client().get(tweetup.get_absolute_url()).content.decode()
    assert handles(people_going(visitor)) == [tweetup.organizer.x_username, "guest0", "guest1"]
    assert "and 4 more going" in visitor


def test_when_everyone_listed_is_shown_above_the_rest_are_counted(berlin, monkeypatch):
    monkeypatch.setattr(parts, "ATTENDEES_SHOWN", 2)
    organizer = UserFactory(x_username="olga")
    tweetup = TweetupFactory(city=berlin, organizer=organizer)
    people = [UserFactory(x_username=f"guest{n}") for n in range(3)]
    for person in people:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=Rsvp.Status.GOING)
    viewer = UserFactory()
    follows(viewer, organizer, people[0])

    html = signed_in(viewer).get(tweetup.get_absolute_url()).content.decode()

    assert people_going(html) == ""
    assert '<p class="small muted">2 more going</p>' in html
