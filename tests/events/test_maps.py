"""Maps: the tile host in the CSP, a listing's map view (?view=map), near me's nearest-first
results, and the venue's point on the organize and edit forms."""

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Tweetup
from tests.events.test_search import unbounded_scans
from tests.factories import CityFactory, TweetupFactory, UserFactory
from tests.pages import form_data
from tweetups.settings.security import _tile_origin

pytestmark = pytest.mark.django_db

SEARCH = reverse("events:search")
HOSTILE = '<script>alert(1)</script>" onmouseover="x'


@pytest.fixture
def berlin(db):
    return CityFactory(name="Berlin", country="Germany", latitude=52.52437, longitude=13.41053)


@pytest.fixture
def hamburg(db):
    return CityFactory(
        name="Hamburg",
        country="Germany",
        timezone="Europe/Berlin",
        latitude=53.55073,
        longitude=9.99302,
    )


def soon(days: int = 3):
    start = timezone.now() + timedelta(days=days)
    return {"starts_at": start, "ends_at": start + timedelta(hours=2)}


def pins(text: str) -> list[dict]:
    """The data- attributes of every row that is a pin on the map."""
    rows = re.findall(r"<li [^>]*data-pin[^>]*>", text)
    return [
        {name: html.unescape(value) for name, value in re.findall(r'data-([a-z]+)="([^"]*)"', row)}
        | {"approximate": "data-approximate" in row}
        for row in rows
    ]


def titles(text: str) -> list[str]:
    """The titles of the listed tweetups, in order."""
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', text)


# --- CSP ---------------------------------------------------------------------------------


def test_csp_allows_the_tile_host_and_nothing_inline(client, berlin):
    response = client.get(berlin.get_absolute_url() + "?view=map")
    csp = response["Content-Security-Policy"]
    img_src = next(d for d in csp.split(";") if d.strip().startswith("img-src")).split()
    assert "https://tile.openstreetmap.org" in img_src
    assert "https:" not in img_src  # no longer any https host
    assert "'unsafe-inline'" not in csp and "'nonce-" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "<script>" not in response.text and "style=" not in response.text
    assert settings.MAP_TILE_URL in response.text  # the map's box names the same server


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://tiles.example.com:8443/osm/{z}/{x}/{y}.png", "https://tiles.example.com:8443"),
    ],
)
def test_tile_origin_is_the_url_host(url, origin):
    assert _tile_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "http://tile.openstreetmap.org/{z}/{x}/{y}.png",  # not https
        "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",  # several hosts
        "tile.openstreetmap.org/{z}/{x}/{y}.png",
    ],
)
def test_tile_urls_the_csp_cannot_name_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        _tile_origin(url)


# --- The map view -------------------------------------------------------------------------


def test_map_view_pins_each_row_with_its_title_escaped(client, berlin):
    pinned = TweetupFactory(
        city=berlin, title=HOSTILE, venue_latitude=52.5163, venue_longitude=13.3777, **soon(3)
    )
    unpinned = TweetupFactory(city=berlin, title="No pin", **soon(4))
    response = client.get(SEARCH + "?view=map")
    text = response.text
    assert "<script>alert(1)" not in text and 'onmouseover="x' not in text
    assert "data-listing-map" in text
    assert "vendor/leaflet/leaflet.js" in text and "js/maps.js" in text
    assert pins(text) == [
        {
            "lat": "52.5163",
            "lon": "13.3777",
            "title": HOSTILE,
            "url": pinned.get_absolute_url(),
            "approximate": False,
        },
        {
            "lat": "52.52437",
            "lon": "13.41053",
            "title": "No pin",
            "url": unpinned.get_absolute_url(),
            "approximate": True,  # at the city's centre
        },
    ]
    # The list is still there for whoever has no JavaScript or no tiles.
    assert text.count('class="card tweetup-row"') == 2
    assert "The map needs JavaScript" in text


