"""One-click unsubscribe from a mail's link, and CSRF on every other form."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import EmailPreferences
from notifications.tokens import rsvp_token_make, unsubscribe_token_make
from tests.notifications.conftest import snapshot
from tests.pages import text

pytestmark = pytest.mark.django_db


class TestUnsubscribe:
    def test_one_click_post_without_session_or_csrf(self, guest):
        client = Client(enforce_csrf_checks=True)  # like a mail client: no cookies at all
        url = reverse(
            "notifications:unsubscribe",
            args=[unsubscribe_token_make(user_id=guest.pk, category="reminders")],
        )
        response = client.post(
            url,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        preferences = EmailPreferences.objects.get(user=guest)
        assert preferences.reminders is False
        assert preferences.confirmations and preferences.changes and preferences.new_in_city
        assert "sessionid" not in response.cookies
        # Twice is fine.
        assert (
            client.post(
                url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
            ).status_code
            == 200
        )

    def test_get_shows_a_button_and_changes_nothing(self, guest, client):
        token = unsubscribe_token_make(user_id=guest.pk, category="new_in_city")
        before = snapshot()
        page = client.get(reverse("notifications:unsubscribe", args=[token]))
        assert page.status_code == 200
        assert "New tweetups in cities I follow" in text(page)
        assert snapshot() == before
        client.post(reverse("notifications:unsubscribe", args=[token]))
        assert EmailPreferences.objects.get(user=guest).new_in_city is False

    def test_a_tampered_or_rsvp_token_is_refused(self, guest, berlin_tweetup, client):
        good = unsubscribe_token_make(user_id=guest.pk, category="reminders")
        rsvp = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")
        for bad in (good[:-2] + "xx", rsvp):
            response = client.post(reverse("notifications:unsubscribe", args=[bad]))
            assert response.status_code == 400
        assert not EmailPreferences.objects.exists()

    def test_nothing_else_works_without_a_csrf_token(self, guest, berlin_tweetup, organizer):
        client = Client(enforce_csrf_checks=True)
        client.force_login(organizer)
        posts = {
            reverse("notifications:settings"): {"reminders": "on"},
            reverse("notifications:city_follow", args=["berlin"]): {"follow": "1"},
            reverse("notifications:organizer_message", args=[berlin_tweetup.slug]): {
                "subject": "s",
                "body": "b",
            },
            reverse("notifications:rsvp_confirm"): {
                "token": rsvp_token_make(
                    user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="maybe"
                )
            },
            reverse("account_email"): {"email": "new@example.com", "action_add": ""},
        }
        before = snapshot()
        for url, data in posts.items():
            assert client.post(url, data).status_code == 403, url
        assert snapshot() == before
