"""Mail to many, through a real SMTP server: waitlist promotions, new tweetups in followed
cities, reminders and organizer messages."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set
from events.services import tweetup_create, tweetup_update
from events.templatetags.tweetup_tags import local_when
from notifications.models import Broadcast, CityFollow, MessageKind, OutgoingMessage
from notifications.organizer_messages import organizer_message_send
from notifications.outbox import broadcast_expand
from notifications.preferences import city_follow
from notifications.schedules import reminders_schedule
from tests.factories import (
    CityFactory,
    EmailPreferencesFactory,
    MailableUserFactory,
    UserFactory,
)
from tests.fixtures_mail import invitation, mail_links, mail_part
from tests.notifications.conftest import details

pytestmark = pytest.mark.django_db


class TestPromotionNewTweetupReminderMessage:
    def test_waitlist_promotion(self, send_now, organizer, guest, berlin, smtp_mailer):
        leaving = MailableUserFactory()
        tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin, capacity=2))
        send_now(rsvp_set, user=leaving, tweetup=tweetup, status="going")
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")  # waitlisted
        send_now(rsvp_set, user=leaving, tweetup=tweetup, status="not_going")
        promoted = smtp_mailer.to(f"{guest.username}@example.com")
        assert [m["Subject"] for m in promoted] == [
            "A seat opened up: you're going to Berlin X friends: winter drinks"
        ]
        assert invitation(promoted[0])[0] == "REQUEST"

    def test_new_tweetup_goes_to_followers_who_can_and_want_to_hear(
        self, send_now, organizer, berlin, smtp_mailer
    ):
        fan = MailableUserFactory()
        quiet = EmailPreferencesFactory(new_in_city=False).user
        no_address = UserFactory()
        for person in (fan, quiet, no_address, organizer):
            city_follow(user=person, city=berlin)
        elsewhere = MailableUserFactory()
        city_follow(user=elsewhere, city=CityFactory(name="Tokyo", timezone="Asia/Tokyo"))

        tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin))

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["To"] == f"{fan.username}@example.com"
        assert mail["Subject"].startswith("New in Berlin: Berlin X friends: winter drinks")
        assert "Olga Organizer is organizing" in mail_part(mail, "text/plain")
        assert len([u for u in mail_links(mail) if "/e/rsvp/" in u]) == 3
        assert "text/calendar" not in [p.get_content_type() for p in mail.walk()]
        broadcast = Broadcast.objects.get(kind=MessageKind.NEW_TWEETUP, tweetup=tweetup)
        assert broadcast.expanded_at is not None
        assert CityFollow.objects.filter(city=berlin).count() == 4

    def test_reminder_once_even_when_beat_runs_twice(
        self, send_now, organizer, guest, berlin, smtp_mailer, settings
    ):
        settings.NOTIFICATIONS_REMINDER_LEAD_HOURS = 24
        from django.utils import timezone

        soon = timezone.now() + timedelta(hours=20)
        tweetup = send_now(
            tweetup_create, organizer=organizer, details=details(berlin, starts_at=soon)
        )
        later = send_now(tweetup_create, organizer=organizer, details=details(berlin, hashtag="x2"))
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")
        send_now(rsvp_set, user=guest, tweetup=later, status="going")
        confirmations = len(smtp_mailer.messages)

        send_now(reminders_schedule)
        send_now(reminders_schedule)

        reminders = smtp_mailer.messages[confirmations:]
        assert len(reminders) == 1
        assert reminders[0]["Subject"] in (
            f"Tomorrow: {tweetup.title}",
            f"Coming up: {tweetup.title}",
        )
        assert OutgoingMessage.objects.filter(kind=MessageKind.REMINDER).count() == 1

    def test_organizer_message_to_going_and_optionally_maybe(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        maybe = MailableUserFactory()
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        send_now(rsvp_set, user=maybe, tweetup=berlin_tweetup, status="maybe")
        smtp_mailer.messages.clear()

        send_now(
            organizer_message_send,
            tweetup=berlin_tweetup,
            author=organizer,
            subject="Table at the back",
            body="We're at the <b>big</b> table.",
        )
        (mail,) = smtp_mailer.wait_for(1)
        assert mail["To"] == f"{guest.username}@example.com"
        assert mail["Subject"] == "Table at the back · Berlin X friends: winter drinks"
        html = mail_part(mail, "text/html")
        assert "the &lt;b&gt;big&lt;/b&gt; table." in html and "<b>big" not in html
        assert "We're at the <b>big</b> table." in mail_part(mail, "text/plain")

        send_now(
            organizer_message_send,
            tweetup=berlin_tweetup,
            author=organizer,
            subject="Also maybes",
            body="Come along!",
            include_maybe=True,
        )
        assert sorted(m["To"] for m in smtp_mailer.messages[1:]) == sorted(
            f"{u.username}@example.com" for u in (guest, maybe)
        )

    def test_organizer_message_including_the_waitlist_reaches_it(
        self, send_now, organizer, guest, berlin, smtp_mailer
    ):
        waiting, maybe = (MailableUserFactory() for _ in range(2))
        tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin, capacity=2))
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")
        send_now(rsvp_set, user=waiting, tweetup=tweetup, status="going")  # full: waitlisted
        send_now(rsvp_set, user=maybe, tweetup=tweetup, status="maybe")
        assert Rsvp.objects.get(user=waiting).status == Rsvp.Status.WAITLISTED
        smtp_mailer.messages.clear()

        send_now(
            organizer_message_send,
            tweetup=tweetup,
            author=organizer,
            subject="Seats may free up",
            body="Waitlisters: come anyway, people often drop out.",
            include_waitlisted=True,
        )
        mails = smtp_mailer.wait_for(2)
        assert sorted(m["To"] for m in mails) == sorted(
            f"{u.username}@example.com" for u in (guest, waiting)
        )
        (to_waiting,) = smtp_mailer.to(f"{waiting.username}@example.com")
        assert to_waiting["Subject"] == "Seats may free up · Berlin X friends: winter drinks"
        assert "people often drop out" in mail_part(to_waiting, "text/plain")

    def test_organizer_messages_are_rate_limited(
        self, send_now, berlin_tweetup, organizer, settings
    ):
        from django.core.exceptions import ValidationError

        settings.NOTIFICATIONS_ORGANIZER_MESSAGES_PER_DAY = 2
        for n in range(2):
            send_now(
                organizer_message_send,
                tweetup=berlin_tweetup,
                author=organizer,
                subject=f"{n}",
                body="x",
            )
        with pytest.raises(ValidationError, match="2 messages a day"):
            organizer_message_send(tweetup=berlin_tweetup, author=organizer, subject="3", body="x")
        assert Broadcast.objects.filter(kind=MessageKind.ORGANIZER_MESSAGE).count() == 2

    def test_only_the_organizer_can_message(self, berlin_tweetup, guest):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            organizer_message_send(tweetup=berlin_tweetup, author=guest, subject="s", body="b")


def reminders_sent(smtp) -> list:
    return [m for m in smtp.messages if m["Subject"].startswith(("Tomorrow:", "Coming up:"))]


def days_pass(days: int) -> None:
    """As if `days` went by: tweetups and the broadcasts written so far move back in time."""
    shift = timedelta(days=days)
    Tweetup.objects.update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    Broadcast.objects.update(created_at=F("created_at") - shift)


class TestReminders:
    @pytest.fixture(autouse=True)
    def lead(self, settings):
        settings.NOTIFICATIONS_REMINDER_LEAD_HOURS = 24

    @pytest.fixture
    def reminded(self, send_now, organizer, guest, berlin, smtp_mailer):
        """A tweetup 20 hours away whose reminder has gone out to the one person going."""
        soon = timezone.now() + timedelta(hours=20)
        tweetup = send_now(
            tweetup_create, organizer=organizer, details=details(berlin, starts_at=soon)
        )
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")
        send_now(reminders_schedule)
        assert len(reminders_sent(smtp_mailer)) == 1
        return tweetup

    def test_a_tweetup_moved_to_a_later_day_is_reminded_again_before_the_new_date(
        self, send_now, reminded, organizer, guest, smtp_mailer
    ):
        new_start = reminded.starts_at + timedelta(days=3)
        moved = details(reminded.city, starts_at=new_start)
        send_now(tweetup_update, tweetup=reminded, actor=organizer, details=moved)
        send_now(reminders_schedule)  # the new date is days away
        assert len(reminders_sent(smtp_mailer)) == 1

        days_pass(3)  # the new date is now 20 hours away
        send_now(reminders_schedule)
        send_now(reminders_schedule)  # twice: still one reminder for the new date

        first, second = reminders_sent(smtp_mailer)
        assert second["To"] == f"{guest.username}@example.com"
        assert sorted(
            OutgoingMessage.objects.filter(kind=MessageKind.REMINDER, status="sent").values_list(
                "revision", flat=True
            )
        ) == [0, 1]
        reminded.refresh_from_db()
        assert local_when(reminded) in mail_part(second, "text/plain")

    def test_a_new_title_or_a_small_move_sends_no_second_reminder(
        self, send_now, reminded, organizer, smtp_mailer
    ):
        renamed = details(reminded.city, starts_at=reminded.starts_at, title="Renamed")
        send_now(tweetup_update, tweetup=reminded, actor=organizer, details=renamed)
        send_now(reminders_schedule)
        an_hour_later = details(
            reminded.city, title="Renamed", starts_at=reminded.starts_at + timedelta(hours=1)
        )
        send_now(tweetup_update, tweetup=reminded, actor=organizer, details=an_hour_later)
        send_now(reminders_schedule)
        # The reminder went out within a day of the new start; the change notice says when.
        assert len(reminders_sent(smtp_mailer)) == 1
        assert Broadcast.objects.filter(kind=MessageKind.REMINDER).count() == 1

    def test_a_reminder_still_unsent_when_the_tweetup_moves_later_waits_for_the_new_date(
        self, send_now, organizer, guest, berlin, smtp_mailer, django_capture_on_commit_callbacks
    ):
        soon = timezone.now() + timedelta(hours=20)
        tweetup = send_now(
            tweetup_create, organizer=organizer, details=details(berlin, starts_at=soon)
        )
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")
        with django_capture_on_commit_callbacks(execute=False):  # its task is lost
            reminders_schedule()
        moved = details(berlin, starts_at=soon + timedelta(days=3))
        send_now(tweetup_update, tweetup=tweetup, actor=organizer, details=moved)
        (lost,) = Broadcast.objects.filter(kind=MessageKind.REMINDER)
        send_now(broadcast_expand, broadcast_id=lost.pk)  # the sweep finds it

        assert reminders_sent(smtp_mailer) == []
        message = OutgoingMessage.objects.get(kind=MessageKind.REMINDER)
        assert message.status == "skipped" and message.last_error == "the tweetup moved later"

        days_pass(3)
        send_now(reminders_schedule)
        (reminder,) = reminders_sent(smtp_mailer)
        assert reminder["To"] == f"{guest.username}@example.com"
