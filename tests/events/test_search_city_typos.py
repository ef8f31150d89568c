"""Search: a city's name one letter off still finds that city's tweetups, and only them."""

import pytest
from django.urls import reverse

from events.search import CITY_TYPO_MIN_LENGTH
from tests.factories import CityFactory, TweetupFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEARCH = reverse("events:search")


@pytest.fixture
def cities(db):
    """A tweetup in each of four cities, none naming its city in its own words."""
    made = {
        "Lisbon": CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon"),
        "Berlin": CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin"),
        "Reykjavík": CityFactory(
            name="Reykjavík", slug="reykjavik", country="Iceland", timezone="Atlantic/Reykjavik"
        ),
        "Bern": CityFactory(name="Bern", country="Switzerland", timezone="Europe/Zurich"),
    }
    for number, city in enumerate(made.values()):
        TweetupFactory(
            city=city,
            title=f"Coffee club {number}",
            hashtag=f"coffeeclub{number}",
            venue_name="The corner café",
            venue_address="Main street 1",
        )
    return made


def cities_found(client, q: str) -> set[str]:
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 200
    return {t.city.name for t in response.context["page"].object_list}


@pytest.mark.parametrize(
    ("q", "city"),
    [
        ("Lisbn", "Lisbon"),  # a letter dropped: trigram similarity 0.44
        ("lisbom", "Lisbon"),  # a letter changed, lower case
        ("Berln", "Berlin"),
        ("Berliin", "Berlin"),  # a letter added
        ("Reykjavk", "Reykjavík"),  # a letter dropped, and no accent
        ("Reykjavik", "Reykjavík"),  # just no accent
        ("Lisbon", "Lisbon"),  # spelled right
    ],
)
def test_one_letter_off_a_city_finds_that_citys_tweetups_only(client, cities, q, city):
    assert cities_found(client, q) == {city}


@pytest.mark.parametrize(
    "q",
    [
        "Lisbnoa",  # two letters off
        "Quokka",  # unrelated to any city
        "Quantum",
        "Born",  # one letter off Bern, but too short to be taken for it
        "Lis",
    ],
)
def test_words_that_are_not_one_letter_off_a_city_find_no_city(client, cities, q):
    assert cities_found(client, q) == set()


def test_short_words_are_not_read_as_city_typos():
    assert len("Born") < CITY_TYPO_MIN_LENGTH <= len("Lisbn")


def test_close_titles_are_looked_for_only_while_the_words_leave_room(client, monkeypatch, settings):
    """The trigram title scan (typos) runs only when the words as typed match fewer than
    SEARCH_CANDIDATES tweetups; past that, the exact matches fill the candidates."""
    monkeypatch.setattr("events.search.SEARCH_CANDIDATES", 2)
    settings.PAGE_CACHE_SECONDS = 0  # the same address asked twice, rendered twice
    city = CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon")
    TweetupFactory(city=city, title="Harbour Tech Drinks", description="Talk.")
    TweetupFactory(city=city, title="Harbour Tech Drinkz", description="Talk.")  # close only

    found = client.get(SEARCH, {"q": "harbour tech drinks"}).context["page"].object_list
    assert sorted(t.title for t in found) == ["Harbour Tech Drinks", "Harbour Tech Drinkz"]

    TweetupFactory(city=city, title="Harbour Tech Drinks again", description="Talk.")
    found = client.get(SEARCH, {"q": "harbour tech drinks"}).context["page"].object_list
    assert sorted(t.title for t in found) == ["Harbour Tech Drinks", "Harbour Tech Drinks again"]
