"""Invitations racing each other on PostgreSQL, where the row locks are real: the caps and
the one-invitation-per-handle rule hold when posts arrive at once."""

import threading

import pytest
from django.db import connection

from events.models import Rsvp
from notifications.invitations import InvitationLimit, invitations_send
from notifications.models import Invitation, MessageKind, OutgoingMessage
from tests.factories import MailableUserFactory, TweetupFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def race(calls) -> list[BaseException]:
    """Run each call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def work(call):
        try:
            barrier.wait(timeout=30)
            call()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_one_persons_tabs_at_once_stay_within_the_day_cap(settings):
    settings.INVITATIONS_PER_DAY = 3
    tweetup = TweetupFactory()
    inviter = tweetup.organizer
    calls = [
        lambda i=i: invitations_send(tweetup=tweetup, inviter=inviter, handles=[f"h{i}"])
        for i in range(WORKERS)
    ]
    errors = race(calls)
    assert all(isinstance(e, InvitationLimit) for e in errors), errors
    assert len(errors) == WORKERS - 3
    assert Invitation.objects.filter(inviter=inviter).count() == 3


def test_many_people_inviting_one_handle_at_once_send_one_mail():
    tweetup = TweetupFactory()
    maya = MailableUserFactory(x_username="maya_okafor")
    inviters = [UserFactory() for _ in range(WORKERS)]
    for person in inviters:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=Rsvp.Status.GOING)
    calls = [
        lambda p=p: invitations_send(tweetup=tweetup, inviter=p, handles=["Maya_Okafor"])
        for p in inviters
    ]
    assert race(calls) == []
    assert Invitation.objects.get().invitee == maya
    assert OutgoingMessage.objects.filter(kind=MessageKind.INVITATION, recipient=maya).count() == 1
