"""The RSVP button as a view: a redirect back without JavaScript and the panel fragment
with htmx, the waitlist position, sign-in for visitors, bad input and GET changing
nothing, a rate limit, and an organizer who can't leave."""

import pytest
from django.urls import reverse

from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestRsvpViews:
    def test_rsvp_without_js_redirects_back(self, client, tweetup, other_user):
        client.force_login(other_user)
        response = client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "going"})
        assert response.status_code == 302
        assert response["Location"] == tweetup.get_absolute_url()
        assert Rsvp.objects.get(user=other_user).status == Rsvp.Status.GOING

    def test_rsvp_htmx_returns_the_panel_fragment(self, client, tweetup, other_user):
        client.force_login(other_user)
        response = client.post(
            reverse("events:rsvp", args=[tweetup.slug]),
            {"status": "going"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<aside id="rsvp-panel"')
        assert "<html" not in response.text
        assert "You're going." in response.text
        assert "<strong>2</strong><span>going" in response.text

    def test_full_tweetup_waitlists_with_position(self, client, berlin, user):
        tweetup = TweetupFactory(city=berlin, organizer=user, capacity=1)
        first, second = UserFactory(), UserFactory()
        for person in (first, second):
            client.force_login(person)
            response = client.post(
                reverse("events:rsvp", args=[tweetup.slug]),
                {"status": "going"},
                headers={"HX-Request": "true"},
            )
        assert "number 2 in line" in response.text
        assert Rsvp.objects.get(user=first).status == Rsvp.Status.WAITLISTED

    def test_anonymous_rsvp_goes_to_sign_in_and_back_to_the_tweetup(self, client, tweetup):
        url = reverse("events:rsvp", args=[tweetup.slug])
        response = client.post(url, {"status": "going"})
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=%2Ft%2F{tweetup.slug}%2F"
        htmx = client.post(url, {"status": "going"}, headers={"HX-Request": "true"})
        assert htmx["HX-Redirect"] == response["Location"]
        assert tweetup.rsvps.count() == 1

    def test_bad_status_changes_nothing(self, client, tweetup, other_user):
        client.force_login(other_user)
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "waitlisted"})
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "admin"})
        assert not Rsvp.objects.filter(user=other_user).exists()

    def test_rsvp_get_is_not_allowed(self, client, tweetup, other_user):
        client.force_login(other_user)
        assert (
            client.get(reverse("events:rsvp", args=[tweetup.slug]) + "?status=going").status_code
            == 405
        )
        assert not Rsvp.objects.filter(user=other_user).exists()

    def test_burst_past_the_limit_gets_429(self, client, tweetup, other_user, settings):
        settings.RSVP_RATE_LIMIT = 3
        client.force_login(other_user)
        url = reverse("events:rsvp", args=[tweetup.slug])
        codes = [
            client.post(url, {"status": s}).status_code
            for s in ["going", "maybe", "going", "maybe"]
        ]
        assert codes[:3] == [302, 302, 302]
        assert codes[3] == 429
        assert Rsvp.objects.get(user=other_user).status == Rsvp.Status.GOING
        htmx = client.post(url, {"status": "maybe"}, headers={"HX-Request": "true"})
        assert htmx.status_code == 429
        assert "a lot of RSVPs" in htmx.text

    def test_organizer_cannot_leave(self, client, tweetup, user):
        client.force_login(user)
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "not_going"})
        assert Rsvp.objects.get(user=user).status == Rsvp.Status.GOING