def test_list_view_has_no_map_and_no_leaflet(client, berlin):
    TweetupFactory(city=berlin, title="Listed", **soon())
    text = client.get(berlin.get_absolute_url()).text
    assert "Listed" in text
    assert "data-listing-map" not in text and "data-pin" not in text
    assert "vendor/leaflet" not in text
    assert 'href="?view=map"' in text  # the toggle


def test_the_view_is_kept_by_the_toggle_filters_and_pages(client, berlin, settings):
    settings.TWEETUPS_PER_PAGE = 1
    for days in (3, 4):
        TweetupFactory(city=berlin, **soon(days))
    text = client.get(berlin.get_absolute_url() + "?seats=1&view=map").text
    assert 'href="?seats=1&amp;view=map&amp;page=2"' in text  # next page, still the map
    assert 'href="?seats=1"' in text  # the toggle back to the list keeps the filters
    assert '<input type="hidden" name="view" value="map">' in text  # the filter form too
    assert "Clear filters" in text
    assert "Clear filters" not in client.get(berlin.get_absolute_url() + "?view=map").text


def test_a_city_without_coordinates_has_no_pins(client):
    nowhere = CityFactory(name="Atlantis", country="Nowhere")
    TweetupFactory(city=nowhere, title="Lost", **soon())
    text = client.get(nowhere.get_absolute_url() + "?view=map").text
    assert "Lost" in text and pins(text) == []


@pytest.mark.parametrize("rows", [2, 12])
def test_map_view_query_count_is_fixed(client, berlin, hamburg, rows, settings):
    for number in range(rows):
        TweetupFactory(city=berlin if number % 2 else hamburg, **soon(number + 1))
    settings.PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SEARCH + "?view=map")
    assert len(pins(response.text)) == min(rows, settings.TWEETUPS_PER_PAGE)
    assert len(ctx.captured_queries) == 2  # topics (the filter form), one page


def test_visitors_get_the_map_view_from_the_cache_apart_from_the_list(berlin):
    TweetupFactory(city=berlin, **soon())
    visitor = Client()
    url = berlin.get_absolute_url()
    assert visitor.get(url + "?view=map")["X-Cache"] == "miss"
    cached = visitor.get(url + "?view=map")
    assert cached["X-Cache"] == "hit" and "data-listing-map" in cached.text
    assert cached["Cache-Control"].startswith("public")
    assert "data-listing-map" not in visitor.get(url).text
    assert "Set-Cookie" not in cached


def test_a_view_that_is_not_a_view_is_the_list(client, berlin):
    response = client.get(berlin.get_absolute_url() + "?view=%3Cb%3E")
    assert response.status_code == 200
    assert "data-listing-map" not in response.text
    assert "Show the tweetups as a list or on a map." in response.text
    assert "<b>" not in response.text


# --- Near me ------------------------------------------------------------------------------


def test_near_me_is_nearest_first_within_the_distance(client, berlin, hamburg):
    # Near Alexanderplatz: the city's centre is 0.3 km away, the gate 2.4 km, Hamburg 250.
    gate = TweetupFactory(
        city=berlin, title="Gate", venue_latitude=52.5163, venue_longitude=13.3777, **soon(1)
    )
    centre = TweetupFactory(city=berlin, title="Centre", **soon(2))
    TweetupFactory(city=hamburg, title="Harbour", **soon(3))
    response = client.get(SEARCH + "?lat=52.52&lon=13.41&view=map")
    assert titles(response.text) == [centre.title, gate.title]  # not date order: nearest first
    assert "0.5 km away" in response.text and "2.2 km away" in response.text
    assert "nearest first" in response.text
    assert [pin["title"] for pin in pins(response.text)] == ["Centre", "Gate"]

    wider = client.get(SEARCH + "?lat=52.52&lon=13.41&km=300")
    assert titles(wider.text) == ["Centre", "Gate", "Harbour"]


