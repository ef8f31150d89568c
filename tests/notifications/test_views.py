"""Email settings, addresses (allauth), following cities and organizer messages."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from notifications.models import Broadcast, CityFollow, EmailPreferences, MessageKind
from notifications.preferences import mail_address
from tests.factories import CityFollowFactory, EmailAddressFactory
from tests.pages import text

pytestmark = pytest.mark.django_db


def words(response) -> str:
    """The page's text without its tags, as a screen reader reads a button."""
    return re.sub(r"<[^>]+>", "", text(response))


class TestAddresses:
    def test_add_and_verify_an_address_through_allauth(self, client, user):
        client.force_login(user)
        page = client.get(reverse("account_email"))
        assert page.status_code == 200
        assert "Your email address" in text(page)
        assert 'class="site-header"' in page.text  # the site's own layout

        response = client.post(
            reverse("account_email"), {"email": "me@example.com", "action_add": ""}
        )
        assert response.status_code == 302
        address = EmailAddress.objects.get(user=user)
        assert address.email == "me@example.com" and not address.verified
        (sent,) = mail.outbox
        assert sent.subject == "Tweetups: Verify your email address"
        assert sent.alternatives and "Verify my address" in sent.alternatives[0].content
        link = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", sent.body)[1]

        # Opening the link (as a scanner would) verifies nothing; the button does.
        confirm = client.get(link)
        assert confirm.status_code == 200
        assert "Yes, verify this address" in text(confirm)
        address.refresh_from_db()
        assert not address.verified
        done = client.post(link)
        assert done.status_code == 302 and done["Location"] == "/email/"
        address.refresh_from_db()
        assert address.verified and address.primary

        settings_page = client.get(reverse("notifications:settings"))
        assert "me@example.com" in settings_page.text and "Verified" in settings_page.text

    def test_remove_an_address(self, client, user):
        EmailAddressFactory(user=user, email="old@example.com")
        client.force_login(user)
        client.post(reverse("account_email"), {"email": "old@example.com", "action_remove": ""})
        assert not EmailAddress.objects.filter(user=user).exists()

    def test_make_a_second_address_the_one_mail_goes_to(self, client, user):
        EmailAddressFactory(user=user, email="old@example.com")
        new = EmailAddress.objects.create(user=user, email="new@example.com", verified=False)
        client.force_login(user)
        page = words(client.get(reverse("account_email")))
        assert "Send the link again to new@example.com" in page
        assert "Send mail here" not in page  # not before it is verified

        # Unverified, it can't take over: mail keeps going to the verified address.
        client.post(reverse("account_email"), {"email": "new@example.com", "action_primary": ""})
        assert mail_address(user) == "old@example.com"
        assert EmailAddress.objects.get(email="old@example.com").primary

        EmailAddress.objects.filter(pk=new.pk).update(verified=True)
        page = words(client.get(reverse("account_email")))
        assert "Send mail here (new@example.com)" in page
        assert "Send mail here (old@example.com)" not in page
        response = client.post(
            reverse("account_email"), {"email": "new@example.com", "action_primary": ""}
        )
        assert response.status_code == 302
        primaries = EmailAddress.objects.filter(user=user, primary=True)
        assert list(primaries.values_list("email", flat=True)) == ["new@example.com"]
        assert mail_address(user) == "new@example.com"
        settings_page = client.get(reverse("notifications:settings")).text
        assert settings_page.index("new@example.com") < settings_page.index("old@example.com")

    def test_the_settings_page_asks_for_an_address_first(self, client, user):
        client.force_login(user)
        page = client.get(reverse("notifications:settings"))
        assert "Add an email address" in text(page)
        assert "X doesn't share your email address" in text(page)

    @pytest.mark.parametrize(
        "path",
        [
            "/accounts/signup/",
            "/accounts/password/change/",
            "/accounts/password/set/",
            "/accounts/password/reset/",
            "/accounts/password/reset/done/",
            "/accounts/password/reset/key/1-abc/",
            "/accounts/reauthenticate/",
            "/accounts/login/code/confirm/",
        ],
    )
    def test_the_site_stays_password_free(self, client, user, path):
        assert client.get(path).status_code == 404
        client.force_login(user)
        assert client.get(path).status_code == 404
        assert client.post(path, {"password1": "x", "password2": "x"}).status_code == 404

    def test_sign_in_page_still_has_only_the_x_button(self, client):
        page = client.get(reverse("account_login"))
        assert "password" not in page.text.lower()


