"""Every kind of mail, delivered through a real SMTP server on localhost and read back."""

import re
from datetime import UTC, timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from icalendar import Calendar

from events.calendar import tweetup_uid
from events.models import Rsvp, Tweetup
from events.services import rsvp_set, tweetup_cancel, tweetup_create, tweetup_update
from events.templatetags.tweetup_tags import local_when
from notifications.models import Broadcast, CityFollow, MessageKind, OutgoingMessage
from notifications.organizer_messages import organizer_message_send
from notifications.outbox import broadcast_expand
from notifications.preferences import city_follow
from notifications.schedules import reminders_schedule
from tests.factories import (
    CityFactory,
    EmailAddressFactory,
    EmailPreferencesFactory,
    MailableUserFactory,
    UserFactory,
)
from tests.fixtures_mail import mail_links, mail_part
from tests.notifications.conftest import details

pytestmark = pytest.mark.django_db


def invitation(message):
    """The attached .ics, parsed back with icalendar."""
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename().endswith(".ics")
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def raw_header_line(smtp, index: int, name: str) -> str:
    """A header line exactly as it went over the wire."""
    raw = smtp.envelopes[index].content.decode()
    head = raw.split("\r\n\r\n", 1)[0]
    (line,) = [line for line in head.split("\r\n") if line.startswith(f"{name}:")]
    return line


class TestConfirmation:
    def test_delivered_over_smtp_with_an_invitation_in_city_time(
        self, send_now, berlin_tweetup, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["To"] == f"{guest.username}@example.com"
        assert mail["Subject"].startswith("You're going: Berlin X friends: winter drinks")
        text, html = mail_part(mail, "text/plain"), mail_part(mail, "text/html")
        for body in (text, html):
            # 19:30 in Berlin, with the zone named, though it is stored as 18:30 UTC.
            assert "19:30–22:00 CET" in body
            assert "Berlin time, Europe/Berlin" in body
            assert "Café Kreuzberg" in body
        assert "<h1" in html and "You're going, Gus Guest!" in text

        method, cal = invitation(mail)
        assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
        (event,) = cal.events
        assert str(event["UID"]) == tweetup_uid(berlin_tweetup)
        assert event.decoded("SEQUENCE") == berlin_tweetup.revision == 0
        start = event["DTSTART"]
        assert start.params["TZID"] == "Europe/Berlin"
        assert (start.dt.hour, start.dt.minute) == (19, 30)
        assert start.dt == berlin_tweetup.starts_at
        assert event["DTEND"].dt == berlin_tweetup.ends_at
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["ATTENDEE"]) == f"mailto:{guest.username}@example.com"
        assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"

        links = mail_links(mail)
        google = [u for u in links if u.startswith("https://calendar.google.com/")]
        assert len(google) == 1 and "ctz=Europe%2FBerlin" in google[0]
        assert (
            "dates=" + berlin_tweetup.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M") in google[0]
        )
        assert len([u for u in links if "/e/rsvp/" in u]) == 3

    def test_headers_one_click_unsubscribe_and_a_stable_message_id(
        self, send_now, berlin_tweetup, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        (mail,) = smtp_mailer.wait_for(1)
        message = OutgoingMessage.objects.get()
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["Message-ID"] == f"<outbox-{message.pk}@tweetups.localhost>"
        assert mail["Auto-Submitted"] == "auto-generated"
        # One line on the wire: a folded or RFC 2047-encoded URL is no URL to a mail client.
        line = raw_header_line(smtp_mailer, 0, "List-Unsubscribe")
        assert re.fullmatch(r"List-Unsubscribe: <http://[^>\s]+/e/unsubscribe/[^>\s]+/>", line)
        assert message.status == OutgoingMessage.Status.SENT and message.attempts == 1
        assert message.to_email == f"{guest.username}@example.com"

    def test_nothing_for_an_unverified_address_or_a_category_turned_off(
        self, send_now, berlin_tweetup, smtp_mailer
    ):
        unverified = EmailAddressFactory(verified=False, primary=False).user
        opted_out = EmailPreferencesFactory(confirmations=False).user
        for person in (unverified, opted_out):
            send_now(rsvp_set, user=person, tweetup=berlin_tweetup, status="going")
        assert OutgoingMessage.objects.count() == 0
        assert smtp_mailer.messages == []

    def test_maybe_and_waitlist_send_no_confirmation(
        self, send_now, organizer, guest, berlin, smtp_mailer
    ):
        tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin, capacity=1))
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="going")  # full: waitlisted
        assert Rsvp.objects.get(user=guest).status == Rsvp.Status.WAITLISTED
        send_now(rsvp_set, user=guest, tweetup=tweetup, status="maybe")
        assert smtp_mailer.messages == []


