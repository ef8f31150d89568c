"""Hot reads compiled once (tweetups.compiled): they give what the ORM gives."""

from datetime import date

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from events.models import City, Rsvp, Tweetup, TweetupDraft
from events.parts import _tweetup_with_counts
from events.views.lookups import tweetup_with_city_or_404
from tests.factories import TweetupFactory, UserFactory
from tweetups.compiled import CompiledGet

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_rsvp_views_lookup_gives_the_orms_tweetup_and_city():
    TweetupFactory()  # another, so the slug must pick
    tweetup = TweetupFactory(capacity=40, venue_latitude=52.5, venue_longitude=13.4)

    for _ in range(2):  # compiled on first use, reused after
        found = tweetup_with_city_or_404(tweetup.slug)
        expected = Tweetup.objects.select_related("city").get(slug=tweetup.slug)
        assert values(found) == values(expected)
        assert values(found.city) == values(expected.city)
        assert isinstance(found.city, City) and not found._state.adding
        assert found.get_absolute_url() == tweetup.get_absolute_url()
    # Dates need converting on SQLite (they come back as text): converted as the ORM does,
    # so the compiled SQL is what ran on both.
    assert tweetup_with_city_or_404._compiled


def test_a_tweetup_page_reads_its_tweetup_organizer_and_counts_at_once():
    tweetup = TweetupFactory(capacity=2)  # the organizer going, by the factory
    Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status=Rsvp.Status.GOING)
    Rsvp.objects.create(
        tweetup=tweetup, user=UserFactory(), status=Rsvp.Status.WAITLISTED, waitlist_position=1
    )
    for _ in range(3):
        Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status=Rsvp.Status.MAYBE)
    TweetupFactory()  # counted apart

    found = _tweetup_with_counts(tweetup.slug)

    assert values(found) == values(tweetup)
    assert values(found.organizer) == values(tweetup.organizer)
    assert found.city.slug == tweetup.city.slug
    counts = (found.counted_going, found.counted_maybe, found.counted_waitlisted)
    assert counts == (2, 3, 1)
    assert _tweetup_with_counts._compiled  # the statuses it counts are the query's own


def test_a_nullable_relation_left_unset_is_none_and_a_set_one_is_read():
    tweetup = TweetupFactory()
    draft_fields = dict(
        author_x_id="1", author_username="finder", city=tweetup.city, post_x_id=1, post_text="x"
    )
    TweetupDraft.objects.create(hashtag="NotYet", date=date(2030, 1, 1), **draft_fields)
    TweetupDraft.objects.create(
        hashtag="Made", date=date(2030, 1, 2), tweetup=tweetup, **draft_fields
    )
    lookup = CompiledGet(
        lambda: TweetupDraft.objects.select_related("tweetup", "city"), "hashtag", missing="-"
    )

    assert lookup("NotYet").tweetup is None
    made = lookup("Made")
    assert lookup._compiled  # LEFT OUTER JOIN, one row: compiled
    assert values(made.tweetup) == values(tweetup)
    assert made.city.slug == tweetup.city.slug


def test_an_unknown_value_is_a_404_with_its_message():
    TweetupFactory()
    with pytest.raises(Http404, match="No tweetup with that address"):
        tweetup_with_city_or_404("no-such-tweetup")
    with pytest.raises(Http404):
        tweetup_with_city_or_404("'; DROP TABLE events_tweetup; --")
    assert Tweetup.objects.count() == 1


def test_its_own_parameters_stay_and_a_miss_is_a_404():
    tweetup = TweetupFactory(capacity=None)
    seated = CompiledGet(lambda: Tweetup.objects.filter(capacity__gt=5), "slug", missing="None.")
    with pytest.raises(Http404, match="None"):
        seated(tweetup.slug)  # no capacity: not one of them
    assert seated._compiled
    Tweetup.objects.filter(pk=tweetup.pk).update(capacity=6)
    assert seated(tweetup.slug).capacity == 6


@pytest.fixture
def draft():
    tweetup = TweetupFactory()
    return TweetupDraft.objects.create(
        hashtag="Made",
        date=date(2030, 1, 2),
        tweetup=tweetup,
        author_x_id="1",
        author_username="finder",
        city=tweetup.city,
        post_x_id=1,
        post_text="x",
    )


def test_relations_two_deep_are_the_orms(draft):
    lookup = CompiledGet(
        lambda: TweetupDraft.objects.select_related("tweetup__city"), "hashtag", missing="-"
    )
    found = lookup("Made")
    assert lookup._compiled is False
    with CaptureQueriesContext(connection) as ctx:
        assert found.tweetup.city.slug == draft.city.slug
    assert len(ctx) == 0  # selected with it, as the ORM does


def test_prefetching_is_the_orms(draft):
    lookup = CompiledGet(
        lambda: TweetupDraft.objects.prefetch_related("city__tweetups"), "hashtag", missing="-"
    )
    found = lookup("Made")
    assert lookup._compiled is False
    with CaptureQueriesContext(connection) as ctx:
        assert [t.pk for t in found.city.tweetups.all()] == [draft.tweetup_id]
    assert len(ctx) == 0  # prefetched, as the ORM does
