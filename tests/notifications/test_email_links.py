"""RSVP from the inbox and one-click unsubscribe: links that are safe to open."""

import html
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from notifications.models import Broadcast, CityFollow, EmailPreferences, OutgoingMessage
from notifications.organizer_messages import organizer_message_send
from notifications.preferences import city_follow
from notifications.schedules import reminders_schedule
from notifications.tokens import rsvp_token_make, unsubscribe_token_make
from notifications.views import RSVP_COOKIE
from tests.factories import MailableUserFactory, TweetupFactory, UserFactory
from tests.fixtures_mail import mail_links
from tests.notifications.conftest import details

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def link_path(token: str) -> str:
    return reverse("notifications:rsvp_link", args=[token])


def snapshot() -> dict:
    """Everything a link could change."""
    return {
        "rsvps": sorted(
            Rsvp.objects.values_list("tweetup_id", "user_id", "status", "waitlist_position")
        ),
        "rsvp_times": sorted(Rsvp.objects.values_list("pk", "updated_at")),
        "tweetups": sorted(
            Tweetup.objects.values_list("pk", "status", "revision", "going_count", "updated_at")
        ),
        "messages": sorted(OutgoingMessage.objects.values_list("pk", "status", "attempts")),
        "broadcasts": sorted(Broadcast.objects.values_list("pk", "expanded_at")),
        "preferences": sorted(EmailPreferences.objects.values_list()),
        "follows": sorted(CityFollow.objects.values_list("user_id", "city_id")),
        "addresses": sorted(EmailAddress.objects.values_list("email", "verified", "primary")),
    }


def writes(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]


def open_every_link(mails, client: Client) -> int:
    """GET and HEAD every link on this site in the mails, following redirects."""
    opened = 0
    for mail in mails:
        for url in mail_links(mail):
            parts = urlsplit(url)
            if parts.netloc != "127.0.0.1:8000":
                continue  # Google Calendar, X
            for method in (client.get, client.head):
                response = method(parts.path, follow=True)
                assert response.status_code < 500, (url, response.status_code)
                opened += 1
    return opened


@pytest.fixture
def every_kind_of_mail(send_now, organizer, berlin, smtp_mailer, settings):
    """One tweetup that has sent every kind of mail to two people, and those mails."""
    follower = MailableUserFactory(display_name="Fran Follower")
    second = MailableUserFactory(display_name="Sam Second")
    city_follow(user=follower, city=berlin)
    tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin, capacity=2))
    send_now(rsvp_set, user=follower, tweetup=tweetup, status="going")  # confirmation
    send_now(rsvp_set, user=second, tweetup=tweetup, status="going")  # waitlisted
    send_now(rsvp_set, user=follower, tweetup=tweetup, status="not_going")  # second promoted
    send_now(rsvp_set, user=follower, tweetup=tweetup, status="going")  # waitlisted
    moved = details(berlin, capacity=2, starts_at=tweetup.starts_at + timedelta(hours=1))
    send_now(tweetup_update, tweetup=tweetup, actor=organizer, details=moved)  # change
    settings.NOTIFICATIONS_REMINDER_LEAD_HOURS = 24 * 365
    send_now(reminders_schedule)  # reminder to the one going
    send_now(
        organizer_message_send,
        tweetup=tweetup,
        author=organizer,
        subject="Hello",
        body="See you!",
        include_waitlisted=True,
    )
    kinds = set(OutgoingMessage.objects.filter(status="sent").values_list("kind", flat=True))
    assert kinds == {
        "new_tweetup",
        "confirmation",
        "promotion",
        "change",
        "reminder",
        "organizer_message",
    }
    return tweetup, follower, second


class TestOpeningLinksChangesNothing:
    def test_get_and_head_of_every_link_in_every_mail(
        self, every_kind_of_mail, send_now, smtp_mailer, organizer
    ):
        tweetup, follower, second = every_kind_of_mail
        signed_in = Client()
        signed_in.force_login(second)
        before = snapshot()
        with CaptureQueriesContext(connection) as ctx:
            opened = open_every_link(smtp_mailer.messages, Client())
            opened += open_every_link(smtp_mailer.messages, signed_in)
        assert writes(ctx) == []
        assert snapshot() == before
        assert opened > 60

        # Once cancelled, the same links (and the cancellation's) still change nothing.
        send_now(tweetup_cancel, tweetup=tweetup, actor=organizer, reason="Sorry!")
        assert OutgoingMessage.objects.filter(kind="cancellation", status="sent").count() == 2
        before = snapshot()
        with CaptureQueriesContext(connection) as ctx:
            open_every_link(smtp_mailer.messages, Client())
        assert writes(ctx) == [] and snapshot() == before


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
