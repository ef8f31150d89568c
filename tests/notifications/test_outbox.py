"""The outbox: idempotent sends, retries with backoff, the sweep, and a crash mid-send."""

import socket
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create
from notifications import delivery, tasks
from notifications.broadcast_tasks import expand_broadcast
from notifications.delivery import DUPLICATES_AFTER_CRASH, outgoing_message_send
from notifications.models import KIND_CATEGORY, Broadcast, MessageKind, OutgoingMessage
from notifications.outbox import broadcast_expand, messages_create
from notifications.preferences import (
    city_follow,
    email_preferences_update,
    wanting,
    with_verified_email,
)
from notifications.sweep import outbox_sweep
from tests.factories import (
    EmailAddressFactory,
    EmailPreferencesFactory,
    MailableUserFactory,
    OutgoingMessageFactory,
    TweetupFactory,
    UserFactory,
)
from tests.notifications.conftest import details, tasks_lost
from tweetups import page_cache

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status


@pytest.fixture
def queued(berlin_tweetup, guest):
    """A confirmation in the outbox whose send task was never run (as if Redis lost it)."""
    return OutgoingMessageFactory(recipient=guest, tweetup=berlin_tweetup)


def later(seconds: int):
    return timezone.now() + timedelta(seconds=seconds)


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


class TestFailures:
    def test_a_transient_failure_is_retried_with_backoff(self, queued, smtp_mailer):
        smtp_mailer.refuse_next("451 4.3.0 Mailbox busy, try again")
        result = outgoing_message_send(message_id=queued.pk)
        assert result.status == Status.QUEUED and result.retry_in == 60
        queued.refresh_from_db()
        assert queued.attempts == 1 and "451" in queued.last_error
        assert later(50) < queued.next_attempt_at < later(70)

        smtp_mailer.refuse_next("451 4.3.0 Still busy")
        assert outgoing_message_send(message_id=queued.pk).retry_in == 240  # backing off
        assert outgoing_message_send(message_id=queued.pk).status == Status.SENT
        queued.refresh_from_db()
        assert queued.attempts == 3 and queued.last_error == ""
        assert len(smtp_mailer.messages) == 1

    def test_the_task_retries_until_the_last_try_then_the_row_says_failed(
        self, queued, smtp_mailer, settings, celery_eager
    ):
        settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
        smtp_mailer.refuse_next("421 4.7.0 Too many connections", times=5)
        celery_eager.conf.task_eager_propagates = False  # a Retry is how a task asks again
        result = tasks.send_outgoing_message.delay(queued.pk)  # eager: retries run inline
        assert result.get() == Status.FAILED
        queued.refresh_from_db()
        assert queued.status == Status.FAILED and queued.attempts == 3
        assert "421" in queued.last_error
        assert smtp_mailer.messages == []
        # Failed is final: neither the sweep nor another task sends it.
        outbox_sweep(now=later(3600))
        assert outgoing_message_send(message_id=queued.pk).status == Status.FAILED

    def test_a_permanent_refusal_fails_at_once(self, queued, smtp_mailer):
        smtp_mailer.refuse_next("550 5.1.1 No such user")
        assert outgoing_message_send(message_id=queued.pk).status == Status.FAILED
        queued.refresh_from_db()
        assert queued.attempts == 1 and "550" in queued.last_error

    def test_an_unreachable_server_is_transient(self, queued, settings):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # discard: closed
            }
        }
        result = outgoing_message_send(message_id=queued.pk)
        assert result.status == Status.QUEUED and result.retry_in
        queued.refresh_from_db()
        assert queued.last_error.startswith("ConnectionRefusedError")


