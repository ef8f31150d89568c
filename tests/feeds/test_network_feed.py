"""The private feed of "Your network": the tweetups people you follow are going to, at an
address with its own secret; replaced or turned off, it is a 404, and the feed of your own
tweetups is another address, replaced and turned off on its own."""

from html import unescape

import pytest
from django.urls import reverse

from events.calendar import tweetup_uid
from events.models import Rsvp
from feeds.models import CalendarFeedToken
from feeds.services import calendar_feed_token_replace, calendar_feed_token_revoke
from tests.factories import UserFactory, going, opt_in
from tests.feeds.conftest import days_from_now, parse_ics, vevents

pytestmark = pytest.mark.django_db


NETWORK = CalendarFeedToken.Kind.NETWORK


def feed_path(token: str) -> str:
    return reverse("feeds:network_calendar", args=[token])


def network_token(user) -> str:
    return calendar_feed_token_replace(user=user, kind=NETWORK)


def test_it_has_the_tweetups_people_i_follow_are_going_to(client, berlin, user):
    friend, stranger = UserFactory(), UserFactory()
    opt_in(user, friend)
    theirs = days_from_now(3, city=berlin)
    strangers = days_from_now(4, city=berlin)
    maybe = days_from_now(5, city=berlin)
    going(theirs, friend)
    going(strangers, stranger)
    going(maybe, friend, status=Rsvp.Status.MAYBE)

    response = client.get(feed_path(network_token(user)))

    assert set(vevents(parse_ics(response))) == {tweetup_uid(theirs)}
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"


def test_a_friend_joining_changes_its_etag(client, berlin, user):
    friend, other_friend = UserFactory(), UserFactory()
    opt_in(user, friend, other_friend)
    tweetup = days_from_now(3, city=berlin)
    going(tweetup, friend)
    path = feed_path(network_token(user))
    etag = client.get(path)["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    going(tweetup, other_friend)

    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "A" * 43, "x" * 70])
def test_an_unknown_address_is_a_404(client, token):
    assert client.get(f"/feeds/{token}/network.ics").status_code == 404


def test_a_replaced_or_revoked_address_is_a_404(client, user):
    opt_in(user)
    old = network_token(user)
    new = network_token(user)

    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200

    calendar_feed_token_revoke(user=user, kind=NETWORK)

    assert client.get(feed_path(new)).status_code == 404


def test_each_feed_has_its_own_secret_replaced_and_turned_off_alone(client, user):
    opt_in(user)
    mine = calendar_feed_token_replace(user=user)
    network = network_token(user)
    personal_path = reverse("feeds:personal_calendar", args=[mine])

    # The other feed's secret opens nothing here, and the other way round.
    assert client.get(feed_path(mine)).status_code == 404
    assert client.get(reverse("feeds:personal_calendar", args=[network])).status_code == 404

    # Replacing or turning off the personal feed leaves the network's working.
    mine = calendar_feed_token_replace(user=user)
    assert client.get(feed_path(network)).status_code == 200
    calendar_feed_token_revoke(user=user)
    assert client.get(feed_path(network)).status_code == 200
    assert client.get(personal_path).status_code == 404

    # And the other way round.
    mine = calendar_feed_token_replace(user=user)
    calendar_feed_token_revoke(user=user, kind=NETWORK)
    assert client.get(feed_path(network)).status_code == 404
    assert client.get(reverse("feeds:personal_calendar", args=[mine])).status_code == 200


def test_the_settings_page_makes_and_turns_off_the_network_address_alone(client, user):
    client.force_login(user)
    mine = calendar_feed_token_replace(user=user)
    url = reverse("feeds:calendar_settings")

    response = client.post(url, {"action": "replace", "feed": "network"})

    html = response.text
    assert "/network.ics" in html and "/calendar.ics" not in html
    assert response["Cache-Control"] == "no-store"
    assert client.get(reverse("feeds:personal_calendar", args=[mine])).status_code == 200
    assert "Turn the network feed off" in client.get(url).text

    response = client.post(url, {"action": "revoke", "feed": "network"}, follow=True)

    assert "network's calendar feed is off" in unescape(response.text)
    kinds = set(CalendarFeedToken.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds == {CalendarFeedToken.Kind.MINE}


@pytest.mark.parametrize(
    "data", [{"action": "replace", "feed": "everything"}, {"action": "explode"}, {}]
)
def test_the_settings_page_refuses_what_it_does_not_know(client, user, data):
    client.force_login(user)

    response = client.post(reverse("feeds:calendar_settings"), data)

    assert response.status_code == 302
    assert not CalendarFeedToken.objects.filter(user=user).exists()


def test_the_settings_page_needs_a_signed_in_person(client):
    response = client.post(reverse("feeds:calendar_settings"), {"action": "replace"})

    assert response.status_code == 302
    assert not CalendarFeedToken.objects.exists()
