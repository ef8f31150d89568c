"""A real Celery worker on Redis: mail whose tasks were lost still goes out, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.rsvps import rsvp_set
from events.services import tweetup_create
from notifications.models import OutgoingMessage
from notifications.preferences import city_follow
from tests.factories import MailableUserFactory
from tests.fixtures_celery import wait_until
from tests.notifications.conftest import details, tasks_lost

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_the_sweep_sends_what_a_flushed_redis_lost(
    celery_workers, smtp_server, organizer, guest, berlin
):
    fans = [MailableUserFactory() for _ in range(3)]
    for fan in fans:
        city_follow(user=fan, city=berlin)
    # Every task these changes enqueue is lost, as if Redis had been flushed.
    with tasks_lost():
        tweetup = tweetup_create(organizer=organizer, details=details(berlin))
        rsvp_set(user=guest, tweetup=tweetup, status="going")
    assert OutgoingMessage.objects.count() == 1  # the confirmation; the broadcast waits
    # Ten minutes on: everything is past the sweep's grace period.
    past = timezone.now() - timedelta(minutes=10)
    OutgoingMessage.objects.update(next_attempt_at=past)
    tweetup.broadcasts.update(created_at=past)

    worker = celery_workers.start(
        x_api_base_url="http://127.0.0.1:9",
        EMAIL_URL=f"smtp://{smtp_server.host}:{smtp_server.port}",
        SITE_URL="http://tweetups.test",
    )
    celery_workers.send("notifications.periodic.sweep_outbox")
    # The sweep expands the new-tweetup broadcast and sends the confirmation; the messages
    # the expansion writes are enqueued by it at once.
    mails = smtp_server.wait_for(4, timeout=60)
    assert sorted(m["To"] for m in mails) == sorted(
        f"{u.username}@example.com" for u in [guest, *fans]
    )
    wait_until(
        lambda: OutgoingMessage.objects.filter(status="sent").count() == 4,
        what="every row marked sent",
    )
    # Two more sweeps find nothing left to send.
    celery_workers.send("notifications.periodic.sweep_outbox")
    celery_workers.send("notifications.periodic.sweep_outbox")

    def sweeps_done():
        return sum("sweep_outbox" in line and "succeeded" in line for line in worker.lines)

    wait_until(lambda: sweeps_done() == 3, what="three sweeps")
    assert len(smtp_server.messages) == 4
    assert "{'broadcasts': 0, 'messages': 0}" in worker.output
