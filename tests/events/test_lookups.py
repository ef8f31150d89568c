"""How views find a tweetup: the RSVP views' lookup, compiled once, gives what the ORM gives."""

import pytest
from django.db import connection
from django.http import Http404

from events.models import City, Tweetup
from events.views.lookups import tweetup_with_city_or_404
from tests.factories import TweetupFactory

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_compiled_lookup_gives_the_orms_tweetup_and_city():
    TweetupFactory()  # another, so the slug must pick
    tweetup = TweetupFactory(capacity=40, venue_latitude=52.5, venue_longitude=13.4)

    for _ in range(2):  # compiled on first use, reused after
        found = tweetup_with_city_or_404(tweetup.slug)
        expected = Tweetup.objects.select_related("city").get(slug=tweetup.slug)
        assert values(found) == values(expected)
        assert values(found.city) == values(expected.city)
        assert isinstance(found.city, City) and not found._state.adding
        assert found.get_absolute_url() == tweetup.get_absolute_url()
    # On PostgreSQL no column needs converting: the compiled SQL is what ran.
    assert bool(tweetup_with_city_or_404._compiled) == (connection.vendor == "postgresql")


def test_an_unknown_slug_is_a_404():
    TweetupFactory()
    with pytest.raises(Http404):
        tweetup_with_city_or_404("no-such-tweetup")
    with pytest.raises(Http404):
        tweetup_with_city_or_404("'; DROP TABLE events_tweetup; --")
