"""A newcomer saying going from the tweetup page: on PostgreSQL one statement takes the
seat and writes the answer (two when the tweetup is full). Whatever it can't decide alone
goes the general way; either way the outcome is the one rsvp_set promises."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import RsvpClosed, rsvp_set, waitlist_rank
from events.services import tweetup_cancel
from notifications.models import MessageKind, OutgoingMessage
from tests.factories import EmailAddressFactory, TweetupFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GOING, MAYBE, WAITLISTED = Rsvp.Status.GOING, Rsvp.Status.MAYBE, Rsvp.Status.WAITLISTED


def as_read(tweetup: Tweetup) -> Tweetup:
    """The tweetup as the RSVP view reads it."""
    return Tweetup.objects.select_related("city").get(pk=tweetup.pk)


def going(tweetup: Tweetup, person, **kwargs) -> Rsvp:
    return rsvp_set(user=person, tweetup=tweetup, status=GOING, just_read=True, **kwargs)


def stored(tweetup: Tweetup, person) -> tuple[str, int | None, bool]:
    rsvp = Rsvp.objects.get(tweetup=tweetup, user=person)
    return rsvp.status, rsvp.waitlist_position, rsvp.private


def seats(tweetup: Tweetup) -> int:
    return Tweetup.objects.get(pk=tweetup.pk).going_count


def test_a_free_seat_is_taken_and_confirmed_in_a_fixed_number_of_queries():
    tweetup = TweetupFactory(capacity=3)
    person = UserFactory()
    EmailAddressFactory(user=person)
    read = as_read(tweetup)

    with CaptureQueriesContext(connection) as queries:
        rsvp = going(read, person)

    assert (rsvp.status, rsvp.waitlist_position) == (GOING, None)
    assert stored(tweetup, person) == (GOING, None, False)
    assert rsvp.pk == Rsvp.objects.get(tweetup=tweetup, user=person).pk
    assert rsvp.created_at == Rsvp.objects.get(pk=rsvp.pk).created_at
    assert seats(tweetup) == 2
    # The seat and the answer in one statement; the confirmation mail in the same
    # transaction (BEGIN, seat and answer, outbox, COMMIT).
    assert len(queries) == 4
    assert OutgoingMessage.objects.filter(recipient=person, kind=MessageKind.CONFIRMATION).exists()


def test_a_full_tweetup_puts_a_newcomer_last_in_line_with_their_rank():
    tweetup = TweetupFactory(capacity=2)
    first, second, third, newcomer = UserFactory.create_batch(4)
    for person in (first, second, third):
        going(as_read(tweetup), person)
    # The line is second (1), third (2); second leaves it: positions keep a gap.
    rsvp_set(user=second, tweetup=tweetup, status=MAYBE)

    rsvp = going(as_read(tweetup), newcomer)

    assert (rsvp.status, rsvp.waitlist_position) == (WAITLISTED, 3)
    assert waitlist_rank(rsvp) == 2
    assert waitlist_rank(Rsvp.objects.get(pk=rsvp.pk)) == 2
    assert stored(tweetup, newcomer) == (WAITLISTED, 3, False)
    assert seats(tweetup) == 2
    # Nobody waiting gets a confirmation.
    assert not OutgoingMessage.objects.filter(recipient=newcomer).exists()


def test_a_private_newcomer_is_stored_private():
    tweetup = TweetupFactory(capacity=2)
    person, later = UserFactory.create_batch(2)

    assert going(as_read(tweetup), person, private=True).private
    assert going(as_read(tweetup), later, private=True).status == WAITLISTED

    assert stored(tweetup, person) == (GOING, None, True)
    assert stored(tweetup, later) == (WAITLISTED, 1, True)


def test_a_seat_taken_since_the_page_was_read_puts_them_in_line():
    tweetup = TweetupFactory(capacity=2)
    read_when_free = as_read(tweetup)
    going(as_read(tweetup), UserFactory())
    person = UserFactory()

    rsvp = going(read_when_free, person)

    assert (rsvp.status, rsvp.waitlist_position) == (WAITLISTED, 1)
    assert seats(tweetup) == 2


def test_a_seat_freed_since_the_page_was_read_is_taken():
    tweetup = TweetupFactory(capacity=2)
    seated = UserFactory()
    going(as_read(tweetup), seated)
    read_when_full = as_read(tweetup)
    rsvp_set(user=seated, tweetup=tweetup, status=MAYBE)
    person = UserFactory()

    rsvp = going(read_when_full, person)

    assert (rsvp.status, rsvp.waitlist_position) == (GOING, None)
    assert seats(tweetup) == 2


def test_someone_who_answered_before_is_decided_the_general_way():
    tweetup = TweetupFactory(capacity=2)
    person = UserFactory()
    rsvp_set(user=person, tweetup=tweetup, status=MAYBE)

    rsvp = going(as_read(tweetup), person)

    assert stored(tweetup, person) == (GOING, None, False)
    assert rsvp.pk == Rsvp.objects.get(tweetup=tweetup, user=person).pk
    assert Rsvp.objects.filter(tweetup=tweetup, user=person).count() == 1
    assert seats(tweetup) == 2


@pytest.mark.parametrize("capacity", [None, 1])
def test_a_closed_tweetup_takes_no_newcomer(capacity):
    cancelled = TweetupFactory(capacity=capacity)
    tweetup_cancel(tweetup=cancelled, actor=cancelled.organizer, reason="Rain.")
    over = TweetupFactory(
        capacity=capacity,
        starts_at=timezone.now() - timedelta(hours=4),
        ends_at=timezone.now() - timedelta(hours=1),
    )
    person = UserFactory()

    for tweetup in (cancelled, over):
        with pytest.raises(RsvpClosed):
            going(as_read(tweetup), person)
        assert not Rsvp.objects.filter(tweetup=tweetup, user=person).exists()
        assert seats(tweetup) == 1


@pytest.mark.parametrize("capacity", [None, 1])
def test_a_tweetup_closed_after_it_was_read_takes_no_newcomer(capacity):
    tweetup = TweetupFactory(capacity=capacity)
    read_when_open = as_read(tweetup)
    tweetup_cancel(tweetup=tweetup, actor=tweetup.organizer, reason="Rain.")
    person = UserFactory()

    with pytest.raises(RsvpClosed):
        going(read_when_open, person)
    assert not Rsvp.objects.filter(tweetup=tweetup, user=person).exists()
    assert seats(tweetup) == 1


def test_the_organizer_is_still_refused_a_private_rsvp():
    tweetup = TweetupFactory(capacity=3)

    with pytest.raises(ValidationError):
        going(as_read(tweetup), tweetup.organizer, private=True)
    assert stored(tweetup, tweetup.organizer) == (GOING, None, False)
