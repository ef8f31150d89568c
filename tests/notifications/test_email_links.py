"""Every link in every kind of mail, opened with GET and HEAD, changes nothing: mail
scanners and link previews open them too."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from notifications.models import OutgoingMessage
from notifications.organizer_messages import organizer_message_send
from notifications.preferences import city_follow
from notifications.schedules import reminders_schedule
from tests.factories import MailableUserFactory
from tests.notifications.conftest import details, open_every_link, snapshot, writes

pytestmark = pytest.mark.django_db


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
