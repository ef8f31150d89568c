"""Signed-in pages from a cached frame with personal holes (tweetups/page_frames.py): each
person sees only their own parts, and a write refreshes the frame like it does the page."""

import re

import pytest
from django.contrib.messages import constants
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import get_template
from django.test import Client

from accounts.models import XNetworkConsent
from accounts.network import _replace_followed
from events.models import Rsvp
from events.rsvps import rsvp_set
from notifications.preferences import city_follow
from tests.factories import TweetupFactory, UserFactory, follows, going
from tests.pages import network_block, signed_in
from tweetups import page_frames

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


def test_ones_next_tweetups_kept_with_home_follow_ones_rsvps(alice, berlin, commits):
    """Home keeps each person's next tweetups (and suggestions) rendered while it is
    current: an RSVP anywhere forgets it, so they show at once."""
    first = TweetupFactory(city=berlin, title="First Drinks")
    later = TweetupFactory(city=berlin, title="Later Drinks")
    commits(rsvp_set, user=alice, tweetup=first, status=Rsvp.Status.GOING)
    alices = signed_in(alice)
    for _ in range(3):
        page = alices.get("/").text  # made, then kept
    assert "First Drinks" in section_of(page, "mine-title")

    commits(rsvp_set, user=alice, tweetup=later, status=Rsvp.Status.GOING)
    mine = section_of(alices.get("/").text, "mine-title")
    assert "First Drinks" in mine and "Later Drinks" in mine

    commits(rsvp_set, user=alice, tweetup=first, status=Rsvp.Status.NOT_GOING)
    mine = section_of(alices.get("/").text, "mine-title")
    assert "First Drinks" not in mine and "Later Drinks" in mine


def section_of(html: str, title_id: str) -> str:
    start = html.index(f'aria-labelledby="{title_id}"')
    return html[start : html.index("</section>", start)]


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


def panel_token(html: str) -> str:
    panel = html.split('id="rsvp-panel"')[1]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', panel).group(1)


@pytest.fixture
def panel_renders(monkeypatch):
    """How many times the RSVP panel hole was rendered (rather than kept)."""
    get_template("events/tweetup_detail.html")  # parsed, so its holes are known
    nodelist = page_frames._HOLES["rsvp_panel"][1].nodelist
    real, renders = nodelist.render, []

    def render(context):
        renders.append(context)
        return real(context)

    monkeypatch.setattr(nodelist, "render", render)
    return renders


def test_a_kept_rsvp_panel_is_not_rendered_again_and_gets_a_fresh_token(
    alice, bob, berlin, panel_renders
):
    tweetup = TweetupFactory(city=berlin, capacity=5)
    url = tweetup.get_absolute_url()
    signed_in(alice).get(url)  # the frame
    panel_renders.clear()
    bobs = Client(enforce_csrf_checks=True)
    bobs.force_login(bob)

    pages = [bobs.get(url) for _ in range(3)]

    assert [page["X-Cache"] for page in pages] == ["frame-hit"] * 3
    # Rendered while what it reads (whether bob opted in) was not yet known, then kept.
    assert len(panel_renders) == 2
    assert without_tokens(pages[2].text) == without_tokens(pages[1].text)
    tokens = [panel_token(page.text) for page in pages]
    assert len(set(tokens)) == 3  # masked afresh each time, the kept panel's too
    response = bobs.post(
        f"{url}rsvp/", {"status": "going", "csrfmiddlewaretoken": tokens[2]}, follow=True
    )
    assert response.status_code == 200
    assert Rsvp.objects.filter(tweetup=tweetup, user=bob, status=Rsvp.Status.GOING).exists()


def test_a_kept_rsvp_panel_follows_opting_in_and_new_follows(alice, bob, berlin, commits):
    tweetup = TweetupFactory(city=berlin)
    carol, dan = UserFactory(x_username="carol_x"), UserFactory(x_username="dan_x")
    going(tweetup, carol, dan)
    url = tweetup.get_absolute_url()
    signed_in(alice).get(url)
    bobs = signed_in(bob)
    for _ in range(3):
        assert network_block(bobs.get(url).text) == ""  # kept by now

    follows(bob, carol)  # opted in: the consent entry is forgotten
    assert "@carol_x" in network_block(bobs.get(url).text)
    for _ in range(2):
        bobs.get(url)  # kept again

    consent = XNetworkConsent.objects.get(user=bob)
    commits(_replace_followed, consent=consent, ids=[carol.x_id, dan.x_id])  # a refresh
    block = network_block(bobs.get(url).text)
    assert "2 people you follow are going" in block and "@dan_x" in block