def test_near_me_on_a_city_page_is_nearest_first_too(client, berlin):
    far = TweetupFactory(
        city=berlin, title="Far", venue_latitude=52.45, venue_longitude=13.30, **soon(1)
    )
    near = TweetupFactory(
        city=berlin, title="Near", venue_latitude=52.521, venue_longitude=13.411, **soon(2)
    )
    text = client.get(berlin.get_absolute_url() + "?lat=52.52&lon=13.41").text
    assert titles(text) == [near.title, far.title]


def test_near_me_button_asks_nothing_until_clicked_and_offers_the_city_picker(client, berlin):
    text = client.get(SEARCH).text
    # Hidden until maps.js shows it; no location is asked for on load (nothing inline).
    assert re.search(r"<button [^>]*data-near-me hidden[^>]*>Near me</button>", text)
    denied = text[text.index("data-near-me-denied") :]
    assert "hidden" in denied[: denied.index(">")]
    assert reverse("events:city_search") in denied and reverse("events:city_pick") in denied


@pytest.mark.parametrize(
    "query", ["lat=91&lon=0", "lat=0&lon=-181", "lat=nan&lon=1", "lat=1&lon=inf", "lat=1"]
)
def test_near_me_with_impossible_points_is_a_message(client, berlin, query):
    TweetupFactory(city=berlin, title="Still listed", **soon())
    response = client.get(SEARCH + "?" + query + "&view=map")
    assert response.status_code == 200
    assert "didn't make sense" in response.text and "Still listed" in response.text


# --- The venue's point on the organize and edit forms --------------------------------------


def test_the_organizer_places_the_venue(client, berlin, user):
    client.force_login(user)
    form = client.get(reverse("events:tweetup_new") + "?city=berlin").text
    assert "data-venue-map" in form and 'data-centre-lat="52.52437"' in form
    assert "vendor/leaflet/leaflet.js" in form
    data = form_data(berlin, venue_latitude="52.51630049", venue_longitude="13.3777")
    response = client.post(reverse("events:tweetup_new"), data)
    assert response.status_code == 302
    tweetup = Tweetup.objects.get()
    assert (tweetup.venue_latitude, tweetup.venue_longitude) == (52.5163, 13.3777)
    assert tweetup.point == (52.5163, 13.3777)


def test_the_venue_point_is_optional(client, berlin, user):
    client.force_login(user)
    data = form_data(berlin, venue_latitude="", venue_longitude="")
    assert client.post(reverse("events:tweetup_new"), data).status_code == 302
    tweetup = Tweetup.objects.get()
    assert tweetup.venue_latitude is None and tweetup.venue_longitude is None


@pytest.mark.parametrize(
    ("lat", "lon", "field", "message"),
    [
        ("91", "13.4", "venue_latitude", "A latitude is a number from −90 to 90."),
        ("-90.5", "13.4", "venue_latitude", "A latitude is a number from −90 to 90."),
        ("52.5", "180.01", "venue_longitude", "A longitude is a number from −180 to 180."),
        ("52.5", "-181", "venue_longitude", "A longitude is a number from −180 to 180."),
        ("north", "13.4", "venue_latitude", "A latitude is a number from −90 to 90."),
        ("nan", "13.4", "venue_latitude", "A latitude is a number from −90 to 90."),
        ("52.5", "inf", "venue_longitude", "A longitude is a number from −180 to 180."),
        ("52.5", "", "venue_longitude", "Give both a latitude and a longitude"),
        ("", "13.4", "venue_latitude", "Give both a latitude and a longitude"),
    ],
)
def test_bad_venue_points_get_a_message_and_keep_what_was_typed(
    client, berlin, user, lat, lon, field, message
):
    client.force_login(user)
    data = form_data(berlin, title="Typed title", venue_latitude=lat, venue_longitude=lon)
    response = client.post(reverse("events:tweetup_new"), data)
    assert response.status_code == 200
    assert Tweetup.objects.count() == 0
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    text = response.text
    assert f'id="id_{field}_error"' in text
    assert 'value="Typed title"' in text
    for name, value in (("venue_latitude", lat), ("venue_longitude", lon)):
        if value:
            assert re.search(rf'name="{name}" value="{re.escape(value)}"', text), name


