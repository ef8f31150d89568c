"""Private RSVPs (issue 12, Privacy): counted in the seats and the going count, but listed to
no one but the person themselves — not on the attendee list, not as "people you follow are
going", not as a wall post's "going" badge, and never in a cached visitor page."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from events.models import Rsvp, Tweet, XAuthor
from events.rsvps import rsvp_privacy_set, rsvp_set
from tests.events.test_wall import post
from tests.factories import TweetupFactory, UserFactory, follows
from tests.pages import network_block, people_going, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def shy(db):
    return UserFactory(x_username="shy_one", display_name="Shy One")


@pytest.fixture
def party(berlin, shy):
    """A tweetup with capacity 3: the organizer, a listed guest and `shy`, privately."""
    tweetup = TweetupFactory(city=berlin, capacity=3)
    guest = UserFactory(x_username="open_guest")
    rsvp_set(user=guest, tweetup=tweetup, status=Rsvp.Status.GOING)
    rsvp_set(user=shy, tweetup=tweetup, status=Rsvp.Status.GOING, private=True)
    return tweetup


# --- The service ----------------------------------------------------------------------------


def test_a_private_rsvp_takes_a_seat_and_is_counted(party, shy):
    party.refresh_from_db()
    assert party.going_count == 3
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True
    latecomer = UserFactory()
    assert rsvp_set(user=latecomer, tweetup=party, status="going").status == "waitlisted"


def test_privacy_is_kept_when_the_answer_changes_and_can_be_changed_later(party, shy):
    rsvp_set(user=shy, tweetup=party, status=Rsvp.Status.MAYBE)
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True
    rsvp_privacy_set(user=shy, tweetup=party, private=False)
    assert Rsvp.objects.get(tweetup=party, user=shy).private is False
    # The same answer with the box ticked makes it private again.
    rsvp_set(user=shy, tweetup=party, status=Rsvp.Status.MAYBE, private=True)
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


def test_privacy_needs_an_rsvp_and_the_organizer_cannot_hide(party):
    with pytest.raises(ValidationError):
        rsvp_privacy_set(user=UserFactory(), tweetup=party, private=True)
    with pytest.raises(ValidationError):
        rsvp_privacy_set(user=party.organizer, tweetup=party, private=True)
    assert not Rsvp.objects.filter(tweetup=party, private=True).exclude(user__x_username="shy_one")


# --- What each person sees ------------------------------------------------------------------


def test_nobody_else_sees_a_private_rsvp_but_everyone_counts_it(party, shy):
    url = party.get_absolute_url()
    viewers = {
        "visitor": Client(),
        "other user": signed_in(UserFactory()),
        "organizer": signed_in(party.organizer),
    }
    for role, client in viewers.items():
        html = client.get(url).content.decode()
        assert "@open_guest" in people_going(html), role
        assert "shy_one" not in html and "Shy One" not in html, role
        assert "<strong>3</strong><span>going of 3</span>" in html, role
        assert "and 1 more going" in html, role


def test_the_person_sees_themselves_marked_private(party, shy):
    html = signed_in(shy).get(party.get_absolute_url()).content.decode()
    assert "@shy_one" in people_going(html)
    assert "a private RSVP only you see" in people_going(html)
    assert "Private RSVP" in html and "Show me on the list" in html
    assert "more going" not in html


def test_a_follower_does_not_see_a_private_rsvp_among_people_they_follow(party, shy):
    follower = UserFactory()
    open_guest = Rsvp.objects.get(tweetup=party, user__x_username="open_guest").user
    follows(follower, shy, open_guest)
    html = signed_in(follower).get(party.get_absolute_url()).content.decode()
    block = network_block(html)
    assert "1 person you follow is going" in block and "@open_guest" in block
    assert "shy_one" not in html


def test_the_cached_bytes_never_hold_a_private_attendee(party, shy):
    url = party.get_absolute_url()
    signed_in(shy).get(url)  # their own panel lists them: it must stay out of the frame
    signed_in(UserFactory()).get(url)
    first, second = Client().get(url), Client().get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert b"shy_one" not in second.content
    # Every entry the cache keeps (pages, parts, frames), as the pickled bytes it stores.
    stored = list(cache._cache.values())
    assert any(b"open_guest" in entry for entry in stored), "the test would prove nothing"
    assert not any(b"shy_one" in entry for entry in stored)


def test_a_wall_post_by_a_private_attendee_has_no_going_badge(party, shy):
    guest = Rsvp.objects.get(tweetup=party, user__x_username="open_guest").user
    for person in (shy, guest):
        author = XAuthor.objects.create(
            x_id=int(person.x_id), username=person.x_username, name="X", updated_at=timezone.now()
        )
        post(party, f"On my way #{party.hashtag}", author=author)
    badges = {t.author.username: t.author_is_going for t in Tweet.objects.for_wall(party)}
    assert badges == {"shy_one": False, "open_guest": True}


# --- The views, per role ----------------------------------------------------------------------


def test_the_first_answer_can_be_private_with_htmx_and_plain_post(berlin):
    tweetup = TweetupFactory(city=berlin)
    url = f"/t/{tweetup.slug}/rsvp/"
    page = signed_in(UserFactory()).get(tweetup.get_absolute_url()).content.decode()
    assert 'name="private" value="1"' in page and "Keep my RSVP private" in page
    plain, htmx = UserFactory(), UserFactory()
    response = signed_in(plain).post(url, {"status": "going", "private": "1"})
    assert response.status_code == 302
    response = signed_in(htmx).post(
        url, {"status": "going", "private": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="rsvp-panel"' in response.text
    assert "Private RSVP" in response.text
    assert set(Rsvp.objects.filter(private=True).values_list("user", flat=True)) == {
        plain.pk,
        htmx.pk,
    }


def test_an_answer_without_the_box_keeps_privacy_as_it_was(party, shy):
    response = signed_in(shy).post(f"/t/{party.slug}/rsvp/", {"status": "maybe"})
    assert response.status_code == 302
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


def test_the_owner_switches_privacy_both_ways(party, shy, django_capture_on_commit_callbacks):
    client = signed_in(shy)
    url = f"/t/{party.slug}/rsvp/privacy/"
    with django_capture_on_commit_callbacks(execute=True):  # the page cache is told on commit
        response = client.post(url, {"private": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Make my RSVP private" in response.text
    assert Rsvp.objects.get(tweetup=party, user=shy).private is False
    assert "@shy_one" in people_going(Client().get(party.get_absolute_url()).text)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"private": "1"})
    assert response.status_code == 302
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True
    assert "shy_one" not in Client().get(party.get_absolute_url()).text


def test_another_user_without_an_rsvp_changes_nothing(party, shy):
    other = UserFactory()
    response = signed_in(other).post(
        f"/t/{party.slug}/rsvp/privacy/", {"private": "0"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert not Rsvp.objects.filter(user=other).exists()
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


def test_the_organizer_cannot_make_their_rsvp_private(party):
    response = signed_in(party.organizer).post(
        f"/t/{party.slug}/rsvp/privacy/", {"private": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert Rsvp.objects.get(tweetup=party, user=party.organizer).private is False


def test_a_visitor_is_sent_to_sign_in(party, shy):
    url = f"/t/{party.slug}/rsvp/privacy/"
    response = Client().post(url, {"private": "0"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = Client().post(url, {"private": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and "HX-Redirect" in response
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


@pytest.mark.parametrize("data", [{}, {"private": "maybe"}, {"private": "1\x00"}])
def test_bad_input_is_a_400_not_a_500(party, shy, data):
    response = signed_in(shy).post(
        f"/t/{party.slug}/rsvp/privacy/", data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


def test_the_switch_needs_a_csrf_token(party, shy):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shy)
    response = client.post(f"/t/{party.slug}/rsvp/privacy/", {"private": "0"})
    assert response.status_code == 403
    assert Rsvp.objects.get(tweetup=party, user=shy).private is True


def test_a_refused_first_answer_keeps_the_box_ticked(berlin, settings):
    settings.RSVP_RATE_LIMIT = 0
    tweetup = TweetupFactory(city=berlin)
    response = signed_in(UserFactory()).post(
        f"/t/{tweetup.slug}/rsvp/",
        {"status": "going", "private": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 429
    assert 'id="rsvp-private" aria-describedby="rsvp-private-help" checked' in response.text


def test_the_organizer_cannot_answer_privately_either(party):
    response = signed_in(party.organizer).post(
        f"/t/{party.slug}/rsvp/",
        {"status": "going", "private": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "organizing" in response.text
    assert Rsvp.objects.get(tweetup=party, user=party.organizer).private is False
