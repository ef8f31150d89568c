"""The home page as a discovery page (events/parts.py home_makers): the busiest tweetups of
the week ahead with Near me, popular topics, the busiest cities, and for a signed-in
person the week in the city they looked at last. Same bytes for every visitor, a fixed
number of queries at any size, and indexes under every list."""

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import City, Tweetup
from events.parts import (
    HOME_CITIES_SHOWN,
    busiest_this_week,
    popular_topics,
    upcoming_per_city,
)
from events.services import TweetupDetails, tweetup_create
from tests.events.test_search import unbounded_scans
from tests.factories import CityFactory, TopicFactory, TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def in_days(days: float, **fields) -> dict:
    starts = timezone.now() + timedelta(days=days)
    return {"starts_at": starts, "ends_at": starts + timedelta(hours=2), **fields}


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by `heading_id`."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/t/[^"]+">([^<]+)</a></h3>', html)


def signed_in(user=None) -> Client:
    client = Client()
    client.force_login(user or UserFactory())
    return client


def with_going(going: int, **fields) -> Tweetup:
    """A tweetup `going` people go to (the factory counts its organizer only)."""
    tweetup = TweetupFactory(**fields)
    Tweetup.objects.filter(pk=tweetup.pk).update(going_count=going)
    return tweetup


def test_busiest_this_week_first_the_rest_coming_up(client, berlin):
    with_going(1, city=berlin, title="Quiet", **in_days(1))
    with_going(9, city=berlin, title="Packed", **in_days(5))
    with_going(30, city=berlin, title="Next month", **in_days(30))
    with_going(50, city=berlin, title="Called off", status="cancelled", **in_days(2))
    with_going(50, city=berlin, title="Over", **in_days(-2))
    html = client.get("/").text
    assert titles(section(html, "week-title")) == ["Packed", "Quiet"]
    assert titles(section(html, "later-title")) == ["Next month"]
    assert "Called off" not in html and "Over" not in html


def test_near_me_asks_only_on_a_click_and_opens_the_search_near_you(client):
    html = client.get("/").text
    week = section(html, "week-title")
    link = re.search(r"<a [^>]*data-near-me[^>]*>", week, re.S).group(0)
    # Without JavaScript it is this week's search; static/js/near-me.js adds lat, lon, km.
    assert 'href="/search/?when=week"' in link and 'data-near-me-km="25"' in link
    assert 'data-near-me-fallback="city-search-q"' in link and 'id="city-search-q"' in html
    assert 'role="status"' in week
    assert '<script src="/static/js/near-me.js" defer></script>' in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows nothing inline
    # The search page understands what the script sends.
    near = client.get("/search/", {"when": "week", "lat": "52.52", "lon": "13.405", "km": "25"})
    assert near.status_code == 200


def test_popular_topics_by_upcoming_tweetups(client, berlin):
    books, tech, running = (TopicFactory(name=n) for n in ("Books", "Tech", "Running"))
    TopicFactory(name="Knitting")  # nothing coming up: not shown
    for topic, count in ((books, 1), (tech, 3), (running, 2)):
        for _ in range(count):
            TweetupFactory(city=berlin, **in_days(10)).topics.add(topic)
    TweetupFactory(city=berlin, **in_days(-3)).topics.add(books)  # past: not counted
    topics = section(client.get("/").text, "topics-title")
    names = re.findall(r'<a href="/topics/([a-z-]+)/">', topics)
    assert names == ["tech", "running", "books"]
    assert re.search(r"Tech <span class=\"chip-count\">3<", topics)
    assert "knitting" not in topics


def test_cities_with_the_most_upcoming_tweetups(client):
    for n in range(HOME_CITIES_SHOWN + 2):
        city = CityFactory(name=f"City {n:02d}", country="Testland")
        for _ in range(n):
            TweetupFactory(city=city, **in_days(3 + n))
    cities = section(client.get("/").text, "cities-title")
    shown = re.findall(r"<strong>(City \d+)</strong>", cities)
    expected = [f"City {n:02d}" for n in range(HOME_CITIES_SHOWN + 1, 0, -1)]
    assert shown == expected[:HOME_CITIES_SHOWN]  # City 00 has none and is not shown
    assert "13 upcoming" in cities and 'href="/cities/"' in section(
        client.get("/").text, "cities-title"
    )


