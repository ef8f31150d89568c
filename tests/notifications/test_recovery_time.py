"""Mail a flushed broker or a killed worker lost goes out within two minutes, with the
sweep's default interval, grace and lease (NOTIFICATIONS_SWEEP_*_SECONDS, ..._LEASE_SECONDS)."""

from datetime import timedelta
from unittest import mock

import pytest

from events.rsvps import rsvp_set
from notifications import delivery, tasks
from notifications.delivery import outgoing_message_send
from notifications.models import MessageKind, OutgoingMessage
from notifications.sweep import outbox_sweep
from tweetups.celery import app

pytestmark = pytest.mark.django_db
WITHIN = timedelta(minutes=2)


@pytest.fixture
def lost(berlin_tweetup, guest, django_capture_on_commit_callbacks):
    """A confirmation in the outbox whose send task the broker lost."""
    with django_capture_on_commit_callbacks(execute=False):
        rsvp_set(user=guest, tweetup=berlin_tweetup, status="going")
    return OutgoingMessage.objects.get(kind=MessageKind.CONFIRMATION)


def first_sweep_enqueueing(message, start, settings) -> timedelta:
    """Run the sweep on its beat schedule from `start` (the broker is back) until it enqueues
    `message`; how long that took."""
    every = timedelta(seconds=settings.NOTIFICATIONS_SWEEP_INTERVAL_SECONDS)
    sweep_at = start
    with mock.patch.object(tasks.send_outgoing_message, "delay_each") as enqueue:
        while sweep_at - start <= timedelta(minutes=30):
            sweep_at += every
            outbox_sweep(now=sweep_at)
            if any(message.pk in call.args[0] for call in enqueue.call_args_list):
                return sweep_at - start
    raise AssertionError("the sweep never enqueued it")


def test_a_message_whose_task_was_lost_is_enqueued_within_two_minutes(lost, settings):
    # The broker comes back the moment the message was due: the longest wait.
    assert first_sweep_enqueueing(lost, lost.next_attempt_at, settings) <= WITHIN


def test_a_message_whose_worker_died_mid_send_is_enqueued_within_two_minutes(
    lost, settings, smtp_mailer
):
    with (
        mock.patch.object(delivery, "_mark_sent", side_effect=SystemExit("worker killed")),
        pytest.raises(SystemExit),
    ):
        outgoing_message_send(message_id=lost.pk)
    lost.refresh_from_db()

    assert first_sweep_enqueueing(lost, lost.claimed_at, settings) <= WITHIN


def test_a_send_is_stopped_before_its_lease_runs_out(settings):
    # So when the sweep hands a message on, the worker that had it can't still be sending:
    # at most one duplicate per message in flight.
    send = app.tasks[tasks.send_outgoing_message.name]

    assert send.soft_time_limit < send.time_limit < settings.NOTIFICATIONS_SEND_LEASE_SECONDS
    assert send.time_limit >= 30  # SMTP waits up to 10 s per step: room for a slow send
