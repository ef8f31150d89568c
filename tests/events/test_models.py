"""What the database itself refuses, whatever code writes to it; and times across DST."""

import itertools
import zoneinfo
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.models import Rsvp, Tweetup
from events.services import TweetupDetails, tweetup_create
from tests.factories import TweetupFactory, UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
hashtags = (f"owls{n}" for n in itertools.count())


@contextmanager
def refused():
    """The database refuses the write; the savepoint keeps the test's transaction usable.

    Factories save through Model.save(), which validates nothing: only the database can refuse.
    """
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


class TestTweetupConstraints:
    @pytest.mark.parametrize(
        "length", [timedelta(0), timedelta(hours=-1)], ids=["zero", "negative"]
    )
    def test_it_must_end_after_it_starts(self, berlin, length):
        start = timezone.now() + timedelta(days=1)
        with refused():
            TweetupFactory(city=berlin, starts_at=start, ends_at=start + length)

    def test_it_lasts_at_most_three_days(self, berlin):
        start = timezone.now() + timedelta(days=1)
        assert TweetupFactory(city=berlin, starts_at=start, ends_at=start + timedelta(days=3))
        with refused():
            TweetupFactory(
                city=berlin, starts_at=start, ends_at=start + timedelta(days=3, seconds=1)
            )

    def test_more_going_than_seats_is_refused(self, berlin):
        tweetup = TweetupFactory(city=berlin, capacity=2)
        with refused():
            Tweetup.objects.filter(pk=tweetup.pk).update(going_count=3)

    def test_capacity_is_at_least_one(self, berlin):
        with refused():
            TweetupFactory(city=berlin, capacity=0)

    @pytest.mark.parametrize("capacity", [None, 1])
    def test_capacity_may_be_unlimited_or_one(self, berlin, capacity):
        assert TweetupFactory(city=berlin, capacity=capacity).capacity == capacity

    @pytest.mark.parametrize(
        "hashtag",
        ["#djangoberlin", "django-berlin", "django berlin", "2030", "", "_", "1_", "__1"],
    )
    def test_hashtag_is_word_characters_and_not_only_digits(self, berlin, hashtag):
        with refused():
            TweetupFactory(city=berlin, hashtag=hashtag)

    def test_status_is_scheduled_or_cancelled(self, berlin):
        with refused():
            TweetupFactory(city=berlin, status="postponed")


class TestRsvpConstraints:
    def test_one_rsvp_per_person_and_tweetup(self, tweetup, other_user):
        Rsvp.objects.create(tweetup=tweetup, user=other_user, status=Rsvp.Status.MAYBE)
        with refused():
            Rsvp.objects.create(tweetup=tweetup, user=other_user, status=Rsvp.Status.GOING)

    def test_the_same_person_may_answer_other_tweetups(self, tweetup, other_user, berlin):
        second = TweetupFactory(city=berlin)
        for each in (tweetup, second):
            Rsvp.objects.create(tweetup=each, user=other_user, status=Rsvp.Status.GOING)
        assert Rsvp.objects.filter(user=other_user).count() == 2

    def test_waitlist_positions_are_unique_within_a_tweetup(self, tweetup):
        first, second = UserFactory.create_batch(2)
        Rsvp.objects.create(
            tweetup=tweetup, user=first, status=Rsvp.Status.WAITLISTED, waitlist_position=1
        )
        with refused():
            Rsvp.objects.create(
                tweetup=tweetup, user=second, status=Rsvp.Status.WAITLISTED, waitlist_position=1
            )

    def test_other_tweetups_have_their_own_waitlist_positions(self, tweetup, berlin, other_user):
        second = TweetupFactory(city=berlin)
        for each in (tweetup, second):
            Rsvp.objects.create(
                tweetup=each, user=other_user, status=Rsvp.Status.WAITLISTED, waitlist_position=1
            )
        assert Rsvp.objects.filter(waitlist_position=1).count() == 2

    def test_waitlisted_needs_a_position(self, tweetup, other_user):
        with refused():
            Rsvp.objects.create(tweetup=tweetup, user=other_user, status=Rsvp.Status.WAITLISTED)

    @pytest.mark.parametrize(
        "status", [Rsvp.Status.GOING, Rsvp.Status.MAYBE, Rsvp.Status.NOT_GOING]
    )
    def test_only_the_waitlisted_have_a_position(self, tweetup, other_user, status):
        with refused():
            Rsvp.objects.create(
                tweetup=tweetup, user=other_user, status=status, waitlist_position=1
            )

    def test_status_is_one_of_the_four(self, tweetup, other_user):
        with refused():
            Rsvp.objects.create(tweetup=tweetup, user=other_user, status="interested")