def test_empty_site_home_invites(client):
    html = client.get("/").text
    assert "Nothing this week yet" in html
    assert "No topic has a tweetup coming up yet" in html
    assert "No city has a tweetup coming up yet" in html
    assert "later-title" not in html


def test_signed_in_home_shows_the_week_in_the_city_looked_at_last(berlin):
    lisbon = CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon")
    TweetupFactory(city=lisbon, title="Pastéis and posts", **in_days(2))
    TweetupFactory(city=lisbon, title="Lisbon next month", **in_days(20))
    TweetupFactory(city=berlin, title="Spree drinks", **in_days(3))
    alice, bob = signed_in(), signed_in()
    assert "This week in" not in alice.get("/").text  # no city looked at yet

    alice.get(lisbon.get_absolute_url())
    week = section(alice.get("/").text, "last-city-title")
    assert "This week in Lisbon" in week
    assert titles(week) == ["Pastéis and posts"]
    assert 'href="/c/lisbon/?when=week"' in week

    bobs = bob.get("/")  # the same frame, bob's own (empty) hole
    assert bobs["X-Cache"] == "frame-hit" and "This week in" not in bobs.text

    alice.get(berlin.get_absolute_url())  # another city: it follows
    week = section(alice.get("/").text, "last-city-title")
    assert "This week in Berlin" in week and titles(week) == ["Spree drinks"]


