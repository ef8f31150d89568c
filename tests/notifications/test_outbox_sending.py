"""Out of the outbox: one message sent at most once, transient failures retried with backoff,
permanent ones final, skips, a crash between SMTP and commit, two workers on one row, one
SMTP connection per worker, and the admin's retry."""

import socket
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import F

from events.rsvps import rsvp_set
from events.services import tweetup_create
from notifications import delivery, tasks
from notifications.delivery import DUPLICATES_AFTER_CRASH, outgoing_message_send
from notifications.models import OutgoingMessage
from notifications.preferences import email_preferences_update
from notifications.sweep import outbox_sweep
from tests.factories import MailableUserFactory
from tests.notifications.conftest import details, later, tasks_lost

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status


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
