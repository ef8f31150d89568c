"""tweetup_create / tweetup_update / tweetup_cancel: who may, what they check, what they change."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events import services
from events.models import Rsvp, Tweetup
from events.rsvps import rsvp_set
from events.services import TweetupDetails, tweetup_cancel, tweetup_create, tweetup_update
from tests.factories import TweetupFactory, UserFactory

START = datetime(2030, 6, 1, 17, 0, tzinfo=UTC)


def details(city, **changes) -> TweetupDetails:
    fields = {
        "city": city,
        "title": "Django Berlin drinks",
        "venue_name": "Café Kreuzberg",
        "starts_at": START,
        "ends_at": START + timedelta(hours=3),
        "hashtag": "DjangoBerlin",
    }
    return TweetupDetails(**fields | changes)


def details_of(tweetup, **changes) -> TweetupDetails:
    fields = {
        name: getattr(tweetup, name)
        for name in TweetupDetails.__dataclass_fields__
        if name != "topics"  # None: an edit leaves them as they are
    }
    return TweetupDetails(**fields | changes)


def snapshot(tweetup) -> dict:
    return Tweetup.objects.filter(pk=tweetup.pk).values().get()


@pytest.fixture
def waitlist(berlin, user):
    """Capacity 2: the organizer and one more are going; three wait in line."""
    tweetup = TweetupFactory(city=berlin, organizer=user, capacity=2)
    people = UserFactory.create_batch(4)
    for person in people:
        rsvp_set(user=person, tweetup=tweetup, status=Rsvp.Status.GOING)
    tweetup.in_line = people[1:]
    return tweetup


@pytest.fixture
def small_crowd(tweetup):
    """The organizer and two more going; no limit yet."""
    for person in UserFactory.create_batch(2):
        rsvp_set(user=person, tweetup=tweetup, status=Rsvp.Status.GOING)
    return tweetup


def going_ids(tweetup) -> set[int]:
    return set(tweetup.rsvps.going().values_list("user_id", flat=True))


class TestCreate:
    def test_creates_a_scheduled_tweetup_with_the_organizer_going(self, berlin, user):
        tweetup = tweetup_create(organizer=user, details=details(berlin, capacity=10))

        saved = Tweetup.objects.get(pk=tweetup.pk)
        assert (saved.status, saved.organizer, saved.capacity) == (
            Tweetup.Status.SCHEDULED,
            user,
            10,
        )
        assert saved.slug.startswith("django-berlin-drinks-")
        assert list(saved.rsvps.values_list("user_id", "status")) == [(user.pk, "going")]

    def test_slugs_differ_for_the_same_title(self, berlin, user):
        first = tweetup_create(organizer=user, details=details(berlin, hashtag="one"))
        second = tweetup_create(organizer=user, details=details(berlin, hashtag="two"))

        assert first.slug != second.slug

    @pytest.mark.parametrize(
        "hashtag",
        # The form strips a typed "#"; the service stores exactly what it is given, so never "#".
        ["#DjangoBerlin", "2030", "_", "1_2", "django-berlin", "django berlin", "", "x" * 101],
    )
    def test_a_malformed_hashtag_is_refused(self, berlin, user, hashtag):
        with pytest.raises(ValidationError):
            tweetup_create(organizer=user, details=details(berlin, hashtag=hashtag))

        assert not Tweetup.objects.exists()

    @pytest.mark.parametrize("hashtag", ["django_2030", "_x", "X" * 100])
    def test_letters_digits_and_underscores_are_fine(self, berlin, user, hashtag):
        tweetup = tweetup_create(organizer=user, details=details(berlin, hashtag=hashtag))

        assert tweetup.hashtag == hashtag

    @pytest.mark.parametrize(
        "length", [timedelta(0), timedelta(hours=-2)], ids=["zero", "negative"]
    )
    def test_it_must_end_after_it_starts(self, berlin, user, length):
        with pytest.raises(ValidationError, match="end must be after the start"):
            tweetup_create(organizer=user, details=details(berlin, ends_at=START + length))

        assert not Tweetup.objects.exists()

    def test_capacity_zero_is_refused(self, berlin, user):
        with pytest.raises(ValidationError, match="at least 1"):
            tweetup_create(organizer=user, details=details(berlin, capacity=0))

        assert not Tweetup.objects.exists()


class TestHashtagClash:
    @pytest.fixture
    def taken(self, berlin, other_user):
        return tweetup_create(organizer=other_user, details=details(berlin))

    @pytest.mark.parametrize("hashtag", ["DjangoBerlin", "djangoberlin", "DJANGOBERLIN"])
    @pytest.mark.parametrize(
        "offset", [timedelta(0), timedelta(hours=2), timedelta(hours=-2)], ids=str
    )
    def test_overlapping_times_refuse_the_hashtag_in_any_case(
        self, taken, berlin, user, hashtag, offset
    ):
        clashing = details(
            berlin,
            hashtag=hashtag,
            starts_at=START + offset,
            ends_at=START + offset + timedelta(hours=3),
        )

        with pytest.raises(ValidationError) as caught:
            tweetup_create(organizer=user, details=clashing)

        assert "Django Berlin drinks" in caught.value.message_dict["hashtag"][0]
        assert list(Tweetup.objects.all()) == [taken]

    @pytest.mark.parametrize("offset", [timedelta(hours=3), timedelta(hours=-3), timedelta(days=7)])
    def test_times_that_do_not_overlap_may_share_it(self, taken, berlin, user, offset):
        later = details(
            berlin, starts_at=START + offset, ends_at=START + offset + timedelta(hours=3)
        )

        assert tweetup_create(organizer=user, details=later).hashtag == "DjangoBerlin"

    def test_a_cancelled_tweetup_frees_its_hashtag(self, taken, berlin, user, other_user):
        tweetup_cancel(tweetup=taken, actor=other_user, reason="Rain")

        assert tweetup_create(organizer=user, details=details(berlin)).hashtag == "DjangoBerlin"

    def test_editing_keeps_its_own_hashtag(self, taken, other_user):
        moved = details_of(taken, hashtag="djangoBERLIN", ends_at=START + timedelta(hours=4))

        assert (
            tweetup_update(tweetup=taken, actor=other_user, details=moved).hashtag == "djangoBERLIN"
        )

    def test_editing_onto_a_taken_hashtag_is_refused(self, taken, berlin, user):
        mine = tweetup_create(organizer=user, details=details(berlin, hashtag="PyBerlin"))
        before = snapshot(mine)

        with pytest.raises(ValidationError) as caught:
            tweetup_update(
                tweetup=mine, actor=user, details=details_of(mine, hashtag="djangoberlin")
            )

        assert "hashtag" in caught.value.message_dict
        assert snapshot(mine) == before

    def test_editing_onto_a_taken_time_is_refused(self, taken, berlin, user):
        mine = tweetup_create(
            organizer=user,
            details=details(
                berlin,
                starts_at=START + timedelta(days=1),
                ends_at=START + timedelta(days=1, hours=2),
            ),
        )

        with pytest.raises(ValidationError) as caught:
            tweetup_update(
                tweetup=mine,
                actor=user,
                details=details_of(mine, starts_at=START + timedelta(hours=1)),
            )

        assert "hashtag" in caught.value.message_dict

    @pytest.mark.postgres
    def test_a_lost_race_is_a_hashtag_error_and_leaves_nothing_behind(
        self, taken, berlin, user, monkeypatch
    ):
        # As if the other tweetup committed between our check and our insert.
        monkeypatch.setattr(services, "hashtag_clash", lambda **kwargs: None)

        with pytest.raises(ValidationError) as caught:
            tweetup_create(organizer=user, details=details(berlin, hashtag="djangoberlin"))

        assert "hashtag" in caught.value.message_dict
        assert list(Tweetup.objects.all()) == [taken]
        assert not Rsvp.objects.filter(user=user).exists()

    @pytest.mark.postgres
    def test_a_lost_race_on_edit_is_a_hashtag_error_too(self, taken, berlin, user, monkeypatch):
        mine = tweetup_create(organizer=user, details=details(berlin, hashtag="PyBerlin"))
        before = snapshot(mine)
        monkeypatch.setattr(services, "hashtag_clash", lambda **kwargs: None)

        with pytest.raises(ValidationError) as caught:
            tweetup_update(
                tweetup=mine, actor=user, details=details_of(mine, hashtag="djangoberlin")
            )

        assert "hashtag" in caught.value.message_dict
        assert snapshot(mine) == before


class TestUpdate:
    def test_the_organizer_edits_the_details(self, tweetup, user):
        new_start = tweetup.starts_at + timedelta(days=1)
        edited = details_of(
            tweetup,
            title="Moved to Friday",
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
            capacity=20,
        )

        tweetup_update(tweetup=tweetup, actor=user, details=edited)

        saved = Tweetup.objects.get(pk=tweetup.pk)
        assert (saved.title, saved.starts_at, saved.duration, saved.capacity) == (
            "Moved to Friday",
            new_start,
            timedelta(hours=2),
            20,
        )
        assert saved.slug == tweetup.slug  # links already shared keep working

    def test_anyone_else_is_refused_and_nothing_changes(self, tweetup, other_user):
        before = snapshot(tweetup)

        with pytest.raises(PermissionDenied):
            tweetup_update(
                tweetup=tweetup, actor=other_user, details=details_of(tweetup, title="Mine now")
            )

        assert snapshot(tweetup) == before

    def test_capacity_cannot_go_below_the_number_going(self, waitlist, user):
        with pytest.raises(ValidationError) as caught:
            tweetup_update(tweetup=waitlist, actor=user, details=details_of(waitlist, capacity=1))

        assert "capacity" in caught.value.message_dict
        assert Tweetup.objects.get(pk=waitlist.pk).capacity == 2

    def test_capacity_may_equal_the_number_going(self, small_crowd, user):
        tweetup_update(tweetup=small_crowd, actor=user, details=details_of(small_crowd, capacity=3))

        assert Tweetup.objects.get(pk=small_crowd.pk).capacity == 3
        assert small_crowd.rsvps.going().count() == 3

    def test_raising_capacity_promotes_the_first_in_line_at_once(self, waitlist, user):
        first, second, third = waitlist.in_line

        tweetup_update(tweetup=waitlist, actor=user, details=details_of(waitlist, capacity=4))

        assert {first.pk, second.pk} <= going_ids(waitlist)
        assert list(waitlist.rsvps.waitlisted().values_list("user_id", flat=True)) == [third.pk]
        assert waitlist.rsvps.going().count() == 4

    def test_removing_the_limit_promotes_everyone_in_line(self, waitlist, user):
        tweetup_update(tweetup=waitlist, actor=user, details=details_of(waitlist, capacity=None))

        assert {p.pk for p in waitlist.in_line} <= going_ids(waitlist)
        assert not waitlist.rsvps.waitlisted().exists()
        assert not waitlist.rsvps.exclude(waitlist_position=None).exists()

    def test_a_refused_edit_promotes_nobody(self, waitlist, user, other_user):
        with pytest.raises(PermissionDenied):
            tweetup_update(
                tweetup=waitlist, actor=other_user, details=details_of(waitlist, capacity=9)
            )

        assert waitlist.rsvps.waitlisted().count() == 3


class TestCancel:
    def test_the_organizer_cancels_with_a_reason(self, tweetup, user):
        tweetup_cancel(tweetup=tweetup, actor=user, reason="  The venue flooded.\n")

        saved = Tweetup.objects.get(pk=tweetup.pk)
        assert saved.is_cancelled
        assert saved.cancel_reason == "The venue flooded."
        assert saved.cancelled_at is not None
        assert not saved.accepts_rsvps

    def test_anyone_else_is_refused_and_nothing_changes(self, tweetup, other_user):
        before = snapshot(tweetup)

        with pytest.raises(PermissionDenied):
            tweetup_cancel(tweetup=tweetup, actor=other_user, reason="Prank")

        assert snapshot(tweetup) == before

    def test_cancelling_twice_keeps_the_first_reason_and_time(self, tweetup, user):
        tweetup_cancel(tweetup=tweetup, actor=user, reason="Rain")
        first = snapshot(tweetup)

        tweetup_cancel(tweetup=tweetup, actor=user, reason="Snow")

        assert snapshot(tweetup) == first
        assert first["cancel_reason"] == "Rain"
