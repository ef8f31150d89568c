"""The outbox sweep, run by beat: it sends what lost tasks left behind, once per grace
period, and not before a retry is due."""

from unittest import mock

import pytest

from events.services import tweetup_create
from notifications import delivery, tasks
from notifications.broadcast_tasks import expand_broadcast
from notifications.delivery import outgoing_message_send
from notifications.models import OutgoingMessage
from notifications.outbox import broadcast_expand
from notifications.preferences import city_follow
from notifications.sweep import outbox_sweep
from tests.factories import MailableUserFactory
from tests.notifications.conftest import details, later, tasks_lost

pytestmark = pytest.mark.django_db
Status = OutgoingMessage.Status


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


def test_every_beat_entry_names_a_task_the_worker_registers(settings):
    from tweetups.celery import app

    app.loader.import_default_modules()  # what a worker does on start: autodiscovery
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
    for task in ("notifications.tasks.send_outgoing_message", expand_broadcast.name):
        assert task in app.tasks
