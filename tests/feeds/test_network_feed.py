"""The private feed of "Your network": the tweetups people you follow are going to, at the
address of your private calendar feed's secret; replaced or turned off, it is a 404."""

import pytest
from django.urls import reverse

from events.calendar import tweetup_uid
from events.models import Rsvp
from feeds.services import calendar_feed_token_replace, calendar_feed_token_revoke
from tests.events.test_network_listings import going, opt_in
from tests.factories import UserFactory
from tests.feeds.conftest import days_from_now, parse_ics, vevents

pytestmark = pytest.mark.django_db


def feed_path(token: str) -> str:
    return reverse("feeds:network_calendar", args=[token])


def test_it_has_the_tweetups_people_i_follow_are_going_to(client, berlin, user):
    friend, stranger = UserFactory(), UserFactory()
    opt_in(user, friend)
    theirs = days_from_now(3, city=berlin)
    strangers = days_from_now(4, city=berlin)
    maybe = days_from_now(5, city=berlin)
    going(theirs, friend)
    going(strangers, stranger)
    going(maybe, friend, status=Rsvp.Status.MAYBE)

    response = client.get(feed_path(calendar_feed_token_replace(user=user)))

    assert set(vevents(parse_ics(response))) == {tweetup_uid(theirs)}
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"


def test_a_friend_joining_changes_its_etag(client, berlin, user):
    friend, other_friend = UserFactory(), UserFactory()
    opt_in(user, friend, other_friend)
    tweetup = days_from_now(3, city=berlin)
    going(tweetup, friend)
    path = feed_path(calendar_feed_token_replace(user=user))
    etag = client.get(path)["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    going(tweetup, other_friend)

    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "A" * 43, "x" * 70])
def test_an_unknown_address_is_a_404(client, token):
    assert client.get(f"/feeds/{token}/network.ics").status_code == 404


def test_a_replaced_or_revoked_address_is_a_404(client, user):
    opt_in(user)
    old = calendar_feed_token_replace(user=user)
    new = calendar_feed_token_replace(user=user)

    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200

    calendar_feed_token_revoke(user=user)

    assert client.get(feed_path(new)).status_code == 404


def test_the_settings_page_shows_both_addresses_once(client, user):
    client.force_login(user)

    response = client.post(reverse("feeds:calendar_settings"), {"action": "replace"})

    html = response.text
    assert "/calendar.ics" in html and "/network.ics" in html
    assert response["Cache-Control"] == "no-store"
