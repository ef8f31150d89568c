"""rsvp_set and the waitlist: going, maybe, not going, and waiting for a seat."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.rsvps import RsvpClosed, rsvp_set, waitlist_rank
from events.services import TweetupDetails, tweetup_cancel, tweetup_update
from tests.factories import TweetupFactory, UserFactory

GOING, MAYBE, NOT_GOING, WAITLISTED = (
    Rsvp.Status.GOING,
    Rsvp.Status.MAYBE,
    Rsvp.Status.NOT_GOING,
    Rsvp.Status.WAITLISTED,
)


@pytest.fixture
def small(berlin, user):
    """Three seats, one of them the organizer's."""
    return TweetupFactory(city=berlin, organizer=user, capacity=3)


@pytest.fixture
def full(small):
    """`small` with both free seats taken and three people in line (positions 1, 2, 3)."""
    people = UserFactory.create_batch(5)
    for person in people:
        rsvp_set(user=person, tweetup=small, status=GOING)
    small.seated, small.in_line = people[:2], people[2:]
    return small


def details_of(tweetup, **changes) -> TweetupDetails:
    fields = {
        name: getattr(tweetup, name)
        for name in TweetupDetails.__dataclass_fields__
        if name != "topics"  # None: an edit leaves them as they are
    }
    return TweetupDetails(**fields | changes)


def state(tweetup, user) -> tuple[str, int | None]:
    rsvp = Rsvp.objects.get(tweetup=tweetup, user=user)
    return rsvp.status, rsvp.waitlist_position


def line(tweetup) -> list[int]:
    return list(tweetup.rsvps.waitlisted().values_list("user_id", flat=True))


@pytest.mark.parametrize("status", [GOING, MAYBE, NOT_GOING])
def test_each_answer_is_stored_once(tweetup, other_user, status):
    rsvp = rsvp_set(user=other_user, tweetup=tweetup, status=status)

    assert (rsvp.status, rsvp.waitlist_position) == (status, None)
    assert state(tweetup, other_user) == (status, None)


def test_changing_the_answer_updates_the_one_rsvp(tweetup, other_user):
    for status in (MAYBE, GOING, NOT_GOING, MAYBE):
        rsvp_set(user=other_user, tweetup=tweetup, status=status)

    assert Rsvp.objects.filter(tweetup=tweetup, user=other_user).count() == 1
    assert state(tweetup, other_user) == (MAYBE, None)


@pytest.mark.parametrize("status", [WAITLISTED, "interested", ""])
def test_only_going_maybe_or_not_going_can_be_chosen(tweetup, other_user, status):
    with pytest.raises(ValidationError):
        rsvp_set(user=other_user, tweetup=tweetup, status=status)

    assert not Rsvp.objects.filter(user=other_user).exists()


def test_without_a_capacity_everyone_fits(tweetup):
    people = UserFactory.create_batch(30)
    for person in people:
        rsvp_set(user=person, tweetup=tweetup, status=GOING)

    assert tweetup.rsvps.going().count() == 31
    assert not tweetup.rsvps.waitlisted().exists()


def test_going_past_capacity_joins_the_waitlist_in_order(small):
    people = UserFactory.create_batch(4)

    rsvps = [rsvp_set(user=person, tweetup=small, status=GOING) for person in people]

    assert [(r.status, r.waitlist_position) for r in rsvps] == [
        (GOING, None),
        (GOING, None),
        (WAITLISTED, 1),
        (WAITLISTED, 2),
    ]
    assert [waitlist_rank(r) for r in rsvps] == [None, None, 1, 2]
    assert small.rsvps.going().count() == 3  # the organizer holds the third seat


def test_the_organizer_counts_against_capacity(berlin, user, other_user):
    solo = TweetupFactory(city=berlin, organizer=user, capacity=1)

    assert rsvp_set(user=other_user, tweetup=solo, status=GOING).status == WAITLISTED


def test_maybe_and_not_going_do_not_take_seats(small):
    undecided = UserFactory.create_batch(2)
    rsvp_set(user=undecided[0], tweetup=small, status=MAYBE)
    rsvp_set(user=undecided[1], tweetup=small, status=NOT_GOING)

    going = [rsvp_set(user=p, tweetup=small, status=GOING) for p in UserFactory.create_batch(2)]

    assert [r.status for r in going] == [GOING, GOING]


def test_saying_going_again_keeps_a_waitlist_place(full):
    second = full.in_line[1]

    rsvp = rsvp_set(user=second, tweetup=full, status=GOING)

    assert (rsvp.status, rsvp.waitlist_position, waitlist_rank(rsvp)) == (WAITLISTED, 2, 2)
    assert line(full) == [p.pk for p in full.in_line]


@pytest.mark.parametrize("status", [NOT_GOING, MAYBE])
def test_a_seat_given_up_goes_to_the_first_in_line_at_once(full, status):
    first, second, third = full.in_line
    queued_at = Rsvp.objects.get(tweetup=full, user=first).updated_at

    rsvp_set(user=full.seated[0], tweetup=full, status=status)

    assert state(full, full.seated[0]) == (status, None)
    assert state(full, first) == (GOING, None)
    assert Rsvp.objects.get(tweetup=full, user=first).updated_at > queued_at  # when they got in
    assert line(full) == [second.pk, third.pk]
    ranks = [waitlist_rank(Rsvp.objects.get(tweetup=full, user=p)) for p in (second, third)]
    assert ranks == [1, 2]
    assert full.rsvps.going().count() == 3


