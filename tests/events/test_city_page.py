"""A city's page: its tweetups in the city's time with the zone named (the date badge too),
past ones behind a link, pages of TWEETUPS_PER_PAGE, and a fixed number of queries at
any size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Rsvp
from tests.factories import TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_city_page_shows_local_time_with_zone(client, berlin):
    # 18:00 UTC in July is 20:00 in Berlin (CEST).
    starts = timezone.datetime(2030, 7, 1, 18, 0, tzinfo=timezone.UTC)
    TweetupFactory(city=berlin, starts_at=starts, ends_at=starts + timedelta(hours=2))
    response = client.get(berlin.get_absolute_url())
    assert "20:00 CEST" in response.text


def test_date_badge_uses_the_city_day_not_utc(client, berlin):
    # 23:30 UTC on 31 December is 00:30 on 1 January in Berlin.
    starts = timezone.datetime(2030, 12, 31, 23, 30, tzinfo=timezone.UTC)
    TweetupFactory(city=berlin, starts_at=starts, ends_at=starts + timedelta(hours=2))
    html = client.get(berlin.get_absolute_url()).text
    badge = html.split('class="date-badge"')[1].split("</div>")[0]
    assert '<span class="month">Jan</span>' in badge
    assert '<span class="day">1</span>' in badge


def test_city_page_past_link(client, berlin):
    old = TweetupFactory(
        city=berlin,
        title="Old one",
        starts_at=timezone.now() - timedelta(days=30),
        ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=2),
    )
    assert old.title not in client.get(berlin.get_absolute_url()).text
    assert old.title in client.get(berlin.get_absolute_url() + "?when=past").text


def test_city_page_paginates(client, berlin, settings):
    settings.TWEETUPS_PER_PAGE = 5
    for _ in range(7):
        TweetupFactory(city=berlin)
    first = client.get(berlin.get_absolute_url())
    second = client.get(berlin.get_absolute_url() + "?page=2")
    assert first.text.count('class="card tweetup-row"') == 5
    assert second.text.count('class="card tweetup-row"') == 2
    assert 'rel="next"' in first.text and 'rel="next"' not in second.text
    assert client.get(berlin.get_absolute_url() + "?page=junk").status_code == 200
    huge = client.get(berlin.get_absolute_url() + "?page=9223372036854775807")
    assert huge.status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_city_page_query_count_is_fixed(client, berlin, rows, settings):
    for _ in range(rows):
        t = TweetupFactory(city=berlin)
        for _ in range(3):
            Rsvp.objects.create(tweetup=t, user=UserFactory(), status="going")
    client.force_login(UserFactory())
    client.get(berlin.get_absolute_url())  # warm the session and the cached listing
    with CaptureQueriesContext(connection) as cached:
        assert client.get(berlin.get_absolute_url()).status_code == 200
    settings.PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(berlin.get_absolute_url())
    assert response.text.count('class="card tweetup-row"') == min(rows, 20)
    # user, city, topics (the filter form), one page (no COUNT); the session comes
    # from the cache
    assert len(ctx.captured_queries) == 4
    assert len(cached.captured_queries) == 1  # the city and its listing came from the cache
