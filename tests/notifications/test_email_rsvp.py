"""RSVP from the inbox: the link only shows a button, the button answers once, and a link
that is tampered with, out of date or not the person's own is refused with nothing changed."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create
from notifications.models import OutgoingMessage
from notifications.tokens import rsvp_token_make, unsubscribe_token_make
from notifications.views import RSVP_COOKIE
from tests.factories import TweetupFactory, UserFactory
from tests.notifications.conftest import details, link_path, snapshot
from tests.pages import text

pytestmark = pytest.mark.django_db


class TestRsvpFromTheEmail:
    def test_the_link_moves_its_token_to_a_cookie_and_redirects(self, berlin_tweetup, guest):
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")
        client = Client()
        response = client.get(link_path(token))
        assert response.status_code == 302
        assert response["Location"] == reverse("notifications:rsvp_confirm")
        assert token not in response["Location"]
        assert response["Referrer-Policy"] == "no-referrer"
        cookie = response.cookies[RSVP_COOKIE]
        assert cookie.value == token and cookie["httponly"] and cookie["path"] == "/e/rsvp/"
        assert cookie["samesite"] == "Lax"
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    def test_the_confirm_page_names_the_tweetup_and_the_choice(self, berlin_tweetup, guest):
        client = Client()
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")
        page = client.get(link_path(token), follow=True)
        assert page.status_code == 200
        page_text = text(page)
        assert "Answer “Going”?" in page_text
        assert "Berlin X friends: winter drinks" in page_text
        assert "19:30–22:00 CET" in page_text and "Europe/Berlin" in page_text
        # One button besides the header's search.
        assert page_text.count('type="submit"') - page_text.count('class="site-search"') == 1
        assert "Yes, I'm going" in page_text
        assert not Rsvp.objects.filter(user=guest).exists()

    def test_the_button_makes_them_going_and_a_second_post_changes_nothing(
        self, berlin_tweetup, guest, send_now, smtp_mailer
    ):
        client = Client(enforce_csrf_checks=True)
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")
        page = client.get(link_path(token), follow=True)
        csrf = page.context["csrf_token"]
        confirm = reverse("notifications:rsvp_confirm")
        response = send_now(
            client.post, path=confirm, data={"token": token, "csrfmiddlewaretoken": csrf}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("notifications:rsvp_done")
        rsvp = Rsvp.objects.get(user=guest, tweetup=berlin_tweetup)
        assert rsvp.status == Rsvp.Status.GOING
        done = client.get(response["Location"])
        assert "You're going" in text(done)
        # The other choices, each with a token of its own; not "Going" again.
        buttons = [b for b in ("Going", "Maybe", "Can't go") if f">{b}</button>" in text(done)]
        assert buttons == ["Maybe", "Can't go"]

        stamp = rsvp.updated_at
        again = send_now(
            client.post, path=confirm, data={"token": token, "csrfmiddlewaretoken": csrf}
        )
        assert again.status_code == 302
        rsvp.refresh_from_db()
        assert rsvp.updated_at == stamp and rsvp.status == Rsvp.Status.GOING
        assert len(smtp_mailer.messages) == 1  # one confirmation, not two

    def test_a_second_post_of_maybe_changes_nothing(
        self, berlin_tweetup, guest, send_now, smtp_mailer
    ):
        client = Client()
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="maybe")
        client.get(link_path(token))
        confirm = reverse("notifications:rsvp_confirm")
        first = send_now(client.post, path=confirm, data={"token": token})
        assert first.status_code == 302
        rsvp = Rsvp.objects.get(user=guest, tweetup=berlin_tweetup)
        assert rsvp.status == Rsvp.Status.MAYBE
        before = snapshot()

        again = send_now(client.post, path=confirm, data={"token": token})
        assert again.status_code == 302
        assert again["Location"] == reverse("notifications:rsvp_done")
        assert snapshot() == before  # updated_at included
        assert "You said maybe" in text(client.get(again["Location"]))
        assert smtp_mailer.messages == [] and not OutgoingMessage.objects.exists()

    def test_a_full_tweetup_puts_them_on_the_waitlist_with_their_position(
        self, organizer, berlin, guest, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            tweetup = tweetup_create(organizer=organizer, details=details(berlin, capacity=1))
            first = UserFactory()
            rsvp_set(user=first, tweetup=tweetup, status="going")  # waitlisted, number 1
        client = Client()
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=tweetup.pk, choice="going")
        client.get(link_path(token))
        with django_capture_on_commit_callbacks(execute=False):
            done = client.post(reverse("notifications:rsvp_confirm"), {"token": token}, follow=True)
        assert "It's full, so you're number 2 in line." in text(done)
        assert Rsvp.objects.get(user=guest).status == Rsvp.Status.WAITLISTED

    def test_the_other_choices_work_from_the_result_page(
        self, berlin_tweetup, guest, django_capture_on_commit_callbacks
    ):
        client = Client()
        token = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")
        client.get(link_path(token))
        with django_capture_on_commit_callbacks(execute=False):
            done = client.post(reverse("notifications:rsvp_confirm"), {"token": token}, follow=True)
            maybe_token = done.context["others"][0][1]
            assert done.context["others"][0][0] == "Maybe"
            result = client.post(
                reverse("notifications:rsvp_confirm"), {"token": maybe_token}, follow=True
            )
        assert "You said maybe" in text(result)
        assert Rsvp.objects.get(user=guest).status == Rsvp.Status.MAYBE

    def test_two_confirm_pages_side_by_side_each_act_for_their_own_link(
        self, organizer, berlin, guest, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            other = tweetup_create(organizer=organizer, details=details(berlin, hashtag="Other"))
        berlin_tweetup = TweetupFactory(city=berlin)
        client = Client()
        first = rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="maybe")
        second = rsvp_token_make(user_id=guest.pk, tweetup_id=other.pk, choice="going")
        client.get(link_path(first))
        client.get(link_path(second))  # the cookie now holds the second token
        with django_capture_on_commit_callbacks(execute=False):
            client.post(reverse("notifications:rsvp_confirm"), {"token": first})
        assert Rsvp.objects.get(user=guest, tweetup=berlin_tweetup).status == "maybe"
        assert not Rsvp.objects.filter(user=guest, tweetup=other).exists()


class TestRefusedLinks:
    def assert_refused(self, response, status: int, text: str):
        assert response.status_code == status
        assert text in html.unescape(response.content.decode())
        assert "Nothing was changed." in response.text

    @pytest.fixture
    def token(self, berlin_tweetup, guest):
        return rsvp_token_make(user_id=guest.pk, tweetup_id=berlin_tweetup.pk, choice="going")

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
            lambda t: "eyJ1IjoxLCJ0IjoxLCJjIjoiZ29pbmcifQ" + t[t.index(":") :],  # the payload
            lambda t: t.replace(":", "", 1),
            lambda t: "nonsense",
            lambda t: "x" * 600,
        ],
    )
    def test_a_tampered_token_is_refused_by_get_and_post(self, token, tamper, client):
        before = snapshot()
        bad = tamper(token)
        self.assert_refused(client.get(link_path(bad)), 400, "This link doesn't work")
        response = client.post(reverse("notifications:rsvp_confirm"), {"token": bad})
        self.assert_refused(response, 400, "This link doesn't work")
        assert snapshot() == before

    def test_an_unsubscribe_token_is_no_rsvp_token(self, guest, client):
        token = unsubscribe_token_make(user_id=guest.pk, category="reminders")
        self.assert_refused(client.get(link_path(token)), 400, "This link doesn't work")

    def test_a_token_for_one_tweetup_acts_on_that_tweetup_and_choice_only(
        self, token, berlin_tweetup, guest, berlin, client, django_capture_on_commit_callbacks
    ):
        other = TweetupFactory(city=berlin)
        client.get(link_path(token))
        with django_capture_on_commit_callbacks(execute=False):
            client.post(reverse("notifications:rsvp_confirm"), {"token": token})
        assert list(Rsvp.objects.filter(user=guest).values_list("tweetup_id", "status")) == [
            (berlin_tweetup.pk, "going")
        ]
        assert not other.rsvps.filter(user=guest).exists()

    def test_expired_when_the_tweetup_is_over(self, token, berlin_tweetup, client):
        past = timezone.now() - timedelta(hours=1)
        Tweetup.objects.filter(pk=berlin_tweetup.pk).update(
            starts_at=past - timedelta(hours=2), ends_at=past
        )
        page = client.get(link_path(token), follow=True)
        self.assert_refused(page, 410, "is over")
        response = client.post(reverse("notifications:rsvp_confirm"), {"token": token})
        self.assert_refused(response, 410, "is over")
        assert (
            not Rsvp.objects.filter(tweetup=berlin_tweetup)
            .exclude(user=berlin_tweetup.organizer)
            .exists()
        )

    def test_refused_when_the_tweetup_was_cancelled(
        self, token, berlin_tweetup, organizer, client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            tweetup_cancel(tweetup=berlin_tweetup, actor=organizer, reason="Snowed in.")
        page = client.get(link_path(token), follow=True)
        self.assert_refused(page, 410, "was cancelled")
        assert "Snowed in." in text(page)

    @pytest.mark.parametrize(
        ("deleted", "why"), [("guest", "account is gone"), ("berlin_tweetup", "no longer exists")]
    )
    def test_refused_when_the_user_or_the_tweetup_was_deleted(
        self, token, deleted, why, request, client
    ):
        request.getfixturevalue(deleted).delete()
        self.assert_refused(client.get(link_path(token), follow=True), 410, why)

    def test_the_token_less_pages_without_a_cookie(self, client):
        for name in ("notifications:rsvp_confirm", "notifications:rsvp_done"):
            self.assert_refused(client.get(reverse(name)), 400, "Open the link from your email")
        self.assert_refused(
            client.post(reverse("notifications:rsvp_confirm")), 400, "Open the link from your email"
        )

    def test_the_organizer_cannot_say_no_from_the_email(self, berlin_tweetup, organizer, client):
        token = rsvp_token_make(
            user_id=organizer.pk, tweetup_id=berlin_tweetup.pk, choice="not_going"
        )
        response = client.post(reverse("notifications:rsvp_confirm"), {"token": token})
        self.assert_refused(response, 409, "You're organizing this tweetup")

    def test_the_confirm_post_needs_its_csrf_token(self, token, guest):
        client = Client(enforce_csrf_checks=True)
        client.get(link_path(token))
        assert (
            client.post(reverse("notifications:rsvp_confirm"), {"token": token}).status_code == 403
        )
        assert not Rsvp.objects.filter(user=guest).exists()