class TestChangesAndCancellation:
    def test_a_new_time_sends_an_updated_invitation_with_sequence_bumped(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        later = berlin_tweetup.starts_at + timedelta(days=1)
        new = details(berlin_tweetup.city, starts_at=later)
        send_now(tweetup_update, tweetup=berlin_tweetup, actor=organizer, details=new)

        first, change = smtp_mailer.wait_for(2)
        assert change["Subject"].startswith("Changed: Berlin X friends")
        _, before = invitation(first)
        method, after = invitation(change)
        assert method == "REQUEST"
        assert after.events[0]["UID"] == before.events[0]["UID"]
        assert after.events[0].decoded("SEQUENCE") == 1 > before.events[0].decoded("SEQUENCE")
        assert after.events[0]["DTSTART"].dt == later
        assert "The organizer changed this tweetup" in mail_part(change, "text/plain")
        # The organizer made the change: no notice to them.
        assert not smtp_mailer.to(f"{organizer.username}@example.com")

    def test_a_new_title_alone_sends_no_change_notice(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        new = details(berlin_tweetup.city, starts_at=berlin_tweetup.starts_at, title="Renamed")
        send_now(tweetup_update, tweetup=berlin_tweetup, actor=organizer, details=new)
        assert len(smtp_mailer.messages) == 1  # just the confirmation
        assert not Broadcast.objects.filter(kind=MessageKind.CHANGE).exists()

    def test_cancellation_carries_the_reason_and_method_cancel(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        maybe = MailableUserFactory()
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        send_now(rsvp_set, user=maybe, tweetup=berlin_tweetup, status="maybe")
        send_now(
            tweetup_cancel, tweetup=berlin_tweetup, actor=organizer, reason="The venue flooded."
        )
        smtp_mailer.wait_for(3)
        notices = [m for m in smtp_mailer.messages if m["Subject"].startswith("Cancelled:")]
        assert sorted(m["To"] for m in notices) == sorted(
            f"{u.username}@example.com" for u in (guest, maybe)
        )
        for mail in notices:
            assert "The venue flooded." in mail_part(mail, "text/plain")
            assert "The venue flooded." in mail_part(mail, "text/html")
            method, cal = invitation(mail)
            assert method == "CANCEL" and cal["METHOD"] == "CANCEL"
            (event,) = cal.events
            assert str(event["STATUS"]) == "CANCELLED"
            assert str(event["UID"]) == tweetup_uid(berlin_tweetup)
            assert event.decoded("SEQUENCE") == 1
            assert "PARTSTAT" not in event["ATTENDEE"].params  # no claim about their answer
            assert not [u for u in mail_links(mail) if "/e/rsvp/" in u]

    def test_a_change_notice_invites_each_person_as_they_answered(
        self, send_now, organizer, berlin, smtp_mailer
    ):
        going, maybe, waiting = (MailableUserFactory() for _ in range(3))
        tweetup = send_now(tweetup_create, organizer=organizer, details=details(berlin, capacity=2))
        send_now(rsvp_set, user=going, tweetup=tweetup, status="going")
        send_now(rsvp_set, user=maybe, tweetup=tweetup, status="maybe")
        send_now(rsvp_set, user=waiting, tweetup=tweetup, status="going")  # full: waitlisted
        assert Rsvp.objects.get(user=waiting).status == Rsvp.Status.WAITLISTED
        smtp_mailer.messages.clear()

        moved = details(berlin, capacity=2, starts_at=tweetup.starts_at + timedelta(days=1))
        send_now(tweetup_update, tweetup=tweetup, actor=organizer, details=moved)

        smtp_mailer.wait_for(3)
        (to_going,) = smtp_mailer.to(f"{going.username}@example.com")
        (to_maybe,) = smtp_mailer.to(f"{maybe.username}@example.com")
        (to_waiting,) = smtp_mailer.to(f"{waiting.username}@example.com")
        for mail, partstat in ((to_going, "ACCEPTED"), (to_maybe, "TENTATIVE")):
            method, cal = invitation(mail)
            assert method == "REQUEST"
            assert cal.events[0]["ATTENDEE"].params["PARTSTAT"] == partstat
            assert [u for u in mail_links(mail) if u.startswith("https://calendar.google.com/")]
        assert "marked as maybe" in mail_part(to_maybe, "text/plain")
        assert "marked as maybe" not in mail_part(to_going, "text/plain")
        # No seat, so nothing for their calendar: no .ics, no Google Calendar link.
        assert "text/calendar" not in [p.get_content_type() for p in to_waiting.walk()]
        assert not [u for u in mail_links(to_waiting) if "calendar.google.com" in u]
        for part in ("text/plain", "text/html"):
            body = mail_part(to_waiting, part)
            assert "on the waitlist" in body and ".ics" not in body
        assert len([u for u in mail_links(to_waiting) if "/e/rsvp/" in u]) == 3

    def test_a_new_place_sends_a_change_notice(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        smtp_mailer.messages.clear()
        new = details(
            berlin_tweetup.city,
            starts_at=berlin_tweetup.starts_at,
            venue_name="Markthalle Neun",
            venue_address="Eisenbahnstraße 42",
        )
        send_now(tweetup_update, tweetup=berlin_tweetup, actor=organizer, details=new)

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["Subject"].startswith("Changed: Berlin X friends")
        for part in ("text/plain", "text/html"):
            assert "Markthalle Neun, Eisenbahnstraße 42, Berlin" in mail_part(mail, part)
        _, cal = invitation(mail)
        assert str(cal.events[0]["LOCATION"]) == "Markthalle Neun, Eisenbahnstraße 42, Berlin"
        assert cal.events[0].decoded("SEQUENCE") == 1

    def test_new_capacity_sends_a_change_notice(
        self, send_now, berlin_tweetup, organizer, guest, smtp_mailer
    ):
        send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status="going")
        smtp_mailer.messages.clear()
        new = details(berlin_tweetup.city, starts_at=berlin_tweetup.starts_at, capacity=20)
        send_now(tweetup_update, tweetup=berlin_tweetup, actor=organizer, details=new)

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["Subject"].startswith("Changed: Berlin X friends")
        assert "Seats: 20" in mail_part(mail, "text/plain")
        assert "<strong>Seats:</strong> 20" in mail_part(mail, "text/html")
        assert invitation(mail)[1].events[0].decoded("SEQUENCE") == 1
        assert OutgoingMessage.objects.filter(kind=MessageKind.CHANGE, revision=1).count() == 1


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
