"""Into the outbox: one row per recipient, kind, tweetup and revision, written only if the
change commits and only for the people the preference rules allow; a broker that refuses the
send task leaves the row for the sweep."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from accounts.models import User
from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create
from notifications import tasks
from notifications.delivery import outgoing_message_send
from notifications.models import KIND_CATEGORY, Broadcast, MessageKind, OutgoingMessage
from notifications.outbox import broadcast_expand, messages_create
from notifications.preferences import city_follow, wanting, with_verified_email
from tests.factories import (
    EmailAddressFactory,
    EmailPreferencesFactory,
    MailableUserFactory,
    TweetupFactory,
    UserFactory,
)
from tests.notifications.conftest import details
from tweetups import page_cache

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status


class TestIdempotence:
    def test_running_the_send_task_twice_sends_once(self, queued, smtp_mailer):
        assert outgoing_message_send(message_id=queued.pk).status == Status.SENT
        assert outgoing_message_send(message_id=queued.pk).status == Status.SENT
        assert len(smtp_mailer.messages) == 1
        queued.refresh_from_db()
        assert queued.attempts == 1 and queued.sent_at is not None

    def test_one_row_per_recipient_kind_tweetup_and_revision(
        self, send_now, berlin_tweetup, guest, smtp_mailer
    ):
        for status in ("going", "not_going", "going"):
            send_now(rsvp_set, user=guest, tweetup=berlin_tweetup, status=status)
        assert OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION).count() == 1
        assert len(smtp_mailer.messages) == 1

    def test_expanding_a_broadcast_twice_writes_each_message_once(
        self, organizer, berlin, django_capture_on_commit_callbacks, smtp_mailer, celery_eager
    ):
        fans = [MailableUserFactory() for _ in range(3)]
        for fan in fans:
            city_follow(user=fan, city=berlin)
        with django_capture_on_commit_callbacks(execute=False):
            tweetup = tweetup_create(organizer=organizer, details=details(berlin))
        broadcast = Broadcast.objects.get(tweetup=tweetup, kind=MessageKind.NEW_TWEETUP)
        with django_capture_on_commit_callbacks(execute=True):
            assert broadcast_expand(broadcast_id=broadcast.pk) == 3
        Broadcast.objects.filter(pk=broadcast.pk).update(expanded_at=None)  # as if it crashed
        with django_capture_on_commit_callbacks(execute=True):
            broadcast_expand(broadcast_id=broadcast.pk)
        assert OutgoingMessage.objects.filter(broadcast=broadcast).count() == 3
        assert len(smtp_mailer.messages) == 3


class TestWrittenWithTheChange:
    @pytest.mark.parametrize("change", ["rsvp", "cancel"])
    def test_a_notice_is_written_only_if_its_change_commits(
        self, change, berlin_tweetup, organizer, guest, monkeypatch
    ):
        def fail_late(tweetup, **kwargs):  # the last step of each service, after its signal
            raise RuntimeError("the change fails after its notice was written")

        monkeypatch.setattr(page_cache, "forget_tweetup", fail_late)
        with pytest.raises(RuntimeError):
            if change == "rsvp":
                rsvp_set(user=guest, tweetup=berlin_tweetup, status="going")
            else:
                tweetup_cancel(tweetup=berlin_tweetup, actor=organizer, reason="Rain.")
        assert not OutgoingMessage.objects.exists()
        assert list(Broadcast.objects.values_list("kind", flat=True)) == [
            MessageKind.NEW_TWEETUP  # from when the tweetup was made
        ]


class TestBrokerDown:
    def test_the_change_stands_and_the_message_waits_for_the_sweep(
        self, berlin_tweetup, guest, django_capture_on_commit_callbacks
    ):
        refused = mock.Mock(side_effect=OperationalError("Error 111 connecting to Redis"))
        with (
            mock.patch.object(tasks.send_outgoing_message, "delay", refused),
            django_capture_on_commit_callbacks(execute=True),
        ):
            rsvp = rsvp_set(user=guest, tweetup=berlin_tweetup, status="going")
        assert refused.call_count == 1
        assert rsvp.status == "going"
        assert OutgoingMessage.objects.get().status == Status.QUEUED

    def test_a_batch_stops_at_the_first_refusal(self, django_capture_on_commit_callbacks):
        refused = mock.Mock(side_effect=OperationalError("Error 111 connecting to Redis"))
        with (
            mock.patch.object(tasks.send_outgoing_message, "delay", refused),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            tasks.send_outgoing_message.delay_each_on_commit([1, 2, 3])
        assert len(callbacks) == 1 and refused.call_count == 1


@pytest.mark.django_db
def test_the_outbox_writes_rows_for_exactly_the_people_the_preference_rules_allow():
    """messages_create's one INSERT ... SELECT spells out with_verified_email + wanting in
    SQL: both must pick the same people."""
    mailable = MailableUserFactory()
    turned_off = MailableUserFactory()
    EmailPreferencesFactory(user=turned_off, confirmations=False)
    other_switch_off = MailableUserFactory()
    EmailPreferencesFactory(user=other_switch_off, reminders=False)
    unverified = UserFactory()
    EmailAddressFactory(user=unverified, verified=False)
    no_address = UserFactory()
    people = [mailable, turned_off, other_switch_off, unverified, no_address]
    ids = [person.pk for person in people]
    tweetup = TweetupFactory()

    messages_create(users=ids, kind=MessageKind.CONFIRMATION, tweetup=tweetup)

    written = set(
        OutgoingMessage.objects.filter(tweetup=tweetup).values_list("recipient_id", flat=True)
    )
    allowed = wanting(
        with_verified_email(User.objects.filter(pk__in=ids)),
        KIND_CATEGORY[MessageKind.CONFIRMATION],
    )
    assert (
        written
        == set(allowed.values_list("pk", flat=True))
        == {
            mailable.pk,
            other_switch_off.pk,
        }
    )
    # Again: nothing twice.
    messages_create(users=ids, kind=MessageKind.CONFIRMATION, tweetup=tweetup)
    assert OutgoingMessage.objects.filter(tweetup=tweetup).count() == 2