def test_edit_moves_and_removes_the_pin(client, berlin, user):
    tweetup = TweetupFactory(
        city=berlin, organizer=user, venue_latitude=52.5, venue_longitude=13.4, **soon()
    )
    client.force_login(user)
    url = reverse("events:tweetup_edit", args=[tweetup.slug])
    page = client.get(url).text
    assert 'name="venue_latitude" value="52.5"' in page
    data = form_data(berlin, hashtag=f"#{tweetup.hashtag}")
    data |= {"title": tweetup.title, "venue_latitude": "52.49", "venue_longitude": "13.42"}
    data |= {
        "starts_at": tweetup.local_starts_at.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": tweetup.local_ends_at.strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(url, data).status_code == 302
    tweetup.refresh_from_db()
    assert (tweetup.venue_latitude, tweetup.venue_longitude) == (52.49, 13.42)
    assert client.post(url, data | {"venue_latitude": "", "venue_longitude": ""}).status_code == 302
    tweetup.refresh_from_db()
    assert tweetup.venue_latitude is None and tweetup.point == (52.52437, 13.41053)


def test_only_the_organizer_moves_the_pin(berlin, user):
    tweetup = TweetupFactory(
        city=berlin, organizer=user, venue_latitude=52.5, venue_longitude=13.4, **soon()
    )
    url = reverse("events:tweetup_edit", args=[tweetup.slug])
    data = form_data(berlin, venue_latitude="10", venue_longitude="10")
    anonymous = Client()
    assert anonymous.get(url).status_code == 302
    assert anonymous.post(url, data)["Location"].startswith(reverse("account_login"))
    someone = Client()
    someone.force_login(UserFactory())
    assert someone.get(url).status_code == 403
    assert someone.post(url, data).status_code == 403
    tweetup.refresh_from_db()
    assert (tweetup.venue_latitude, tweetup.venue_longitude) == (52.5, 13.4)


def test_city_suggestions_carry_the_city_centre(client, user):
    client.force_login(user)
    response = client.get(
        reverse("events:city_search") + "?city_query=Reykjav", headers={"HX-Request": "true"}
    )
    button = re.search(r"<button [^>]*data-city-label=\"Reykjavík, Iceland\"[^>]*>", response.text)
    assert button, response.text
    lat = float(re.search(r'data-city-lat="([^"]+)"', button.group()).group(1))
    lon = float(re.search(r'data-city-lon="([^"]+)"', button.group()).group(1))
    assert abs(lat - 64.14) < 0.1 and abs(lon + 21.9) < 0.1


@pytest.mark.postgres
def test_nearest_first_is_served_by_indexes(berlin, hamburg):
    """Sorting by distance sorts only the rows the boxes around the point let through."""
    TweetupFactory(city=berlin, venue_latitude=52.5, venue_longitude=13.4, **soon())
    TweetupFactory(city=hamburg, **soon())
    tweetups = Tweetup.objects.scheduled().upcoming().within_km(52.52, 13.41, 25).nearest_first()
    assert unbounded_scans(tweetups[:21]) == []


def test_the_tweetup_page_links_to_the_pin_on_openstreetmap(client, berlin):
    pinned = TweetupFactory(city=berlin, venue_latitude=52.5163, venue_longitude=13.3777, **soon())
    text = client.get(pinned.get_absolute_url()).text
    assert (
        "https://www.openstreetmap.org/?mlat=52.516300&amp;mlon=13.377700"
        "#map=18/52.516300/13.377700"
    ) in text
    unpinned = TweetupFactory(city=berlin, **soon(4))
    assert "openstreetmap.org/search?query=" in client.get(unpinned.get_absolute_url()).text