@pytest.mark.postgres
class TestHashtagExclusionConstraint:
    """Migration 0002: scheduled tweetups at overlapping times can't share a hashtag."""

    START = datetime(2030, 6, 1, 18, 0, tzinfo=UTC)

    def make(self, city, hashtag, starts_at=START, hours=3, **fields):
        return TweetupFactory(
            city=city,
            hashtag=hashtag,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            **fields,
        )

    @pytest.mark.parametrize("hashtag", ["DjangoBerlin", "djangoberlin", "DJANGOBERLIN"])
    def test_overlapping_times_refuse_the_same_hashtag_in_any_case(self, berlin, hashtag):
        self.make(berlin, "DjangoBerlin")
        with refused():
            self.make(berlin, hashtag, starts_at=self.START + timedelta(hours=2))

    def test_moving_a_tweetup_onto_a_clashing_time_is_refused(self, berlin):
        self.make(berlin, "DjangoBerlin")
        later = self.make(berlin, "djangoberlin", starts_at=self.START + timedelta(days=1))
        later.starts_at, later.ends_at = self.START, self.START + timedelta(hours=1)
        with refused():
            later.save()

    def test_back_to_back_tweetups_may_share_a_hashtag(self, berlin):
        self.make(berlin, "DjangoBerlin")
        self.make(berlin, "djangoberlin", starts_at=self.START + timedelta(hours=3))
        assert Tweetup.objects.filter(hashtag__iexact="djangoberlin").count() == 2

    def test_a_cancelled_tweetup_does_not_hold_its_hashtag(self, berlin):
        self.make(berlin, "DjangoBerlin", status=Tweetup.Status.CANCELLED)
        self.make(berlin, "djangoberlin")
        assert Tweetup.objects.filter(hashtag__iexact="djangoberlin").count() == 2

    def test_reviving_a_cancelled_clash_is_refused(self, berlin):
        self.make(berlin, "DjangoBerlin")
        cancelled = self.make(berlin, "djangoberlin", status=Tweetup.Status.CANCELLED)
        cancelled.status = Tweetup.Status.SCHEDULED
        with refused():
            cancelled.save()


class TestTimesAcrossDaylightSaving:
    """Berlin moves its clocks on the last Sundays of March (CET→CEST) and October."""

    def create_local(self, berlin, user, starts_at, ends_at):
        created = tweetup_create(
            organizer=user,
            details=TweetupDetails(
                city=berlin,
                title="Night owls",
                venue_name="Berghain",
                starts_at=starts_at,
                ends_at=ends_at,
                hashtag=next(hashtags),
            ),
        )
        return Tweetup.objects.select_related("city").get(pk=created.pk)

    @pytest.mark.parametrize(
        ("local_start", "utc_start", "offset_hours"),
        [
            ((2030, 3, 30, 20), datetime(2030, 3, 30, 19, 0, tzinfo=UTC), 1),
            ((2030, 3, 31, 20), datetime(2030, 3, 31, 18, 0, tzinfo=UTC), 2),
            ((2030, 10, 26, 20), datetime(2030, 10, 26, 18, 0, tzinfo=UTC), 2),
            ((2030, 10, 27, 20), datetime(2030, 10, 27, 19, 0, tzinfo=UTC), 1),
        ],
        ids=["march-before", "march-after", "october-before", "october-after"],
    )
    def test_stored_in_utc_and_shown_in_berlin_time(
        self, berlin, user, local_start, utc_start, offset_hours
    ):
        starts_at = datetime(*local_start, tzinfo=BERLIN)  # as the form reads a typed time
        tweetup = self.create_local(berlin, user, starts_at, starts_at + timedelta(hours=3))

        assert tweetup.starts_at == utc_start
        assert tweetup.starts_at.utcoffset() == timedelta(0)
        assert Tweetup.objects.filter(pk=tweetup.pk, starts_at=utc_start).exists()
        local = tweetup.local_starts_at
        assert (local.year, local.month, local.day, local.hour, local.minute) == (*local_start, 0)
        assert local.utcoffset() == timedelta(hours=offset_hours)
        assert local.tzname() == ("CEST" if offset_hours == 2 else "CET")

    def test_a_night_across_the_spring_change_loses_an_hour(self, berlin, user):
        # 01:00 CET to 04:00 CEST: the clock reads three hours, two pass.
        tweetup = self.create_local(
            berlin,
            user,
            datetime(2030, 3, 31, 1, 0, tzinfo=BERLIN),
            datetime(2030, 3, 31, 4, 0, tzinfo=BERLIN),
        )

        assert (tweetup.starts_at, tweetup.ends_at) == (
            datetime(2030, 3, 31, 0, 0, tzinfo=UTC),
            datetime(2030, 3, 31, 2, 0, tzinfo=UTC),
        )
        assert tweetup.duration == timedelta(hours=2)
        assert tweetup.local_starts_at.hour == 1
        assert tweetup.local_starts_at.utcoffset() == timedelta(hours=1)
        assert tweetup.local_ends_at.hour == 4
        assert tweetup.local_ends_at.utcoffset() == timedelta(hours=2)

    def test_the_repeated_autumn_hour_is_told_apart(self, berlin, user):
        # 02:30 happens twice on 27 October 2030: first in CEST (fold=0), then in CET (fold=1).
        first = self.create_local(
            berlin,
            user,
            datetime(2030, 10, 27, 2, 30, tzinfo=BERLIN),
            datetime(2030, 10, 27, 2, 45, tzinfo=BERLIN),
        )
        second = self.create_local(
            berlin,
            user,
            datetime(2030, 10, 27, 2, 30, fold=1, tzinfo=BERLIN),
            datetime(2030, 10, 27, 2, 45, fold=1, tzinfo=BERLIN),
        )

        assert first.starts_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
        assert second.starts_at == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)
        assert [t.local_starts_at.strftime("%H:%M %Z") for t in (first, second)] == [
            "02:30 CEST",
            "02:30 CET",
        ]
