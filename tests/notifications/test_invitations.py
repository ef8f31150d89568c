"""Invitations by X handle: who gets mail, the caps, dedupe, opting out, the mail itself."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set
from events.services import tweetup_cancel
from notifications.invitations import InvitationLimit, InvitationsClosed, invitations_send
from notifications.models import EmailPreferences, Invitation, MessageKind, OutgoingMessage
from notifications.tokens import rsvp_token_read
from tests.factories import (
    EmailPreferencesFactory,
    MailableUserFactory,
    TweetupFactory,
    UserFactory,
)
from tests.fixtures_mail import mail_links, mail_part

pytestmark = pytest.mark.django_db


def invite(tweetup, inviter, *handles):
    return invitations_send(tweetup=tweetup, inviter=inviter, handles=list(handles))


def invitation_mails():
    return OutgoingMessage.objects.filter(kind=MessageKind.INVITATION)


@pytest.fixture
def maya(db):
    return MailableUserFactory(x_username="maya_okafor", display_name="Maya Okafor")


@pytest.fixture
def going(berlin_tweetup):
    person = MailableUserFactory(x_username="gina_going", display_name="Gina Going")
    Rsvp.objects.create(tweetup=berlin_tweetup, user=person, status=Rsvp.Status.GOING)
    return person


class TestWhoGetsMail:
    def test_a_mailable_account_gets_one_and_every_handle_gets_a_row(
        self, berlin_tweetup, going, maya, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            handles = invite(berlin_tweetup, going, "Maya_Okafor", "nobody_here")

        assert handles == ["Maya_Okafor", "nobody_here"]  # as typed, for the X post
        rows = dict(Invitation.objects.values_list("handle", "invitee_id"))
        assert rows == {"maya_okafor": maya.pk, "nobody_here": None}
        (mail,) = invitation_mails()
        assert (mail.recipient, mail.tweetup, mail.revision) == (maya, berlin_tweetup, 0)
        assert len(callbacks) == 1  # its send is enqueued on commit, never inline

    def test_no_mail_without_a_verified_address_an_answer_or_to_oneself(
        self, berlin_tweetup, going, organizer, guest
    ):
        UserFactory(x_username="no_email")
        Rsvp.objects.create(tweetup=berlin_tweetup, user=guest, status=Rsvp.Status.NOT_GOING)
        invite(berlin_tweetup, going, "no_email", guest.x_username, organizer.x_username)
        invite(berlin_tweetup, organizer, going.x_username)
        assert Invitation.objects.count() == 4
        assert not invitation_mails().exists()

    def test_the_most_recent_sign_in_holds_a_handle(self, berlin_tweetup, going):
        MailableUserFactory(x_username="swapped", last_login=timezone.now().replace(year=2020))
        new_owner = MailableUserFactory(x_username="SWAPPED", last_login=timezone.now())
        invite(berlin_tweetup, going, "swapped")
        assert [m.recipient for m in invitation_mails()] == [new_owner]


class TestPermissions:
    @pytest.mark.parametrize("answer", [None, "not_going", "waitlisted"])
    def test_only_the_organizer_and_people_going_or_maybe_may_invite(
        self, berlin_tweetup, guest, maya, answer
    ):
        if answer:
            position = 1 if answer == "waitlisted" else None
            Rsvp.objects.create(
                tweetup=berlin_tweetup, user=guest, status=answer, waitlist_position=position
            )
        with pytest.raises(PermissionDenied):
            invite(berlin_tweetup, guest, maya.x_username)
        assert not Invitation.objects.exists() and not invitation_mails().exists()

    def test_maybe_may_invite(self, berlin_tweetup, guest, maya):
        Rsvp.objects.create(tweetup=berlin_tweetup, user=guest, status=Rsvp.Status.MAYBE)
        invite(berlin_tweetup, guest, maya.x_username)
        assert invitation_mails().count() == 1

    def test_a_cancelled_or_past_tweetup_takes_no_invitations(
        self, berlin_tweetup, organizer, maya, django_capture_on_commit_callbacks
    ):
        past = TweetupFactory(organizer=organizer, starts_at=timezone.now().replace(year=2020))
        with pytest.raises(InvitationsClosed):
            invite(past, organizer, maya.x_username)
        with django_capture_on_commit_callbacks(execute=False):
            tweetup_cancel(tweetup=berlin_tweetup, actor=organizer, reason="Snow")
        with pytest.raises(InvitationsClosed):
            invite(berlin_tweetup, organizer, maya.x_username)
        assert not Invitation.objects.exists()


class TestDedupeAndCaps:
    def test_a_handle_is_invited_to_a_tweetup_once_whoever_asks(
        self, berlin_tweetup, going, organizer, maya
    ):
        invite(berlin_tweetup, going, "maya_okafor")
        invite(berlin_tweetup, going, "MAYA_OKAFOR")
        invite(berlin_tweetup, organizer, "maya_okafor")
        assert Invitation.objects.get().inviter == going
        assert invitation_mails().count() == 1
        other = TweetupFactory(city=berlin_tweetup.city, organizer=organizer)
        invite(other, organizer, "maya_okafor")  # another tweetup is another invitation
        assert invitation_mails().count() == 2

    def test_a_day_cap_counted_in_the_database(self, berlin_tweetup, going, settings):
        settings.INVITATIONS_PER_DAY = 3
        invite(berlin_tweetup, going, "a1", "a2")
        with pytest.raises(InvitationLimit, match="have 1 left today"):
            invite(berlin_tweetup, going, "a3", "a4")
        invite(berlin_tweetup, going, "a1", "a3")  # a1 again costs nothing
        assert Invitation.objects.count() == 3
        Invitation.objects.update(created_at=timezone.now().replace(year=2020))
        invite(berlin_tweetup, going, "a4")  # a day later

    def test_a_cap_per_tweetup(self, berlin_tweetup, organizer, settings):
        settings.INVITATIONS_PER_TWEETUP = 2
        invite(berlin_tweetup, organizer, "b1", "b2")
        with pytest.raises(InvitationLimit, match="invite 2 people to one tweetup"):
            invite(berlin_tweetup, organizer, "b3")
        other = TweetupFactory(city=berlin_tweetup.city, organizer=organizer)
        invite(other, organizer, "b3")
        assert Invitation.objects.filter(inviter=organizer).count() == 3


class TestOptOut:
    def test_turned_off_means_no_mail_and_the_inviter_is_told_the_same(
        self, berlin_tweetup, going, maya
    ):
        EmailPreferencesFactory(user=maya, invitations=False)
        assert invite(berlin_tweetup, going, "maya_okafor") == ["maya_okafor"]
        assert Invitation.objects.get().invitee == maya
        assert not invitation_mails().exists()

    def test_turned_off_after_it_was_queued_skips_the_send(
        self, send_now, berlin_tweetup, going, maya, smtp_mailer, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            invite(berlin_tweetup, going, "maya_okafor")
        EmailPreferencesFactory(user=maya, invitations=False)
        from notifications.delivery import outgoing_message_send

        assert outgoing_message_send(message_id=invitation_mails().get().pk).status == "skipped"
        assert smtp_mailer.messages == []


class TestTheMail:
    def test_it_names_the_inviter_and_its_buttons_answer_for_the_invitee(
        self, send_now, berlin_tweetup, going, maya, smtp_mailer, settings
    ):
        Tweetup.objects.filter(pk=berlin_tweetup.pk).update(description="<b>Mulled</b> wine")
        going.display_name = "Gina <script>"
        going.save()
        send_now(invitations_send, tweetup=berlin_tweetup, inviter=going, handles=["maya_okafor"])

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["To"] == f"{maya.username}@example.com"
        assert mail["Subject"].startswith("You're invited: Berlin X friends: winter drinks")
        text, html = mail_part(mail, "text/plain"), mail_part(mail, "text/html")
        assert "Gina <script> (@gina_going) invited you to a tweetup." in text
        assert "Gina &lt;script&gt; (@gina_going) invited you" in html
        assert "<script>" not in html and "<b>Mulled" not in html
        assert "19:30–22:00 CET" in text
        assert "@gina_going invited @maya_okafor on Tweetups" in text

        buttons = re.findall(r'<a href="([^"]+)"[^>]*>(Going|Maybe|Can&#x27;t go)</a>', html)
        assert [label for _, label in buttons] == ["Going", "Maybe", "Can&#x27;t go"]
        for (url, _), choice in zip(buttons, ["going", "maybe", "not_going"], strict=True):
            token = urlsplit(url).path.split("/")[-2]
            data = rsvp_token_read(token)  # signed, and scoped to one person, tweetup, choice
            assert (data.user_id, data.tweetup_id, data.choice) == (
                maya.pk,
                berlin_tweetup.pk,
                choice,
            )
            assert url.startswith(settings.SITE_URL)

        # Going works: the link keeps the token, the confirm page's button answers.
        client = Client()
        going_path = urlsplit(buttons[0][0]).path
        assert client.get(going_path).status_code == 302
        assert not Rsvp.objects.filter(user=maya).exists()  # opening the link changes nothing
        token = going_path.split("/")[-2]
        done = client.post(reverse("notifications:rsvp_confirm"), {"token": token})
        assert done.status_code == 302
        assert Rsvp.objects.get(user=maya, tweetup=berlin_tweetup).status == Rsvp.Status.GOING

    def test_its_unsubscribe_link_turns_invitations_off(
        self, send_now, berlin_tweetup, going, organizer, maya, smtp_mailer
    ):
        send_now(invitations_send, tweetup=berlin_tweetup, inviter=going, handles=["maya_okafor"])
        (mail,) = smtp_mailer.wait_for(1)
        assert "Invitations from people going to a tweetup" in mail_part(mail, "text/html")
        header = re.search(r"<([^>]+)>", mail["List-Unsubscribe"])[1]
        assert header in mail_links(mail)

        assert Client().post(urlsplit(header).path).status_code == 200  # RFC 8058 one-click
        preferences = EmailPreferences.objects.get(user=maya)
        assert not preferences.invitations and preferences.reminders

        other = TweetupFactory(city=berlin_tweetup.city, organizer=organizer)
        send_now(invitations_send, tweetup=other, inviter=organizer, handles=["maya_okafor"])
        assert invitation_mails().count() == 1

    def test_no_mail_once_the_invitee_answered_or_the_tweetup_is_cancelled(
        self, berlin_tweetup, going, maya, django_capture_on_commit_callbacks
    ):
        from notifications.delivery import outgoing_message_send

        with django_capture_on_commit_callbacks(execute=False):
            invite(berlin_tweetup, going, "maya_okafor")
            rsvp_set(user=maya, tweetup=berlin_tweetup, status="maybe")
        message = invitation_mails().get()
        assert outgoing_message_send(message_id=message.pk).status == "skipped"
        message.refresh_from_db()
        assert message.last_error == "already answered"
