"""Filters on search, topic and city pages: dates in city time, topic, seats, distance, and
all of them together, in the URL, with htmx, cached, and with nonsense."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.discovery_forms import date_span
from events.models import Tweetup
from events.search import SearchText
from events.views.listings import LAST_CITY
from tests.events.test_search import unbounded_scans
from tests.factories import CityFactory, TopicFactory, TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("events:search")
# A Friday noon, UTC: "this weekend" is 11–12 May 2030.
FRIDAY = datetime(2030, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def on_friday(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY)
    return FRIDAY


def at(city, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=city.tzinfo)


def make(city, title, starts_at, **fields):
    return TweetupFactory(
        city=city,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        **fields,
    )


def titles(response) -> set[str]:
    assert response.status_code == 200
    return {t.title for t in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("today", "weekend"),
    [
        (date(2030, 5, 6), (date(2030, 5, 11), date(2030, 5, 12))),  # Monday
        (date(2030, 5, 10), (date(2030, 5, 11), date(2030, 5, 12))),  # Friday
        (date(2030, 5, 11), (date(2030, 5, 11), date(2030, 5, 12))),  # Saturday
        (date(2030, 5, 12), (date(2030, 5, 12), date(2030, 5, 12))),  # Sunday: what's left
    ],
)
def test_this_weekend_from_each_day(today, weekend):
    assert date_span("weekend", today) == weekend
    assert date_span("week", today) == (today, today + timedelta(days=6))
    assert date_span("tomorrow", today) == (today + timedelta(days=1),) * 2


def test_weekend_is_each_tweetups_own_citys_weekend(client, on_friday):
    la = CityFactory(name="Los Angeles", country="US", timezone="America/Los_Angeles")
    tokyo = CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    saturday, sunday = date(2030, 5, 11), date(2030, 5, 12)
    # Sunday 06:30 UTC, but Saturday night in LA: this weekend.
    make(la, "LA Saturday night", at(la, saturday, 23, 30))
    # Friday 16:30 UTC, but Saturday morning in Tokyo: this weekend.
    make(tokyo, "Tokyo Saturday morning", at(tokyo, saturday, 1, 30))
    # Friday 22:30 UTC is Friday night in Berlin: not the weekend.
    make(berlin, "Berlin Friday night", at(berlin, date(2030, 5, 10), 23, 30))
    # Sunday 23:30 in Berlin is Sunday 21:30 UTC; Monday 00:30 is not the weekend.
    make(berlin, "Berlin Sunday late", at(berlin, sunday, 23, 30))
    make(berlin, "Berlin Monday early", at(berlin, date(2030, 5, 13), 0, 30))
    weekend = {"LA Saturday night", "Tokyo Saturday morning", "Berlin Sunday late"}
    assert titles(client.get(SEARCH, {"when": "weekend"})) == weekend
    dates = {"date_from": "2030-05-11", "date_to": "2030-05-12"}
    assert titles(client.get(SEARCH, dates)) == weekend
    assert titles(client.get(berlin.get_absolute_url(), {"when": "weekend"})) == {
        "Berlin Sunday late"
    }
    # Today is Friday (UTC's date on search pages); the Tokyo one starts on Friday in UTC,
    # but on Saturday in Tokyo, which is what counts.
    assert titles(client.get(SEARCH, {"when": "today"})) == {"Berlin Friday night"}


def test_a_city_page_counts_today_in_the_citys_zone(client, monkeypatch):
    # 23:00 UTC on Friday is already Saturday in Tokyo.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2030, 5, 10, 23, 0, tzinfo=UTC))
    tokyo = CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
    make(tokyo, "Saturday lunch", at(tokyo, date(2030, 5, 11), 12))
    make(tokyo, "Sunday lunch", at(tokyo, date(2030, 5, 12), 12))
    assert titles(client.get(tokyo.get_absolute_url(), {"when": "today"})) == {"Saturday lunch"}
    assert titles(client.get(tokyo.get_absolute_url(), {"when": "tomorrow"})) == {"Sunday lunch"}


def test_seats_left(client, berlin):
    open_ended = TweetupFactory(city=berlin, title="No limit", capacity=None)
    TweetupFactory(city=berlin, title="Room left", capacity=5)
    full = TweetupFactory(city=berlin, title="Full", capacity=1)  # the organizer
    TweetupFactory(city=berlin, title="Cancelled", status="cancelled", capacity=None)
    assert full.going_count == 1 and open_ended.capacity is None
    assert titles(client.get(SEARCH, {"seats": "1"})) == {"No limit", "Room left"}
    assert titles(client.get(berlin.get_absolute_url(), {"seats": "on"})) == {
        "No limit",
        "Room left",
    }


def test_distance_uses_the_venue_point_else_the_city(client):
    berlin = CityFactory(
        name="Berlin", country="DE", timezone="Europe/Berlin", latitude=52.52, longitude=13.405
    )
    potsdam = CityFactory(
        name="Potsdam", country="DE", timezone="Europe/Berlin", latitude=52.39, longitude=13.06
    )
    hamburg = CityFactory(
        name="Hamburg", country="DE", timezone="Europe/Berlin", latitude=53.55, longitude=9.99
    )
    TweetupFactory(city=berlin, title="Mitte")  # the city's point
    TweetupFactory(city=potsdam, title="Potsdam")  # 27 km from Berlin's centre
    # In Hamburg's city, but the venue is placed in Berlin (the venue wins).
    TweetupFactory(city=hamburg, title="Placed", venue_latitude=52.50, venue_longitude=13.40)
    TweetupFactory(city=hamburg, title="Hamburg")
    TweetupFactory(city=CityFactory(name="Nowhere", country="XX"), title="No point")
    near = {"lat": "52.52", "lon": "13.405"}
    assert titles(client.get(SEARCH, near | {"km": "10"})) == {"Mitte", "Placed"}
    assert titles(client.get(SEARCH, near)) == {"Mitte", "Placed"}  # 25 km unless asked
    assert titles(client.get(SEARCH, near | {"km": "30"})) == {"Mitte", "Placed", "Potsdam"}
    assert titles(client.get(SEARCH, near | {"km": "300"})) == {
        "Mitte",
        "Placed",
        "Potsdam",
        "Hamburg",
    }


def test_distance_across_the_antimeridian_and_near_a_pole(client):
    fiji = CityFactory(
        name="Taveuni", country="FJ", timezone="Pacific/Fiji", latitude=-16.9, longitude=179.98
    )
    TweetupFactory(
        city=fiji, title="East of the line", venue_latitude=-16.9, venue_longitude=-179.98
    )
    TweetupFactory(city=fiji, title="West of the line")
    near = {"lat": "-16.9", "lon": "-179.99", "km": "20"}
    assert titles(client.get(SEARCH, near)) == {"East of the line", "West of the line"}
    svalbard = CityFactory(
        name="Longyearbyen",
        country="NO",
        timezone="Arctic/Longyearbyen",
        latitude=78.2,
        longitude=15.6,
    )
    TweetupFactory(city=svalbard, title="Polar night")
    pole = {"lat": "89.9", "lon": "0", "km": "500"}
    assert titles(client.get(SEARCH, pole)) == set()
    assert titles(client.get(SEARCH, {"lat": "82", "lon": "15", "km": "500"})) == {"Polar night"}


def test_filters_compose(client, on_friday):
    berlin = CityFactory(
        name="Berlin", country="DE", timezone="Europe/Berlin", latitude=52.52, longitude=13.405
    )
    london = CityFactory(
        name="London", country="UK", timezone="Europe/London", latitude=51.5, longitude=-0.12
    )
    tech, books = TopicFactory(name="Tech"), TopicFactory(name="Books")
    saturday = date(2030, 5, 11)

    def tweetup(title, city=berlin, day=saturday, topics=(tech,), capacity=None):
        t = make(city, title, at(city, day, 19), capacity=capacity)
        t.topics.set(topics)
        return t

    tweetup("The one")
    tweetup("Next week", day=saturday + timedelta(days=7))
    tweetup("Books", topics=(books,))
    tweetup("Full", capacity=1)
    tweetup("In London", city=london)
    everything = {
        "when": "weekend",
        "topic": "tech",
        "seats": "1",
        "lat": "52.5",
        "lon": "13.4",
        "km": "50",
    }
    assert titles(client.get(SEARCH, everything)) == {"The one"}
    assert titles(client.get(berlin.get_absolute_url(), everything)) == {"The one"}
    topic = reverse("events:topic", args=["tech"])
    assert titles(client.get(topic, everything)) == {"The one"}
    assert titles(client.get(SEARCH, everything | {"q": "one"})) == {"The one"}
    assert titles(client.get(SEARCH, everything | {"q": "two"})) == set()
    # Each filter dropped lets its own tweetup back in.
    assert titles(client.get(SEARCH, everything | {"when": ""})) == {"The one", "Next week"}
    assert titles(client.get(SEARCH, everything | {"topic": ""})) == {"The one", "Books"}
    assert titles(client.get(SEARCH, everything | {"seats": ""})) == {"The one", "Full"}
    assert titles(client.get(SEARCH, everything | {"km": "1000"})) == {
        "The one"
    }  # too far: left out
    assert titles(client.get(SEARCH, everything | {"lat": "", "lon": "", "km": ""})) == {
        "The one",
        "In London",
    }


def test_pages_keep_the_filters(client, berlin, settings):
    settings.TWEETUPS_PER_PAGE = 1
    TweetupFactory(city=berlin, capacity=None)
    TweetupFactory(city=berlin, capacity=None)
    html = client.get(SEARCH, {"seats": "1", "when": "week", "junk": "x"}).text
    assert 'href="?when=week&amp;seats=1&amp;page=2"' in html
    html = client.get(berlin.get_absolute_url(), {"seats": "1"}).text
    assert 'href="?seats=1&amp;page=2"' in html


TODAY = timezone.now().date()
BAD_FILTERS = [
    ({"when": "someday"}, "Select a valid choice"),
    ({"date_from": "2030-13-45"}, "Enter a valid date"),
    (
        {"date_from": str(TODAY), "date_to": str(TODAY - timedelta(days=9))},
        "The end date is before",
    ),
    ({"date_from": "0001-01-01"}, "Pick a date between"),
    ({"date_to": "9999-12-31"}, "Pick a date between"),
    ({"km": "-1", "lat": "52.5", "lon": "13.4"}, "greater than or equal to 1"),
    ({"km": "1000000000", "lat": "52.5", "lon": "13.4"}, "less than or equal to 500"),
    ({"km": "1e308", "lat": "52.5", "lon": "13.4"}, "less than or equal to 500"),
    ({"lat": "91", "lon": "13"}, "less than or equal to 90"),
    ({"lat": "52", "lon": "-181"}, "greater than or equal to -180"),
    ({"lat": "nan", "lon": "13"}, "Enter a number"),
    ({"lat": "inf", "lon": "13"}, "Enter a number"),
    ({"lat": "52"}, "Give both a latitude and a longitude"),
    ({"km": "10"}, "A distance needs a point"),
    ({"topic": "no-such-topic"}, "There is no such topic"),
]


@pytest.mark.parametrize(("params", "message"), BAD_FILTERS)
@pytest.mark.parametrize("page", ["search", "city", "topic"])
def test_nonsense_filters_get_a_message_and_the_rest_still_filter(
    client, berlin, params, message, page
):
    berlin.latitude, berlin.longitude = 52.52, 13.405
    berlin.save()
    keep, drop = (
        TweetupFactory(city=berlin, title="Keep"),
        TweetupFactory(city=berlin, title="Drop"),
    )
    Tweetup.objects.filter(pk=drop.pk).update(capacity=1)  # full: the seats filter drops it
    keep.topics.add(TopicFactory(name="Tech"))
    url = {
        "search": SEARCH,
        "city": berlin.get_absolute_url(),
        "topic": reverse("events:topic", args=["tech"]),
    }[page]
    response = client.get(url, params | {"seats": params.get("seats", "1")})
    assert response.status_code == 200
    assert titles(response) == {"Keep"}
    if message and not (page == "topic" and "topic" in params):
        assert message in response.text


@pytest.mark.parametrize("rows", [3, 30])
def test_filtered_listing_query_count_is_fixed(client, berlin, rows, settings, on_friday):
    settings.PAGE_CACHE_SECONDS = 0
    tech = TopicFactory(name="Tech")
    berlin.latitude, berlin.longitude = 52.52, 13.405
    berlin.save()
    for n in range(rows):
        t = make(berlin, f"Tech {n}", at(berlin, date(2030, 5, 11), 10) + timedelta(minutes=n))
        t.topics.add(tech)
    params = {"when": "weekend", "topic": "tech", "seats": "1", "lat": "52.5", "lon": "13.4"}
    client.force_login(UserFactory())
    client.get("/")
    # A city page keeps itself in the session when it changes (home's "this week in …"):
    # that one write is tests/events/test_home.py's to count, not this test's.
    session = client.session
    session[LAST_CITY] = berlin.slug
    session.save()
    for url, expected in [
        (SEARCH, 3),  # user, topics for the form, one page
        (reverse("events:topic", args=["tech"]), 3),  # user, the topic, one page
        # user, city, topics for the form, one page, whether you follow the city
        (berlin.get_absolute_url(), 5),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert len(titles(response)) == min(rows, 20)
        assert len(ctx.captured_queries) == expected, (url, ctx.captured_queries)


def test_htmx_gets_the_citys_results_and_visitors_filtered_pages_are_cached(berlin):
    TweetupFactory(city=berlin, title="Soon", capacity=None)
    visitor = Client()
    url = berlin.get_absolute_url() + "?seats=1&when=week"
    first = visitor.get(url)
    assert first["X-Cache"] == "miss" and "Soon" in first.text
    assert "HX-Request" in first["Vary"]
    assert visitor.get(url)["X-Cache"] == "hit"
    part = visitor.get(url, headers={"HX-Request": "true"})
    assert "<html" not in part.text and "Soon" in part.text and "X-Cache" not in part
    assert 'hx-push-url="true"' in first.text and 'hx-target="#results"' in first.text


def test_signed_in_people_get_filtered_pages_from_the_frame(berlin):
    TweetupFactory(city=berlin, title="Soon", capacity=None)
    TweetupFactory(city=berlin, title="Full", capacity=1)
    alice, bob = Client(), Client()
    alice.force_login(UserFactory(x_username="alice"))
    bob.force_login(UserFactory(x_username="bob"))
    for url in (berlin.get_absolute_url() + "?seats=1", SEARCH + "?q=soon&seats=1"):
        assert alice.get(url)["X-Cache"] == "frame-miss"
        page = bob.get(url)
        assert page["X-Cache"] == "frame-hit"
        assert "@bob" in page.text and "@alice" not in page.text
        assert "Soon" in page.text and "Full" not in page.text
    assert "Full" in bob.get(berlin.get_absolute_url()).text


@pytest.mark.postgres
def test_filters_are_served_by_indexes(berlin, on_friday):
    tweetups = (
        Tweetup.objects.scheduled()
        .upcoming()
        .starting_on(date(2030, 5, 11), date(2030, 5, 12))
        .with_topic("tech")
        .with_seats_left()
        .within_km(52.5, 13.4, 50)
    )
    assert unbounded_scans(tweetups[:21]) == []


def test_local_date_is_the_zone_of_the_row(on_friday):
    tokyo = CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
    t = make(tokyo, "Early", datetime(2030, 5, 11, 0, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")))
    assert t.starts_at.astimezone(UTC).date() == date(2030, 5, 10)
    on_saturday = Tweetup.objects.starting_on(date(2030, 5, 11), date(2030, 5, 11))
    assert list(on_saturday) == [t]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "q",
    [
        "Kreuzberg Tech Drinsk",  # a typo
        "Berlin",  # the city
        "Berln",  # the city, one letter off
        "#KreuzbergDrinks",
        "@jonasweber",
        "kreuzberg drinks",
    ],
)
def test_a_search_within_a_date_window_finds_every_way_in_one_pass(client, on_friday, q):
    """With a short date window (or a circle) the filters leave few rows, which are matched
    every way at once: the same tweetups as each way on its own."""
    berlin = CityFactory(
        name="Berlin", country="DE", timezone="Europe/Berlin", latitude=52.52, longitude=13.405
    )
    saturday = date(2030, 5, 11)
    make(
        berlin,
        "Kreuzberg Tech Drinks",
        at(berlin, saturday, 19),
        hashtag="KreuzbergDrinks",
        organizer=UserFactory(x_username="jonasweber"),
    )
    make(berlin, "Kreuzberg Tech Drinks again", at(berlin, saturday + timedelta(days=7), 19))
    make(CityFactory(name="Tokyo", country="JP", timezone="Asia/Tokyo"), "Shibuya Night", FRIDAY)
    weekend = titles(client.get(SEARCH, {"q": q, "when": "weekend"}))
    assert weekend == {"Kreuzberg Tech Drinks"}
    near = {"lat": "52.5", "lon": "13.4", "km": "50"}
    assert titles(client.get(SEARCH, {"q": q, **near})) >= weekend
    window = Tweetup.objects.scheduled().upcoming().starting_on(saturday, saturday)
    search = window.within_km(52.5, 13.4, 50).search(SearchText.parse(q), narrowed=True)
    assert unbounded_scans(search[:21]) == []
