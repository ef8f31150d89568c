"""Who may see whom on a tweetup's attendee list (issue 12, Privacy): protected X accounts
only by people who follow them on X, and a list the organizer keeps to people signed in.
Counted always; the query count of the page stays fixed whoever is hidden."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import user_update_from_x
from events.models import Rsvp
from events.views import tweetup as tweetup_views
from tests.factories import TweetupFactory, UserFactory, follows
from tests.pages import form_data, network_block, people_going, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def kenji(db):
    return UserFactory(x_username="kenji_sato", display_name="Kenji Sato", x_protected=True)


@pytest.fixture
def meetup(berlin, kenji):
    tweetup = TweetupFactory(city=berlin)
    Rsvp.objects.create(tweetup=tweetup, user=kenji, status=Rsvp.Status.GOING)
    Rsvp.objects.create(
        tweetup=tweetup, user=UserFactory(x_username="listed_guest"), status=Rsvp.Status.GOING
    )
    return tweetup


# --- Protected X accounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile_value", "stored"), [(True, True), (False, False), (None, False), ("yes", False)]
)
def test_the_sign_in_profile_says_whether_an_account_is_protected(profile_value, stored):
    user = UserFactory()
    profile = {"id": user.x_id, "username": "someone", "name": "Some One"}
    if profile_value is not None:
        profile["protected"] = profile_value
    user_update_from_x(user=user, profile=profile)
    user.refresh_from_db()
    assert user.x_protected is stored


def test_a_protected_account_is_counted_but_hidden_from_who_does_not_follow_it(meetup):
    url = meetup.get_absolute_url()
    for role, client in {
        "visitor": Client(),
        "other user": signed_in(UserFactory()),
        "organizer": signed_in(meetup.organizer),
    }.items():
        html = client.get(url).content.decode()
        assert "kenji_sato" not in html and "Kenji Sato" not in html, role
        assert "@listed_guest" in people_going(html), role
        assert "<strong>3</strong><span>going</span>" in html, role
        assert "and 1 more going" in html, role


def test_a_follower_sees_the_protected_account_among_people_they_follow_once(meetup, kenji):
    follower = UserFactory()
    follows(follower, kenji)
    html = signed_in(follower).get(meetup.get_absolute_url()).content.decode()
    assert "@kenji_sato" in network_block(html)
    assert "kenji_sato" not in people_going(html)  # shown just above: not twice
    assert "@listed_guest" in people_going(html)
    assert "more going" not in html


def test_a_follower_whose_network_block_is_full_sees_the_protected_account_in_the_list(
    meetup, kenji, monkeypatch
):
    monkeypatch.setattr(tweetup_views, "NETWORK_FACES", 1)
    follower = UserFactory()
    follows(follower, meetup.organizer, kenji)  # the organizer came first: the one face
    html = signed_in(follower).get(meetup.get_absolute_url()).content.decode()
    assert "@kenji_sato" not in network_block(html)
    assert "@kenji_sato" in people_going(html)
    assert "a protected account you follow" in people_going(html)
    assert "more going" not in html


def test_the_protected_person_sees_themselves(meetup, kenji):
    html = signed_in(kenji).get(meetup.get_absolute_url()).content.decode()
    assert "@kenji_sato" in people_going(html)
    assert "shown only to people who follow you on X" in people_going(html)


def test_a_private_rsvp_of_a_protected_account_is_hidden_from_its_followers_too(meetup, kenji):
    Rsvp.objects.filter(user=kenji).update(private=True)
    follower = UserFactory()
    follows(follower, kenji)
    html = signed_in(follower).get(meetup.get_absolute_url()).content.decode()
    assert "kenji_sato" not in html
    assert "and 1 more going" in html


def test_the_query_count_stays_fixed_whoever_is_hidden(berlin):
    counts = {}
    for size in (2, 30):
        tweetup = TweetupFactory(city=berlin)
        viewer = UserFactory()
        hidden = [UserFactory(x_protected=True) for _ in range(size)]
        for n, person in enumerate(hidden):
            Rsvp.objects.create(
                tweetup=tweetup, user=person, status=Rsvp.Status.GOING, private=n % 2 == 0
            )
        follows(viewer, *hidden)
        client = signed_in(viewer)
        url = tweetup.get_absolute_url()
        client.get(url)  # warm the shared parts and the frame
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response["X-Cache"] == "frame-hit"
        counts[size] = len(queries)
        # The organizer, and the protected people the viewer follows whose RSVP isn't
        # private, but for those among the faces of "people you follow" just above.
        faces = min(size // 2, tweetup_views.NETWORK_FACES)
        assert network_block(response.text).count("<li>") == faces
        assert people_going(response.text).count("<li>") == 1 + size // 2 - faces
    assert counts[2] == counts[30]
    # user, people you follow going, protected people you follow going (your RSVP is kept
    # with the page's parts)
    assert counts[2] == 3


# --- The organizer keeps the list to people signed in ----------------------------------------


def box_ticked(html: str) -> bool:
    start = html.index('name="attendees_signed_in_only"')
    tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
    return " checked" in tag


@pytest.fixture
def members_only(meetup):
    meetup.attendees_signed_in_only = True
    meetup.save()
    return meetup


def test_visitors_see_the_count_and_a_sign_in_prompt_from_a_whole_cached_page(members_only):
    url = members_only.get_absolute_url()
    first, second = Client().get(url), Client().get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    html = second.content.decode()
    assert "<strong>3</strong><span>going</span>" in html
    assert "Sign in to see who&#x27;s going" in html or "Sign in to see who's going" in html
    assert people_going(html) == ""
    assert "listed_guest" not in html
    htmx = Client().get(url, headers={"HX-Request": "true"})
    assert "listed_guest" not in htmx.text and "Sign in to see who" in htmx.text


def test_signed_in_people_still_see_who_is_going(members_only):
    html = signed_in(UserFactory()).get(members_only.get_absolute_url()).content.decode()
    assert "@listed_guest" in people_going(html)
    assert "Sign in to see who" not in html


def test_the_organizer_sets_it_on_create_and_clears_it_on_edit(berlin, user):
    client = signed_in(user)
    response = client.post(
        reverse("events:tweetup_new"), form_data(berlin, attendees_signed_in_only="on")
    )
    assert response.status_code == 302
    tweetup = user.organized_tweetups.get()
    assert tweetup.attendees_signed_in_only is True
    edit = reverse("events:tweetup_edit", args=[tweetup.slug])
    assert box_ticked(client.get(edit).text)
    data = form_data(
        berlin,
        hashtag=tweetup.hashtag,
        starts_at=tweetup.local_starts_at.strftime("%Y-%m-%dT%H:%M"),
        ends_at=tweetup.local_ends_at.strftime("%Y-%m-%dT%H:%M"),
    )
    assert client.post(edit, data).status_code == 302
    tweetup.refresh_from_db()
    assert tweetup.attendees_signed_in_only is False


def test_a_form_with_errors_keeps_the_box_ticked(berlin, user):
    response = signed_in(user).post(
        reverse("events:tweetup_new"), form_data(berlin, title="", attendees_signed_in_only="on")
    )
    assert response.status_code == 200
    assert box_ticked(response.text)


def test_another_user_cannot_change_it(meetup, berlin):
    edit = reverse("events:tweetup_edit", args=[meetup.slug])
    data = form_data(berlin, hashtag=meetup.hashtag, attendees_signed_in_only="on")
    assert signed_in(UserFactory()).post(edit, data).status_code == 403
    meetup.refresh_from_db()
    assert meetup.attendees_signed_in_only is False


def test_a_visitor_cannot_change_it(meetup, berlin):
    edit = reverse("events:tweetup_edit", args=[meetup.slug])
    data = form_data(berlin, hashtag=meetup.hashtag, attendees_signed_in_only="on")
    response = Client().post(edit, data)
    assert response.status_code == 302 and "login" in response["Location"]
    meetup.refresh_from_db()
    assert meetup.attendees_signed_in_only is False