def test_a_city_page_writes_the_session_only_when_the_city_changes(berlin):
    lisbon = CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon")
    alice = signed_in()

    def session_writes(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert alice.get(url).status_code == 200
        return sum("django_session" in q["sql"] for q in ctx.captured_queries)

    assert session_writes(berlin.get_absolute_url()) == 1
    assert session_writes(berlin.get_absolute_url()) == 0
    assert session_writes(berlin.get_absolute_url() + "?when=week") == 0
    assert session_writes(lisbon.get_absolute_url()) == 1
    assert session_writes("/") == 0


def test_the_city_is_remembered_only_from_its_whole_page(berlin):
    alice = signed_in()
    alice.get(berlin.get_absolute_url(), {"when": "week"}, headers={"HX-Request": "true"})
    alice.get("/c/nowhere-at-all/")  # a 404 remembers nothing
    assert "This week in" not in alice.get("/").text


def test_a_city_with_nothing_this_week_invites_you_to_organize(client):
    reykjavik = City.objects.create(
        name="Reykjavík", country="Iceland", slug="reykjavik-is", timezone="Atlantic/Reykjavik"
    )
    alice = signed_in()
    alice.get(reykjavik.get_absolute_url())
    week = section(alice.get("/").text, "last-city-title")
    assert "Nothing in Reykjavík this week" in week
    assert f'href="/new/?place=c{reykjavik.pk}"' in week


def test_the_city_week_follows_new_tweetups(berlin, user, commits):
    alice = signed_in()
    alice.get(berlin.get_absolute_url())
    assert "Nothing in Berlin this week" in alice.get("/").text
    soon = timezone.now() + timedelta(days=2)
    details = TweetupDetails(
        city=berlin,
        title="Fresh in Berlin",
        venue_name="Bar",
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        hashtag="freshberlin",
    )
    commits(tweetup_create, organizer=user, details=details)
    assert titles(section(alice.get("/").text, "last-city-title")) == ["Fresh in Berlin"]


def test_visitors_get_the_same_bytes_and_nothing_personal(berlin):
    TweetupFactory(city=berlin, title="Spree drinks", **in_days(3))
    looker = signed_in()
    looker.get(berlin.get_absolute_url())
    assert "This week in Berlin" in looker.get("/").text
    first, second = Client().get("/"), Client().get("/")
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert "This week in" not in first.text and "Your next tweetups" not in first.text
    assert first["Cache-Control"].startswith("public")
    assert "csrfmiddlewaretoken" not in first.text and not first.cookies


def many_tweetups(count: int) -> None:
    """`count` upcoming tweetups over 40 cities and 5 topics, in a few statements."""
    organizer = UserFactory()
    cities = City.objects.bulk_create(
        City(name=f"Town {n}", country="Testland", slug=f"town-{n}", timezone="UTC")
        for n in range(40)
    )
    topics = [TopicFactory(name=f"Topic {n}") for n in range(5)]
    now = timezone.now()
    rows = Tweetup.objects.bulk_create(
        Tweetup(
            city=cities[n % len(cities)],
            organizer=organizer,
            title=f"Busy tweetup {n}",
            slug=f"busy-{n}",
            venue_name="Hall",
            hashtag=f"busy{n}",
            starts_at=now + timedelta(hours=1 + n),
            ends_at=now + timedelta(hours=3 + n),
            going_count=n % 7,
        )
        for n in range(count)
    )
    through = Tweetup.topics.through
    through.objects.bulk_create(
        through(tweetup_id=t.pk, topic_id=topics[n % len(topics)].pk) for n, t in enumerate(rows)
    )


@pytest.mark.parametrize("count", [5, 1000])
def test_home_query_count_is_the_same_at_any_size(count, settings):
    many_tweetups(count)
    alice = signed_in()
    assert alice.get("/c/town-1/").status_code == 200  # the city she looked at last
    alice.get("/")  # the frame and the parts in the cache
    with CaptureQueriesContext(connection) as warm:
        assert alice.get("/")["X-Cache"] == "frame-hit"
    with CaptureQueriesContext(connection) as visitor_warm:
        Client().get("/")
        assert Client().get("/")["X-Cache"] == "hit"
    settings.PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as cold:
        html = alice.get("/").text
    with CaptureQueriesContext(connection) as visitor_cold:
        Client().get("/")
    assert len(titles(section(html, "week-title"))) == min(count, 6)
    assert "This week in Town 1" in html
    # the user; the rest from the cache: the town's week, and your next tweetups and the
    # drafts found in your posts (kept for you with home)
    assert len(warm.captured_queries) == 1
    # + this week, coming up, topics, cities (counts, then the cities), the town and its week
    assert len(cold.captured_queries) == 10
    # a visitor's whole page: made from the parts in the cache, then kept whole
    assert len(visitor_warm.captured_queries) == 0
    assert len(visitor_cold.captured_queries) == 5


@pytest.mark.postgres
def test_home_lists_are_served_by_indexes():
    """No list reads the tweetups, or which topics they have, whole (Topic, the curated
    list, is read whole on purpose: every topic is ranked)."""
    many_tweetups(50)
    now = timezone.now()
    assert unbounded_scans(busiest_this_week(now)) == []
    assert unbounded_scans(upcoming_per_city(now)[:HOME_CITIES_SHOWN]) == []
    assert unbounded_scans(popular_topics(now)) == ["Seq Scan on events_topic"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_cities_are_counted_from_the_index_alone():
    """The busiest cities' counts need only tweetup_scheduled_upcoming_idx (an index-only
    scan: no table rows read, however many tweetups are upcoming). Test tables are tiny,
    so the planner is told not to read them whole, as it wouldn't on a big site; and the
    table is vacuumed, as autovacuum keeps a big one, so that reading the index alone is
    cheaper than any index that needs the rows too (at 50 rows they'd cost the same)."""
    many_tweetups(50)
    query = upcoming_per_city(timezone.now())[:HOME_CITIES_SHOWN]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_tweetup")
    with transaction.atomic(), connection.cursor() as cursor:
        for kind in ("seqscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        plan = query.explain()
    assert "Index Only Scan using tweetup_scheduled_upcoming_idx" in plan, plan


def test_home_lists_upcoming_and_hides_past(client, berlin):
    upcoming = TweetupFactory(city=berlin, title="Soon in Berlin")
    past = TweetupFactory(
        city=berlin,
        title="Long ago",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
    )
    response = client.get("/")
    assert response.status_code == 200
    assert upcoming.title in response.text
    assert past.title not in response.text


def test_home_query_count_is_fixed(client, django_assert_max_num_queries):
    for city in ("Berlin", "London", "Tokyo"):
        c = CityFactory(name=city, timezone="Europe/London")
        for _ in range(4):
            TweetupFactory(city=c)
    # this week, coming up, topics, the busiest cities' counts and then those cities
    with django_assert_max_num_queries(5):
        client.get("/")
