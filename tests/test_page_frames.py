"""Signed-in pages from a cached frame with personal holes (tweetups/page_frames.py): each
person sees only their own parts, and a write refreshes the frame like it does the page."""

import re

import pytest
from django.contrib.messages import constants
from django.template import Context, Engine, TemplateSyntaxError
from django.test import Client

from events.models import Rsvp
from events.rsvps import rsvp_set
from notifications.preferences import city_follow
from tests.factories import TweetupFactory, UserFactory
from tests.pages import signed_in

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def without_tokens(html: str) -> str:
    """CSRF tokens are masked afresh on every render: compare pages without them."""
    return CSRF.sub(r"\1…", html)


@pytest.fixture
def alice(db):
    return UserFactory(x_username="alice_x")


@pytest.fixture
def bob(db):
    return UserFactory(x_username="bob_x")


def url_of(page: str, berlin) -> str:
    if page == "tweetup":
        return TweetupFactory(city=berlin, capacity=5).get_absolute_url()
    return "/" if page == "home" else berlin.get_absolute_url()


@pytest.mark.parametrize("page", ["home", "city", "tweetup"])
def test_the_second_person_gets_the_frame_with_their_own_parts(page, alice, bob, berlin):
    url = url_of(page, berlin)
    first = signed_in(alice).get(url)
    second = signed_in(bob).get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("frame-miss", "frame-hit")
    assert "@alice_x" in first.text and "@bob_x" not in first.text
    assert "@bob_x" in second.text and "@alice_x" not in second.text
    assert "<!--hole:" not in second.text


@pytest.mark.parametrize("page", ["home", "city", "tweetup"])
def test_a_frame_hit_is_the_page_a_whole_render_gives(page, alice, bob, berlin, settings):
    TweetupFactory(city=berlin)
    url = url_of(page, berlin)
    signed_in(alice).get(url)
    bobs = signed_in(bob)
    framed = bobs.get(url)
    assert framed["X-Cache"] == "frame-hit"
    settings.PAGE_CACHE_SECONDS = 0
    whole = bobs.get(url)
    assert "X-Cache" not in whole
    assert without_tokens(framed.text) == without_tokens(whole.text)


def test_follow_buttons_and_their_tokens_are_each_persons_own(alice, bob, berlin, commits):
    commits(city_follow, user=alice, city=berlin)
    url = berlin.get_absolute_url()
    assert "Following Berlin" in signed_in(alice).get(url).text
    bobs = Client(enforce_csrf_checks=True)
    bobs.force_login(bob)
    page = bobs.get(url)
    assert page["X-Cache"] == "frame-hit"
    assert "Follow Berlin" in page.text and "Following Berlin" not in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = bobs.post(f"/c/{berlin.slug}/follow/", {"follow": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_messages_show_on_a_frame_hit(alice, bob, berlin):
    url = berlin.get_absolute_url()
    signed_in(alice).get(url)
    bobs = signed_in(bob)
    bobs.get(url)
    # A message waiting for bob, as a view would leave it for the next page.
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    request, response = HttpRequest(), HttpResponse()
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Saved, bob.")
    storage.update(response)
    bobs.cookies["messages"] = response.cookies["messages"].value
    page = bobs.get(url)
    assert page["X-Cache"] == "frame-hit" and "Saved, bob." in page.text
    assert "Saved, bob." not in bobs.get(url).text  # shown once


def test_a_write_refreshes_the_frame(alice, bob, berlin, commits):
    url = berlin.get_absolute_url()
    signed_in(alice).get(url)
    assert signed_in(bob).get(url)["X-Cache"] == "frame-hit"
    tweetup = TweetupFactory(city=berlin, title="Fresh Drinks")
    commits(rsvp_set, user=alice, tweetup=tweetup, status=Rsvp.Status.GOING)
    page = signed_in(bob).get(url)
    assert page["X-Cache"] == "frame-miss" and "Fresh Drinks" in page.text


def test_home_shows_each_person_their_own_next_tweetups(alice, bob, berlin, commits):
    tweetup = TweetupFactory(city=berlin, title="Alice Only Drinks")
    commits(rsvp_set, user=alice, tweetup=tweetup, status=Rsvp.Status.GOING)
    alices = signed_in(alice).get("/")
    bobs = signed_in(bob).get("/")
    assert "Your next tweetups" in alices.text
    assert bobs["X-Cache"] == "frame-hit" and "Your next tweetups" not in bobs.text


def test_a_personal_block_name_belongs_to_one_template():
    engine = Engine(builtins=["tweetups.page_frames"])
    engine.from_string('{% personal "only_here" %}x{% endpersonal %}')
    with pytest.raises(TemplateSyntaxError):
        engine.from_string("{% personal unquoted %}x{% endpersonal %}")
    # Outside a frame a block renders in place.
    rendered = engine.from_string('a{% personal "inline_x" %}b{% endpersonal %}c')
    assert rendered.render(Context()) == "abc"


def test_rsvp_panels_are_each_persons_own(alice, bob, berlin, commits):
    tweetup = TweetupFactory(city=berlin, capacity=2)  # the organizer and one more
    commits(rsvp_set, user=alice, tweetup=tweetup, status=Rsvp.Status.GOING)
    commits(rsvp_set, user=bob, tweetup=tweetup, status=Rsvp.Status.GOING)
    url = tweetup.get_absolute_url()
    alices = signed_in(alice).get(url)
    bobs = signed_in(bob).get(url)
    assert bobs["X-Cache"] == "frame-hit"
    assert "You're going." in alices.text and "waitlist" not in alices.text.split("rsvp-panel")[1]
    assert "You're on the waitlist: number 1 in line." in bobs.text


def test_the_organizer_gets_their_own_page_never_a_frame(alice, berlin):
    tweetup = TweetupFactory(city=berlin)
    url = tweetup.get_absolute_url()
    signed_in(alice).get(url)  # a frame exists
    organizers = signed_in(tweetup.organizer).get(url)
    assert "X-Cache" not in organizers  # rendered whole, and not kept
    assert "Edit tweetup" in organizers.text
    # ... and the organizer's tools never reach anyone else's frame.
    assert "Edit tweetup" not in signed_in(alice).get(url).text