class TestPreferences:
    def test_turn_categories_off_and_on(self, client, user):
        client.force_login(user)
        page = client.get(reverse("notifications:settings"))
        assert page.text.count('type="checkbox"') == 8
        assert "Weekly digest of tweetups in cities I follow and in my X network" in text(page)
        assert "Invitations from people going to a tweetup" in text(page)
        on = {"confirmations": "on", "changes": "on", "organizer": "on"}
        response = client.post(reverse("notifications:settings"), on)
        assert response.status_code == 302
        prefs = EmailPreferences.objects.get(user=user)
        assert (prefs.confirmations, prefs.reminders, prefs.changes) == (True, False, True)
        assert (prefs.promotions, prefs.new_in_city, prefs.organizer) == (False, False, True)
        assert prefs.digest is False and prefs.invitations is False
        form = client.get(reverse("notifications:settings")).context["form"]
        assert form["reminders"].value() is False and form["changes"].value() is True

    def test_needs_sign_in(self, client):
        response = client.get(reverse("notifications:settings"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestFollowingCities:
    def test_follow_and_unfollow_from_the_city_page(self, client, user, berlin):
        client.force_login(user)
        page = client.get(berlin.get_absolute_url())
        assert "Follow Berlin" in page.text and 'aria-pressed="false"' in page.text
        client.post(reverse("notifications:city_follow", args=["berlin"]), {"follow": "1"})
        assert CityFollow.objects.filter(user=user, city=berlin).exists()
        page = client.get(berlin.get_absolute_url())
        assert "Following Berlin" in page.text and 'aria-pressed="true"' in page.text
        assert "Add and verify an email address" in text(page)  # no address yet

        settings_page = client.get(reverse("notifications:settings"))
        assert "Berlin, Germany" in settings_page.text
        client.post(
            reverse("notifications:city_follow", args=["berlin"]),
            {"follow": "0", "next": "/email/"},
        )
        assert not CityFollow.objects.exists()
        assert "Follow Berlin" in client.get(berlin.get_absolute_url()).text

    def test_signed_out_the_button_leads_to_sign_in(self, client, berlin):
        page = client.get(berlin.get_absolute_url())
        assert '/accounts/login/?next=/c/berlin/"' in page.text

    def test_city_page_query_count_stays_fixed_with_the_follow_button(
        self, client, user, berlin, django_assert_max_num_queries
    ):
        client.force_login(user)
        CityFollowFactory(user=user, city=berlin)
        client.get(berlin.get_absolute_url())
        with django_assert_max_num_queries(4):  # session, user, city, one page
            assert "Following Berlin" in client.get(berlin.get_absolute_url()).text


class TestOrganizerMessages:
    def test_the_form_is_on_the_tweetup_page_for_the_organizer_only(
        self, client, tweetup, other_user
    ):
        client.force_login(tweetup.organizer)
        assert "Email the people coming" in client.get(tweetup.get_absolute_url()).text
        client.force_login(other_user)
        assert "Email the people coming" not in client.get(tweetup.get_absolute_url()).text
        url = reverse("notifications:organizer_message", args=[tweetup.slug])
        assert client.get(url).status_code == 403
        assert client.post(url, {"subject": "s", "body": "b"}).status_code == 403

    def test_send_and_hit_the_daily_limit(
        self, client, tweetup, settings, django_capture_on_commit_callbacks
    ):
        settings.NOTIFICATIONS_ORGANIZER_MESSAGES_PER_DAY = 1
        client.force_login(tweetup.organizer)
        url = reverse("notifications:organizer_message", args=[tweetup.slug])
        with django_capture_on_commit_callbacks(execute=False):
            first = client.post(url, {"subject": "Hi", "body": "Bring a friend."})
        assert first.status_code == 302 and first["Location"] == tweetup.get_absolute_url()
        second = client.post(url, {"subject": "Again", "body": "Typed text is kept."})
        assert second.status_code == 400
        assert "You can send 1 messages a day" in text(second)
        assert "Typed text is kept." in second.text
        assert Broadcast.objects.filter(kind=MessageKind.ORGANIZER_MESSAGE).count() == 1

    def test_bad_input_is_shown_next_to_the_field(self, client, tweetup):
        client.force_login(tweetup.organizer)
        url = reverse("notifications:organizer_message", args=[tweetup.slug])
        response = client.post(url, {"subject": "", "body": "Kept"})
        assert response.status_code == 400
        assert "This field is required." in response.text and "Kept" in response.text


def test_nav_links_to_email_settings(client, user):
    client.force_login(user)
    assert f'href="{reverse("notifications:settings")}"' in client.get("/").text
