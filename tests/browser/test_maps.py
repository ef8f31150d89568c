"""Maps in the browser: a listing switched to its map, near me with the location granted
and denied, and the venue's pin placed on the organize form. Tiles never leave the machine:
requests for them get a local 1×1 PNG."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.gazetteer import gazetteer
from events.models import Tweetup
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, offline_tiles, screenshot
from tests.factories import CityFactory, TweetupFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

YEAR = datetime.now(UTC).year + 1


# Where near me says the browser is: Alexanderplatz, Berlin.
HERE = {"latitude": 52.5219, "longitude": 13.4132}


def watch_csp(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


@pytest.fixture
def berlin_map(db):
    """Three tweetups: two in Berlin (one pinned near the Brandenburg Gate, one without a
    pin, so at the city's centre), one in Hamburg, 250 km away. The farther Berlin one is
    sooner, so nearest-first is not date order."""
    berlin = CityFactory(name="Berlin", country="Germany", latitude=52.52437, longitude=13.41053)
    hamburg = CityFactory(name="Hamburg", country="Germany", latitude=53.55073, longitude=9.99302)
    soon = timezone.now() + timedelta(days=3)
    gate = TweetupFactory(
        city=berlin,
        title="Gate <b>walk</b> & talk",
        venue_latitude=52.5163,
        venue_longitude=13.3777,
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
    )
    centre = TweetupFactory(
        city=berlin,
        title="Mitte coffee",
        starts_at=soon + timedelta(days=1),
        ends_at=soon + timedelta(days=1, hours=2),
    )
    harbour = TweetupFactory(
        city=hamburg,
        title="Harbour meetup",
        venue_latitude=53.5413,
        venue_longitude=9.9841,
        starts_at=soon + timedelta(days=2),
        ends_at=soon + timedelta(days=2, hours=2),
    )
    return {"gate": gate, "centre": centre, "harbour": harbour, "berlin": berlin}


def test_a_listing_switches_to_its_map(browser, site, berlin_map):
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    tiles = offline_tiles(context)
    page = context.new_page()
    csp_errors = watch_csp(page)
    page.goto("/search/")
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_url("**/search/?view=map")
    markers = page.locator(".listing-map .leaflet-marker-icon")
    expect(markers).to_have_count(3)
    # The list is still there, below the map.
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Harbour meetup")).to_be_visible()
    assert tiles, "the map asked for no tiles"

    # A pin's popup links to its tweetup; the title is text, not markup.
    page.locator(".listing-map .leaflet-marker-icon[title='Gate <b>walk</b> & talk']").click()
    popup_link = page.locator(".leaflet-popup-content a")
    expect(popup_link).to_have_text("Gate <b>walk</b> & talk")
    assert popup_link.get_attribute("href") == berlin_map["gate"].get_absolute_url()
    expect(page.locator(".leaflet-popup-content b")).to_have_count(0)
    # Leaflet fades a popup in: checked for contrast half-faded, its text fails (a CI run did).
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    screenshot(page, "map-search")
    assert_accessible(page)

    # A filter changed in place (htmx) keeps the map, with the new results' pins.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Search", exact=True).fill("harbour")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(markers).to_have_count(1)
    expect(results.get_by_role("link", name="Mitte coffee")).to_have_count(0)
    assert "q=harbour" in page.url and "view=map" in page.url
    assert page.evaluate("window.stillTheSamePage === true")

    # A city page's map, then back to the list with the same filters.
    page.goto(berlin_map["berlin"].get_absolute_url() + "?seats=1&view=map")
    expect(page.locator(".listing-map .leaflet-marker-icon")).to_have_count(2)
    page.set_viewport_size(PHONE)
    screenshot(page, "map-city")
    page.get_by_role("link", name="List", exact=True).click()
    page.wait_for_url("**?seats=1")
    expect(page.locator(".listing-map")).to_have_count(0)
    assert csp_errors == []
    context.close()


def test_without_javascript_the_map_view_is_the_list(browser, site, berlin_map):
    context = browser.new_context(viewport=DESKTOP, base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/search/?view=map")
    expect(page.get_by_text("The map needs JavaScript")).to_be_visible()
    for tweetup in berlin_map.values():
        if isinstance(tweetup, Tweetup):
            expect(page.get_by_role("link", name=tweetup.title)).to_be_visible()
    expect(page.get_by_role("button", name="Near me")).to_be_hidden()
    context.close()


def test_near_me_with_the_location_granted(browser, site, berlin_map):
    context = browser.new_context(
        viewport=PHONE, base_url=site.url, permissions=["geolocation"], geolocation=HERE
    )
    offline_tiles(context)
    page = context.new_page()
    csp_errors = watch_csp(page)
    page.goto("/search/?view=map")
    page.get_by_role("button", name="Near me").click()
    page.wait_for_url("**lat=52.52**")
    assert "lon=13.41" in page.url and "view=map" in page.url
    results = page.locator("#results")
    expect(results.get_by_text("nearest first")).to_be_visible()
    titles = results.locator(".tweetup-row h3 a")
    # The city's centre is 0.3 km away, the gate 2.4 km: nearest first, Hamburg left out.
    expect(titles).to_have_text(["Mitte coffee", "Gate <b>walk</b> & talk"])
    expect(page.locator(".listing-map .leaflet-marker-icon")).to_have_count(2)
    screenshot(page, "near-me-granted")
    assert_accessible(page)

    # The URL alone gives the same page (a plain GET: it can be shared or reloaded).
    page.reload()
    expect(titles).to_have_text(["Mitte coffee", "Gate <b>walk</b> & talk"])
    assert csp_errors == []
    context.close()


def test_near_me_denied_offers_the_city_picker(browser, site, berlin_map):
    gazetteer()  # the live server runs in this process: its first suggestion needn't wait
    context = browser.new_context(viewport=DESKTOP, base_url=site.url)  # no permission
    page = context.new_page()
    csp_errors = watch_csp(page)
    page.goto("/search/")
    page.get_by_role("button", name="Near me").click()
    denied = page.locator("[data-near-me-denied]")
    expect(denied).to_be_visible()
    expect(denied.get_by_role("heading", name="We couldn't use your location")).to_be_visible()
    assert "lat=" not in page.url
    city = denied.get_by_label("Find a city, anywhere")
    city.press_sequentially("Berl")
    expect(denied.get_by_role("link", name="Berlin Germany")).to_be_visible()
    screenshot(page, "near-me-denied")
    assert_accessible(page)
    denied.get_by_role("link", name="Berlin Germany").click()
    page.wait_for_url(f"**{berlin_map['berlin'].get_absolute_url()}")
    assert csp_errors == []
    context.close()


def test_organizer_places_the_venue_pin(people, berlin_map):
    person = people("pin_organizer")
    offline_tiles(person.context)
    page = person.sign_in().page
    page.goto("/new/?city=berlin")
    page.get_by_label("Title", exact=True).fill("Pinned tweetup")
    page.get_by_label("Starts").fill(f"{YEAR}-03-01T19:00")
    page.get_by_label("Ends").fill(f"{YEAR}-03-01T21:00")
    page.get_by_label("Venue", exact=True).fill("Café am Platz")
    page.get_by_label("Hashtag").fill("#PinnedTweetup")
    page.get_by_label("Tech", exact=True).check()

    venue_map = page.locator("[data-venue-map]")
    expect(venue_map).to_be_visible()
    latitude, longitude = page.get_by_label("Latitude"), page.get_by_label("Longitude")
    expect(latitude).to_have_value("")
    venue_map.scroll_into_view_if_needed()
    box = venue_map.bounding_box()
    venue_map.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.4})
    pin = venue_map.locator(".leaflet-marker-icon")
    expect(pin).to_have_count(1)
    clicked = float(latitude.input_value()), float(longitude.input_value())
    # Berlin's map starts on the city: the click is within a few km of its centre.
    assert abs(clicked[0] - 52.524) < 0.1 and abs(clicked[1] - 13.41) < 0.2

    # Dragging the pin moves the point.
    pin_box = pin.bounding_box()
    start_x, start_y = pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"] - 4
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 40, start_y + 30, steps=8)
    page.mouse.up()
    expect(latitude).not_to_have_value(f"{clicked[0]:.6f}")
    dragged = float(latitude.input_value()), float(longitude.input_value())
    assert dragged[0] < clicked[0] and dragged[1] > clicked[1]  # south and east
    screenshot(page, "venue-pin")
    assert_accessible(page)

    page.get_by_role("button", name="Publish tweetup").click()
    page.wait_for_url("**#share")
    tweetup = Tweetup.objects.get(title="Pinned tweetup")
    assert (tweetup.venue_latitude, tweetup.venue_longitude) == pytest.approx(dragged, abs=1e-6)

    # The edit form shows the pin where it was saved.
    page.goto(f"/t/{tweetup.slug}/edit/")
    expect(page.locator("[data-venue-map] .leaflet-marker-icon")).to_have_count(1)
    assert float(page.get_by_label("Latitude").input_value()) == pytest.approx(dragged[0])
