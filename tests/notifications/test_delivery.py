"""Every kind of mail, delivered through a real SMTP server on localhost and read back."""

import re
from datetime import UTC, timedelta

import pytest

from events.calendar import tweetup_uid
from events.models import Rsvp
from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from notifications.models import Broadcast, MessageKind, OutgoingMessage
from tests.factories import (
    EmailAddressFactory,
    EmailPreferencesFactory,
    MailableUserFactory,
)
from tests.fixtures_mail import invitation, mail_links, mail_part
from tests.notifications.conftest import details

pytestmark = pytest.mark.django_db


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