def test_seats_given_up_one_after_another_go_down_the_line(full):
    first, second, third = full.in_line

    rsvp_set(user=full.seated[1], tweetup=full, status=NOT_GOING)
    rsvp_set(user=first, tweetup=full, status=NOT_GOING)

    assert state(full, second) == (GOING, None)
    assert state(full, third)[0] == WAITLISTED
    assert line(full) == [third.pk]


def test_leaving_the_waitlist_moves_later_people_up_without_freeing_a_seat(full):
    first, second, third = full.in_line

    rsvp_set(user=first, tweetup=full, status=NOT_GOING)

    assert state(full, first) == (NOT_GOING, None)
    assert full.rsvps.going().count() == 3
    assert line(full) == [second.pk, third.pk]
    assert waitlist_rank(Rsvp.objects.get(tweetup=full, user=third)) == 2


def test_someone_rejoining_goes_to_the_back_of_the_line(full):
    first, second, third = full.in_line
    rsvp_set(user=first, tweetup=full, status=MAYBE)

    rsvp = rsvp_set(user=first, tweetup=full, status=GOING)

    assert rsvp.status == WAITLISTED
    assert line(full) == [second.pk, third.pk, first.pk]
    assert waitlist_rank(rsvp) == 3


def test_a_newcomer_after_the_last_in_line_left_is_last(full):
    first, second, third = full.in_line
    rsvp_set(user=third, tweetup=full, status=NOT_GOING)
    newcomer = UserFactory()

    rsvp = rsvp_set(user=newcomer, tweetup=full, status=GOING)

    assert line(full) == [first.pk, second.pk, newcomer.pk]
    assert waitlist_rank(rsvp) == 3


def test_waitlist_rank_is_none_for_anyone_not_waiting(full, user):
    assert waitlist_rank(Rsvp.objects.get(tweetup=full, user=user)) is None
    assert waitlist_rank(Rsvp.objects.get(tweetup=full, user=full.seated[0])) is None


@pytest.mark.parametrize("status", [MAYBE, NOT_GOING])
def test_the_organizer_cannot_stop_going(small, user, status):
    with pytest.raises(ValidationError):
        rsvp_set(user=user, tweetup=small, status=status)

    assert state(small, user) == (GOING, None)


def test_the_organizer_saying_going_changes_nothing(full, user):
    rsvp = rsvp_set(user=user, tweetup=full, status=GOING)

    assert (rsvp.status, rsvp.waitlist_position) == (GOING, None)
    assert full.rsvps.going().count() == 3
    assert line(full) == [p.pk for p in full.in_line]


@pytest.mark.parametrize("status", [GOING, MAYBE, NOT_GOING])
def test_a_cancelled_tweetup_takes_no_rsvps(tweetup, user, other_user, status):
    tweetup_cancel(tweetup=tweetup, actor=user, reason="Venue closed")

    with pytest.raises(RsvpClosed, match="cancelled"):
        rsvp_set(user=other_user, tweetup=tweetup, status=status)

    assert not Rsvp.objects.filter(user=other_user).exists()


def test_a_cancelled_tweetup_keeps_the_answers_it_had(tweetup, user, other_user):
    rsvp_set(user=other_user, tweetup=tweetup, status=GOING)
    tweetup_cancel(tweetup=tweetup, actor=user, reason="Venue closed")

    with pytest.raises(RsvpClosed):
        rsvp_set(user=other_user, tweetup=tweetup, status=NOT_GOING)

    assert state(tweetup, other_user) == (GOING, None)


@pytest.mark.parametrize("status", [GOING, MAYBE, NOT_GOING])
def test_a_tweetup_that_is_over_takes_no_rsvps(berlin, other_user, status):
    ended = TweetupFactory(
        city=berlin,
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(minutes=1),
    )

    with pytest.raises(RsvpClosed, match="over"):
        rsvp_set(user=other_user, tweetup=ended, status=status)

    assert not Rsvp.objects.filter(user=other_user).exists()


def test_a_tweetup_under_way_still_takes_rsvps(berlin, other_user):
    started = TweetupFactory(
        city=berlin,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )

    assert rsvp_set(user=other_user, tweetup=started, status=GOING).status == GOING


def test_the_decision_uses_the_saved_capacity_not_the_callers_copy(tweetup, user):
    stale = Tweetup.objects.get(pk=tweetup.pk)  # loaded while the capacity was unlimited
    tweetup_update(tweetup=tweetup, actor=user, details=details_of(tweetup, capacity=3))
    for person in UserFactory.create_batch(2):
        rsvp_set(user=person, tweetup=stale, status=GOING)

    assert rsvp_set(user=UserFactory(), tweetup=stale, status=GOING).status == WAITLISTED


def test_the_stored_going_count_follows_every_change(full, user):
    """List pages read Tweetup.going_count; it must match the going rows after each step."""

    def stored_and_counted():
        full.refresh_from_db()
        return full.going_count, full.rsvps.going().count()

    assert stored_and_counted() == (3, 3)
    rsvp_set(user=full.seated[0], tweetup=full, status=NOT_GOING)  # promotes the first in line
    assert stored_and_counted() == (3, 3)
    rsvp_set(user=full.in_line[1], tweetup=full, status=MAYBE)  # leaves the line: no change
    assert stored_and_counted() == (3, 3)
    tweetup_update(tweetup=full, actor=user, details=details_of(full, capacity=None))
    assert stored_and_counted() == (4, 4)
    rsvp_set(user=full.seated[1], tweetup=full, status=NOT_GOING)
    assert stored_and_counted() == (3, 3)