class TestCrashBetweenSmtpAndCommit:
    def test_the_retry_sends_at_most_one_duplicate(self, queued, smtp_mailer, celery_eager):
        # The worker dies after the SMTP server accepted the mail, before "sent" commits.
        with (
            mock.patch.object(delivery, "_mark_sent", side_effect=SystemExit("worker killed")),
            pytest.raises(SystemExit),
        ):
            outgoing_message_send(message_id=queued.pk)
        assert len(smtp_mailer.messages) == 1
        queued.refresh_from_db()
        assert queued.status == Status.SENDING and queued.attempts == 1

        # Redelivered at once (acks_late): the claim still holds, so nothing is sent.
        assert outgoing_message_send(message_id=queued.pk).status == Status.SENDING
        assert outbox_sweep()["messages"] == 0
        # Once the lease has run out, the sweep sends it again: one duplicate.
        OutgoingMessage.objects.filter(pk=queued.pk).update(
            claimed_at=F("claimed_at") - timedelta(hours=1)
        )
        assert outbox_sweep()["messages"] == 1
        queued.refresh_from_db()
        assert queued.status == Status.SENT and queued.attempts == 2
        # And never again.
        assert outbox_sweep(now=later(86400))["messages"] == 0
        outgoing_message_send(message_id=queued.pk)

        duplicates = len(smtp_mailer.messages) - 1
        assert duplicates == DUPLICATES_AFTER_CRASH == 1
        first, second = smtp_mailer.messages
        assert first["Message-ID"] == second["Message-ID"]  # one message to mail clients


class TestSweep:
    def test_sends_what_a_lost_task_left_behind(self, queued, smtp_mailer, celery_eager):
        assert outbox_sweep()["messages"] == 0  # within the grace period: its task may come
        assert outbox_sweep(now=later(600))["messages"] == 1
        queued.refresh_from_db()
        assert queued.status == Status.SENT
        assert len(smtp_mailer.messages) == 1

    def test_expands_a_broadcast_whose_task_was_lost(
        self, organizer, berlin, django_capture_on_commit_callbacks, smtp_mailer, celery_eager
    ):
        fan = MailableUserFactory()
        city_follow(user=fan, city=berlin)
        with django_capture_on_commit_callbacks(execute=False):  # Redis flushed
            tweetup_create(organizer=organizer, details=details(berlin))
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_sweep(now=later(600)) == {"broadcasts": 1, "messages": 0}
        assert [m["To"] for m in smtp_mailer.messages] == [f"{fan.username}@example.com"]

    def test_a_long_fan_out_is_enqueued_again_only_after_another_grace_period(
        self, organizer, berlin, django_capture_on_commit_callbacks, settings
    ):
        # A fan-out whose tasks are all still waiting in the queue behind each other.
        fans = [MailableUserFactory() for _ in range(3)]
        for fan in fans:
            city_follow(user=fan, city=berlin)
        with django_capture_on_commit_callbacks(execute=False):
            tweetup = tweetup_create(organizer=organizer, details=details(berlin))
            broadcast_expand(broadcast_id=tweetup.broadcasts.get().pk)
        grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS
        every = settings.NOTIFICATIONS_SWEEP_INTERVAL_SECONDS
        within = list(range(grace + 10 + every, 2 * grace + 10, every))
        assert within  # the sweep runs at least once within a grace period
        with (
            mock.patch.object(tasks.send_outgoing_message, "delay_each") as enqueue,
            mock.patch.object(expand_broadcast, "delay_each"),
        ):
            sweeps = [
                outbox_sweep(now=later(seconds))["messages"]
                for seconds in (grace + 10, *within, 2 * grace + 20)
            ]
        # Enqueued once past the grace period, left alone by the sweeps within the next
        # one, and again once another grace period went by with the rows still unsent.
        assert sweeps == [3, *[0] * len(within), 3]
        sent = [c.args for c in enqueue.call_args_list]
        assert [len(ids) for (ids,) in sent] == sweeps
        assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {Status.QUEUED}

    def test_an_abandoned_send_is_enqueued_once_per_grace_period(
        self, queued, settings, smtp_mailer
    ):
        with (
            mock.patch.object(delivery, "_mark_sent", side_effect=SystemExit("worker killed")),
            pytest.raises(SystemExit),
        ):
            outgoing_message_send(message_id=queued.pk)
        lease = settings.NOTIFICATIONS_SEND_LEASE_SECONDS
        every = settings.NOTIFICATIONS_SWEEP_INTERVAL_SECONDS
        with tasks_lost():
            assert outbox_sweep(now=later(lease + 10))["messages"] == 1
            queued.refresh_from_db()
            assert queued.status == Status.QUEUED and queued.attempts == 1  # its tries count
            assert outbox_sweep(now=later(lease + 10 + every))["messages"] == 0
            grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS
            assert outbox_sweep(now=later(lease + grace + 20))["messages"] == 1

    def test_retries_wait_for_their_time(self, queued, smtp_mailer, celery_eager, settings):
        smtp_mailer.refuse_next()
        outgoing_message_send(message_id=queued.pk)
        due = settings.NOTIFICATIONS_RETRY_BASE_SECONDS  # the first retry's wait
        grace = settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS
        assert outbox_sweep(now=later(due + grace - 10))["messages"] == 0
        assert outbox_sweep(now=later(due + grace + 10))["messages"] == 1
        assert len(smtp_mailer.messages) == 1


