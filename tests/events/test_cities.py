"""Any city on Earth: city search, organizing somewhere new (with and without JavaScript),
and the page of every city with tweetups coming up."""

import importlib
import threading
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import City, Topic, Tweetup
from events.places import city_from_gazetteer
from tests.factories import CityFactory, TweetupFactory

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = datetime.now(UTC).year + 1

pytestmark = pytest.mark.django_db

REYKJAVIK, PORTLAND_OR, PORTLAND_ME = 3413829, 5746545, 4975802
SEARCH = "/cities/search/"


def form_data(**overrides):
    data = {
        "title": "X friends meet",
        "city_query": "Reykjavik",
        "starts_at": f"{YEAR}-04-02T19:00",
        "ends_at": f"{YEAR}-04-02T22:00",
        "venue_name": "Kaffibarinn",
        "venue_address": "Bergstaðastræti 1",
        "capacity": "",
        "hashtag": "#XFriendsMeet",
        "description": "",
        "topics": [Topic.objects.order_by("pk").first().pk],  # the form asks for one to three
    }
    data.update(overrides)
    return data


def organize(client, **overrides):
    return client.post(reverse("events:tweetup_new"), form_data(**overrides))


class TestSearch:
    def test_htmx_suggestions_fill_the_organize_field(self, client):
        response = client.get(SEARCH, {"city_query": "Portl"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        html = response.text
        assert "<html" not in html
        assert 'data-city-label="Portland, Oregon, United States"' in html
        assert f'data-city-value="g{PORTLAND_ME}"' in html
        assert html.index("Oregon") < html.index("Maine")  # bigger first
        assert '<button type="button" class="suggestion"' in html

    def test_plain_page_links_to_a_city_page_or_to_organizing_the_first(self, client):
        CityFactory(name="Berlin", slug="berlin", geoname_id=2950159)
        response = client.get(SEARCH, {"q": "Berl"})
        assert "<html" in response.text
        assert 'href="/c/berlin/"' in response.text
        response = client.get(SEARCH, {"q": "Reykjav"})
        assert f'href="/new/?place=g{REYKJAVIK}"' in response.text
        assert "organize the first tweetup here" in response.text

    def test_alternate_names_find_the_city(self, client):
        response = client.get(SEARCH, {"q": "München"}, headers={"HX-Request": "true"})
        assert "Munich" in response.text

    @pytest.mark.parametrize(
        ("junk", "says"),
        [
            ("%", "Type some letters of a city's name."),
            ("_", "Type some letters of a city's name."),
            ("😀😀😀", "Type some letters of a city's name."),
            ("\u202e\u200f", "Type some letters of a city's name."),
            ("x" * 10_000, "longer than any city's name"),
            ("qqqzzzxx", "No city called"),
            ("שלום עולם", "No city called"),
        ],
    )
    @pytest.mark.parametrize("htmx", [False, True])
    def test_junk_gets_a_clear_answer(self, client, junk, says, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get(SEARCH, {"q": junk}, headers=headers)
        assert response.status_code == 200
        assert escape(says) in response.text
        assert 'class="suggestions"' not in response.text

    def test_a_nul_byte_is_a_bad_request_in_the_sites_look(self, db):
        client = Client(raise_request_exception=False)
        response = client.get(SEARCH, {"q": "Ber\x00lin"})
        assert response.status_code == 400
        assert "Tweetups" in response.text  # the site's own 400 page

    def test_bounded_queries(self, client, django_assert_max_num_queries):
        with django_assert_max_num_queries(1):
            client.get(SEARCH, {"q": "San"}, headers={"HX-Request": "true"})


class TestOrganizeAnywhere:
    def test_a_new_city_is_made_with_its_zone_slug_and_point(self, client, user):
        client.force_login(user)
        response = organize(client, city_query="Reykjavík")
        tweetup = Tweetup.objects.select_related("city").get()
        assert response["Location"] == tweetup.get_absolute_url() + "#share"
        city = tweetup.city
        assert (city.slug, city.name, city.country, city.country_code) == (
            "reykjavik-is",
            "Reykjavík",
            "Iceland",
            "IS",
        )
        assert (city.geoname_id, city.timezone) == (REYKJAVIK, "Atlantic/Reykjavik")
        assert round(city.latitude) == 64 and city.population > 100_000
        # Reykjavík keeps UTC all year: 19:00 there is 19:00 UTC.
        assert tweetup.starts_at == datetime(YEAR, 4, 2, 19, 0, tzinfo=UTC)
        assert client.get("/c/reykjavik-is/").status_code == 200

    def test_the_second_tweetup_there_uses_the_same_city(self, client, user):
        client.force_login(user)
        organize(client, city_query="Reykjavik")
        organize(client, city_query="reykjavik, iceland", hashtag="#Second")
        assert City.objects.count() == 1
        assert Tweetup.objects.count() == 2

    def test_a_failed_save_makes_no_city(self, client, user):
        starts = datetime(YEAR, 4, 2, 19, 0, tzinfo=UTC)
        TweetupFactory(hashtag="XFriendsMeet", starts_at=starts, ends_at=starts + timedelta(1))
        client.force_login(user)
        response = organize(client)
        assert "is taken by" in response.text
        assert not City.objects.filter(geoname_id=REYKJAVIK).exists()
        # What was typed comes back, as the city it was understood to be.
        assert 'value="Reykjavík, Iceland"' in response.text

    def test_without_javascript_an_ambiguous_name_asks_which_one(self, client, user):
        client.force_login(user)
        response = organize(client, city_query="Portland", title="Keep my title")
        assert response.status_code == 200
        assert "More than one city fits “Portland”" in response.text
        assert f'type="radio" name="place" value="g{PORTLAND_OR}"' in response.text
        assert f'type="radio" name="place" value="g{PORTLAND_ME}"' in response.text
        assert 'value="Keep my title"' in response.text
        assert City.objects.count() == Tweetup.objects.count() == 0

        response = organize(client, city_query="Portland", place=f"g{PORTLAND_ME}")
        city = Tweetup.objects.get().city
        assert (city.slug, city.region, city.timezone) == (
            "portland-maine-us",
            "Maine",
            "America/New_York",
        )

    def test_a_full_label_names_one_city(self, client, user):
        client.force_login(user)
        organize(client, city_query="Portland, Oregon, United States")
        city = Tweetup.objects.get().city
        assert (city.slug, city.geoname_id) == ("portland-oregon-us", PORTLAND_OR)

    def test_a_picked_suggestion_wins(self, client, user):
        client.force_login(user)
        organize(client, city_query="Portland, Maine, United States", place=f"g{PORTLAND_ME}")
        assert Tweetup.objects.get().city.geoname_id == PORTLAND_ME

    def test_changing_the_text_after_picking_means_the_new_text(self, client, user):
        client.force_login(user)
        organize(client, city_query="Reykjavik", place=f"g{PORTLAND_ME}")
        assert Tweetup.objects.get().city.geoname_id == REYKJAVIK

    def test_unknown_city_is_a_field_error(self, client, user):
        client.force_login(user)
        response = organize(client, city_query="Qqqzzzville")
        assert escape("We couldn't find a city called “Qqqzzzville”") in response.text
        assert City.objects.count() == 0

    @pytest.mark.parametrize("junk", ["", "\x00", "%_", "😀", "x" * 10_000])
    def test_junk_city_is_a_field_error(self, client, user, junk):
        client.force_login(user)
        response = organize(client, city_query=junk)
        assert response.status_code == 200
        assert 'id="id_city_query_error"' in response.text
        assert City.objects.count() == 0

    def test_an_existing_city_is_found_by_its_name(self, client, user, berlin):
        client.force_login(user)
        organize(client, city_query="Berlin, Germany")
        assert Tweetup.objects.get().city == berlin
        assert City.objects.count() == 1

    def test_city_slug_link_fills_the_field(self, client, user, berlin):
        client.force_login(user)
        response = client.get(reverse("events:tweetup_new"), {"city": "berlin"})
        assert 'value="Berlin, Germany"' in response.text
        assert f'name="city" value="{berlin.pk}"' in response.text

    def test_city_search_link_fills_the_field(self, client, user):
        client.force_login(user)
        response = client.get(reverse("events:tweetup_new"), {"place": f"g{REYKJAVIK}"})
        assert 'value="Reykjavík, Iceland"' in response.text

    def test_editing_keeps_the_city_or_moves_it(self, client, user, berlin):
        tweetup = TweetupFactory(city=berlin, organizer=user)
        client.force_login(user)
        url = reverse("events:tweetup_edit", args=[tweetup.slug])
        form = client.get(url)
        assert 'value="Berlin, Germany"' in form.text
        data = form_data(city=berlin.pk, city_query="Berlin, Germany", title="Same place")
        client.post(url, data)
        tweetup.refresh_from_db()
        assert (tweetup.city, tweetup.title) == (berlin, "Same place")
        client.post(url, form_data(city=berlin.pk, city_query="Reykjavik"))
        tweetup.refresh_from_db()
        assert tweetup.city.slug == "reykjavik-is"


class TestCityFromGazetteer:
    def test_get_or_create(self):
        city = city_from_gazetteer(geoname_id=REYKJAVIK)
        assert city_from_gazetteer(geoname_id=REYKJAVIK) == city
        assert City.objects.count() == 1

    def test_an_older_row_holding_the_slug_gets_a_suffix_never_a_clash(self):
        CityFactory(name="Reykjavik IS", slug="reykjavik-is", timezone="Atlantic/Reykjavik")
        assert city_from_gazetteer(geoname_id=REYKJAVIK).slug == "reykjavik-is-2"

    def test_unknown_id(self):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            city_from_gazetteer(geoname_id=999_999_999)


class TestBrowse:
    def test_cities_with_upcoming_tweetups_by_country_with_counts(self, client, berlin):
        munich = CityFactory(name="Munich", slug="munich-de", country="Germany")
        tokyo = CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
        quiet = CityFactory(name="Quiet", country="Iceland", timezone="Atlantic/Reykjavik")
        TweetupFactory.create_batch(2, city=berlin)
        TweetupFactory(city=munich)
        TweetupFactory(city=tokyo)
        TweetupFactory(city=tokyo, status=Tweetup.Status.CANCELLED)
        long_ago = timezone.now() - timedelta(days=5)
        TweetupFactory(city=quiet, starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))

        html = client.get(reverse("events:city_pick")).text
        germany = html[html.index('id="country-germany"') : html.index('id="country-japan"')]
        assert "· 3 upcoming" in germany
        assert "Berlin" in germany and "2 upcoming" in germany and "Munich" in germany
        japan = html[html.index('id="country-japan"') :]
        assert "· 1 upcoming" in japan
        assert "Quiet" not in html  # only past tweetups
        assert "4 upcoming tweetups in 2 countries" in html

    def test_query_count_does_not_grow(self, client, settings, django_assert_num_queries):
        settings.PAGE_CACHE_SECONDS = 0
        for i in range(2):
            TweetupFactory(city=CityFactory(name=f"Town {i}", country=f"Land {i}"))
        with django_assert_num_queries(1):
            client.get(reverse("events:city_pick"))
        for i in range(2, 12):
            TweetupFactory(city=CityFactory(name=f"Town {i}", country=f"Land {i % 3}"))
        with django_assert_num_queries(1):
            assert "Town 11" in client.get(reverse("events:city_pick")).text

    def test_empty_invites_to_organize(self, client, db):
        html = client.get(reverse("events:city_pick")).text
        assert "Be the first" in html
        assert 'href="/new/"' in html

    def test_the_home_pages_picker_still_redirects(self, client, berlin):
        response = client.get(reverse("events:city_pick"), {"city": "berlin"})
        assert response.status_code == 302
        assert response["Location"] == berlin.get_absolute_url()
        assert client.get(reverse("events:city_pick"), {"city": "nowhere"}).status_code == 404

    def test_header_links_to_it(self, client, db):
        assert '<a href="/cities/">Cities</a>' in client.get("/").text

    def test_a_city_with_nothing_planned_invites_you(self, client, berlin):
        html = client.get(berlin.get_absolute_url()).text
        assert "Be the first in Berlin" in html
        assert 'href="/new/?city=berlin"' in html


def test_migration_gives_the_first_cities_their_place(db):
    migration = importlib.import_module("events.migrations.0010_demo_cities_places")
    berlin = City.objects.create(
        name="Berlin", country="Germany", slug="berlin", timezone="Europe/Berlin"
    )
    other = City.objects.create(name="Berlin", country="Canada", slug="b", timezone="UTC")
    migration.place_demo_cities(apps, None)
    berlin.refresh_from_db()
    other.refresh_from_db()
    assert (berlin.geoname_id, berlin.country_code, round(berlin.latitude)) == (2950159, "DE", 53)
    assert other.geoname_id is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_organizing_in_a_new_city_at_once_get_one_row():
    workers = 6
    barrier = threading.Barrier(workers)
    made, errors = [], []

    def organize_there():
        try:
            barrier.wait(timeout=30)
            made.append(city_from_gazetteer(geoname_id=REYKJAVIK).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=organize_there) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == workers and len(set(made)) == 1
    assert City.objects.get().slug == "reykjavik-is"
