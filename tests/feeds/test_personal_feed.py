"""The private per-person calendar feed and its address: made, replaced, turned off."""

import re

import pytest
from django.urls import reverse

from events.calendar import tweetup_uid
from events.models import Rsvp
from events.rsvps import rsvp_set
from feeds.models import CalendarFeedToken
from feeds.services import calendar_feed_token_replace, calendar_feed_token_revoke
from tests.factories import CityFactory, UserFactory
from tests.feeds.conftest import days_from_now, parse_ics, vevents

pytestmark = pytest.mark.django_db


def feed_path(token: str) -> str:
    return reverse("feeds:personal_calendar", args=[token])


def test_the_private_feed_has_what_i_go_to_or_might_and_nothing_else(client, berlin, user):
    lisbon = CityFactory(name="Lisbon", timezone="Europe/Lisbon")
    mine = days_from_now(3, city=berlin, organizer=user)  # organizing: going
    going = days_from_now(5, city=lisbon)
    maybe = days_from_now(6, city=berlin)
    cant = days_from_now(7, city=berlin)
    waitlisted = days_from_now(8, city=berlin, capacity=1)
    someone_elses = days_from_now(4, city=berlin)
    rsvp_set(user=user, tweetup=going, status=Rsvp.Status.GOING)
    rsvp_set(user=user, tweetup=maybe, status=Rsvp.Status.MAYBE)
    rsvp_set(user=user, tweetup=cant, status=Rsvp.Status.NOT_GOING)
    rsvp_set(user=user, tweetup=waitlisted, status=Rsvp.Status.GOING)  # full: waitlisted
    other = UserFactory()
    rsvp_set(user=other, tweetup=someone_elses, status=Rsvp.Status.GOING)

    response = client.get(feed_path(calendar_feed_token_replace(user=user)))

    calendar = parse_ics(response)
    assert set(vevents(calendar)) == {tweetup_uid(t) for t in (mine, going, maybe, waitlisted)}
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {
        "Europe/Berlin",
        "Europe/Lisbon",
    }
    assert vevents(calendar)[tweetup_uid(going)]["DTSTART"].params["TZID"] == "Europe/Lisbon"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"

    others = parse_ics(client.get(feed_path(calendar_feed_token_replace(user=other))))
    assert set(vevents(others)) == {tweetup_uid(someone_elses)}


def test_changing_my_answer_refreshes_my_feed(client, berlin, user):
    tweetup = days_from_now(5, city=berlin)
    rsvp_set(user=user, tweetup=tweetup, status=Rsvp.Status.GOING)
    path = feed_path(calendar_feed_token_replace(user=user))
    etag = client.get(path)["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

    rsvp_set(user=user, tweetup=tweetup, status=Rsvp.Status.MAYBE)  # same rows, new answer
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200

    rsvp_set(user=user, tweetup=tweetup, status=Rsvp.Status.NOT_GOING)
    assert vevents(parse_ics(client.get(path))) == {}


def test_dropping_an_older_tweetup_refreshes_my_feed(client, berlin, user):
    older, newer = days_from_now(5, city=berlin), days_from_now(6, city=berlin)
    rsvp_set(user=user, tweetup=older, status=Rsvp.Status.GOING)
    rsvp_set(user=user, tweetup=newer, status=Rsvp.Status.GOING)  # the newest change
    path = feed_path(calendar_feed_token_replace(user=user))
    first = client.get(path)

    # Its RSVP leaves the feed with it: the newest change left is the same as before.
    rsvp_set(user=user, tweetup=older, status=Rsvp.Status.NOT_GOING)

    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert again["Last-Modified"] == first["Last-Modified"]
    assert set(vevents(parse_ics(again))) == {tweetup_uid(newer)}


@pytest.mark.parametrize("size", [3, 30])
def test_the_private_feed_takes_three_queries_whatever_its_size(
    client, berlin, user, size, django_assert_num_queries
):
    for day in range(size):
        rsvp_set(user=user, tweetup=days_from_now(day + 1, city=berlin), status="maybe")
    path = feed_path(calendar_feed_token_replace(user=user))
    with django_assert_num_queries(3):  # the token and its person, the stamp, the rows
        response = client.get(path)
    assert len(vevents(parse_ics(response))) == size


def test_only_a_digest_of_the_token_is_kept(user):
    token = calendar_feed_token_replace(user=user)
    stored = CalendarFeedToken.objects.get(user=user)
    assert len(token) >= 40
    assert token not in stored.token_digest


def test_a_replaced_or_revoked_address_is_a_404_in_the_sites_look(client, user, tweetup):
    old = calendar_feed_token_replace(user=user)
    new = calendar_feed_token_replace(user=user)

    gone = client.get(feed_path(old))
    assert gone.status_code == 404
    assert b"We couldn't find that page" in gone.content
    assert client.get(feed_path(new)).status_code == 200

    assert calendar_feed_token_revoke(user=user) is True
    assert client.get(feed_path(new)).status_code == 404
    assert calendar_feed_token_revoke(user=user) is False


@pytest.mark.parametrize(
    "token",
    ["x", "a" * 43, "a" * 500, "%00", "..%2F..%2Fetc", "%F0%9F%8E%89" * 10, "'; DROP TABLE"],
)
def test_unknown_or_junk_tokens_are_404s(client, user, token):
    calendar_feed_token_replace(user=user)
    response = client.get(f"/feeds/{token}/calendar.ics")
    assert response.status_code == 404


class TestTheSettingsPage:
    url = reverse("feeds:calendar_settings")

    def test_signed_out_people_are_asked_to_sign_in(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]

    def test_get_an_address_once_then_replace_it(self, client, user, tweetup):
        client.force_login(user)
        assert "Get my feed address" in client.get(self.url).content.decode()

        made = client.post(self.url, {"action": "replace"})
        assert made.status_code == 200
        assert made["Cache-Control"] == "no-store"
        first = re.search(r'value="(http://testserver/feeds/[^"]+/calendar\.ics)"', made.text)
        assert first is not None
        assert client.get(first.group(1)).status_code == 200

        later = client.get(self.url).content.decode()
        assert first.group(1) not in later  # shown once: only its digest is kept
        assert "Make a new address" in later

        replaced = client.post(self.url, {"action": "replace"})
        second = re.search(r'value="(http://testserver/feeds/[^"]+/calendar\.ics)"', replaced.text)
        assert second.group(1) != first.group(1)
        assert client.get(first.group(1)).status_code == 404
        assert client.get(second.group(1)).status_code == 200

    def test_turn_it_off(self, client, user):
        client.force_login(user)
        token = calendar_feed_token_replace(user=user)
        response = client.post(self.url, {"action": "revoke"}, follow=True)
        assert "Your calendar feed is off" in response.content.decode()
        assert client.get(feed_path(token)).status_code == 404
        assert not CalendarFeedToken.objects.filter(user=user).exists()

    def test_an_unknown_action_changes_nothing(self, client, user):
        client.force_login(user)
        token = calendar_feed_token_replace(user=user)
        response = client.post(self.url, {"action": "explode"}, follow=True)
        assert "Choose to make a new address" in response.content.decode()
        assert client.get(feed_path(token)).status_code == 200

    def test_my_tweetups_links_to_it(self, client, user):
        client.force_login(user)
        page = client.get(reverse("events:my_tweetups")).content.decode()
        assert f'href="{self.url}"' in page