class TestSkips:
    def test_not_sent_once_the_category_is_turned_off(self, queued, guest, smtp_mailer):
        email_preferences_update(user=guest, values={"confirmations": False})
        assert outgoing_message_send(message_id=queued.pk).status == Status.SKIPPED
        queued.refresh_from_db()
        assert queued.last_error == "confirmations turned off"
        assert smtp_mailer.messages == []

    def test_not_sent_once_they_are_no_longer_going(
        self, queued, guest, berlin_tweetup, smtp_mailer, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            rsvp_set(user=guest, tweetup=berlin_tweetup, status="not_going")
        assert outgoing_message_send(message_id=queued.pk).status == Status.SKIPPED
        assert smtp_mailer.messages == []

    def test_not_sent_once_the_address_is_removed(self, queued, guest, smtp_mailer):
        guest.emailaddress_set.all().delete()
        assert outgoing_message_send(message_id=queued.pk).status == Status.SKIPPED
        assert smtp_mailer.messages == []

    def test_a_deleted_message_or_user_is_no_error(self, queued, guest, smtp_mailer):
        guest.delete()
        assert outgoing_message_send(message_id=queued.pk).status == "missing"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_message_send_it_once(smtp_mailer, organizer, guest, berlin):
    with tasks_lost():
        tweetup = tweetup_create(organizer=organizer, details=details(berlin))
        rsvp_set(user=guest, tweetup=tweetup, status="going")
    message = OutgoingMessage.objects.get()
    start = threading.Barrier(4)
    results = []

    def worker():
        try:
            start.wait()
            results.append(outgoing_message_send(message_id=message.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The row lock lets one claim it; the others see it claimed or sent.
    assert len(smtp_mailer.messages) == 1
    assert results.count(Status.SENT) >= 1 and set(results) <= {Status.SENT, Status.SENDING}
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 1


def test_the_admin_lists_messages_and_retries_failed_ones(
    admin_client, queued, smtp_mailer, celery_eager, django_capture_on_commit_callbacks
):
    smtp_mailer.refuse_next("550 5.1.1 No such user")
    outgoing_message_send(message_id=queued.pk)
    page = admin_client.get("/admin/notifications/outgoingmessage/?status=failed")
    assert page.status_code == 200 and "RSVP confirmation" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/notifications/outgoingmessage/",
            {"action": "retry_failed", "_selected_action": [queued.pk]},
        )
    queued.refresh_from_db()
    assert queued.status == Status.SENT and queued.attempts == 1
    assert len(smtp_mailer.messages) == 1


def test_a_worker_keeps_one_smtp_connection_and_replaces_a_dead_one(
    send_now, berlin_tweetup, smtp_mailer, django_capture_on_commit_callbacks
):
    people = [MailableUserFactory() for _ in range(3)]
    for person in people:
        send_now(rsvp_set, user=person, tweetup=berlin_tweetup, status="going")
    assert len(smtp_mailer.messages) == 3
    assert len(set(smtp_mailer.peers)) == 1  # one SMTP session for all three

    from notifications import smtp

    # The connection dies while the worker is idle (as when the server times it out).
    smtp._this_thread.backend.connection.sock.shutdown(socket.SHUT_RDWR)
    late = MailableUserFactory()
    send_now(rsvp_set, user=late, tweetup=berlin_tweetup, status="going")
    assert len(smtp_mailer.messages) == 4
    assert len(set(smtp_mailer.peers)) == 2
    assert OutgoingMessage.objects.filter(status=Status.SENT).count() == 4


def test_every_beat_entry_names_a_task_the_worker_registers(settings):
    from tweetups.celery import app

    app.loader.import_default_modules()  # what a worker does on start: autodiscovery
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
    for task in ("notifications.tasks.send_outgoing_message", expand_broadcast.name):
        assert task in app.tasks


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
