"""Issue #11's journey, its seven steps in order, at desktop and phone widths: a search
with a typo in a city's name, this weekend, the map (tiles answered locally), near me
granted (the browser's location) and denied (a second browser: the city picker), organizing
in a city the site has never seen (Reykjavík, from the city suggestions), subscribing to
its calendar (parsed here: city time with its TZID), and posting the tweetup on X. Then home
shows the week in the city looked at last. (tests/browser/test_maps.py tests the map and
near me in detail.) A screenshot of each step goes to
tests/artifacts/discovery-<step>-<width>.png."""

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from events.discovery_forms import date_span
from events.gazetteer import gazetteer
from events.models import Tweetup
from tests.browser.conftest import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    assert_accessible,
    full_page_shot,
    offline_tiles,
)
from tests.factories import CityFactory, TopicFactory, TweetupFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = datetime.now(UTC).year + 1
TITLE = "Sunset Tweetup at the Tagus"
SEQUEL = "Sunset Tweetup at the Tagus: encore"


@pytest.fixture(autouse=True)
def _gazetteer_loaded():
    # The live server runs in this process: its first suggestion needn't wait for the load.
    gazetteer()


@pytest.fixture
def lisbon_sunsets(db, a_topic):
    """Two tweetups a typo should find: one on the last day of this weekend (search pages
    count days from UTC's today), noon in Lisbon and lasting into the next day, so it is on
    whenever this runs this weekend; and its encore two weeks later."""
    from django.utils import timezone

    lisbon = CityFactory(
        name="Lisbon",
        country="Portugal",
        timezone="Europe/Lisbon",
        latitude=38.72509,
        longitude=-9.1498,
    )
    _, sunday = date_span("weekend", timezone.now().date())
    starts = datetime.combine(sunday, time(12), tzinfo=lisbon.tzinfo)
    books = TopicFactory(name="Books")
    weekend = TweetupFactory(
        city=lisbon,
        title=TITLE,
        starts_at=starts,
        ends_at=starts + timedelta(hours=23),
        venue_name="Cais das Colunas",
        venue_address="Praça do Comércio",
        venue_latitude=38.7069,
        venue_longitude=-9.1366,
    )
    weekend.topics.add(a_topic, books)
    later = starts + timedelta(days=14)
    encore = TweetupFactory(
        city=lisbon,
        title=SEQUEL,
        starts_at=later,
        ends_at=later + timedelta(hours=3),
        venue_name="Miradouro de Santa Catarina",
        venue_address="Rua de Santa Catarina",
    )
    encore.topics.add(a_topic)


# Where near me's browser says it is: Rossio, Lisbon, about 1 km from the weekend's venue.
ROSSIO = {"latitude": 38.7139, "longitude": -9.1394}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def shot(page, step: str, width: str) -> None:
    full_page_shot(page, ARTIFACTS / f"discovery-{step}-{width}.png")


def assert_fits(page) -> None:
    """Nothing sticks out sideways: the page is no wider than the screen, once loaded (a
    check run before the stylesheet applies sees the page unstyled)."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(
            "document.documentElement.scrollWidth <= window.innerWidth + 1", timeout=3000
        )
    except PlaywrightTimeoutError:
        width = page.evaluate("document.documentElement.scrollWidth")
        pytest.fail(f"{page.url} is {width}px wide on a {page.viewport_size['width']}px screen")


def assert_header_on_one_row(page) -> None:
    """Signed in, the account menu sits beside Organize, not wrapped onto a row of its own,
    and the brand is on that row too."""

    def middle(locator) -> float:
        box = locator.bounding_box()
        return box["y"] + box["height"] / 2

    header = page.locator(".site-header")
    organize = middle(header.get_by_role("link", name="Organize"))
    assert abs(middle(header.get_by_label("Your account")) - organize) < 6
    assert abs(middle(header.locator(".brand-mark")) - organize) < 6


def strict_ics_lines(body: bytes) -> list[str]:
    """RFC 5545's framing, checked by hand before icalendar reads it: CRLF line ends,
    folded lines at most 75 octets, BEGIN/END balanced, one VCALENDAR."""
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    unfolded: list[str] = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            unfolded[-1] += line[1:].decode()
        else:
            unfolded.append(line.decode())
    stack = []
    for line in unfolded:
        if line.startswith("BEGIN:"):
            stack.append(line[6:])
        elif line.startswith("END:"):
            assert stack.pop() == line[4:]
    assert stack == [] and unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    return unfolded


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_find_map_near_me_organize_subscribe_and_share(
    people, browser, site, lisbon_sunsets, width
):
    person = people(f"finder_{width}")  # X handles: at most 15 characters
    page = person.page
    page.set_viewport_size(SIZES[width])
    tiles = offline_tiles(person.context)

    # 0. Home: the busiest this week, popular topics, the busiest cities, Near me.
    page.goto("/")
    expect(page.get_by_role("heading", name="Busiest this week")).to_be_visible()
    expect(page.get_by_role("link", name="Near me")).to_be_visible()
    topics = page.locator("section[aria-labelledby=topics-title]")
    expect(topics.get_by_role("link", name="Tech 2 upcoming")).to_be_visible()
    cities = page.locator("section[aria-labelledby=cities-title]")
    expect(cities.get_by_role("link", name="Lisbon Portugal · 2 upcoming")).to_be_visible()
    assert_fits(page)
    shot(page, "0-home", width)
    assert_accessible(page)

    # 1. Search with a typo in the city's name, from the header's box: Lisbon's tweetups.
    box = page.get_by_label("Search tweetups")
    box.fill("Lisbn")
    box.press("Enter")
    page.wait_for_url("**/search/?q=Lisbn")
    results = page.locator("#results")
    expect(results.get_by_role("link", name=TITLE, exact=True)).to_be_visible()
    expect(results.get_by_role("link", name=SEQUEL)).to_be_visible()
    assert_fits(page)
    shot(page, "1-search-typo", width)
    assert_accessible(page)

    # 2. This weekend: the results change in place and the URL follows.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("When").select_option(label="This weekend")
    expect(results.get_by_role("link", name=SEQUEL)).to_have_count(0)
    expect(results.get_by_role("link", name=TITLE, exact=True)).to_be_visible()
    page.wait_for_url("**when=weekend**")
    pushed = parse_qs(urlsplit(page.url).query)
    assert (pushed["q"], pushed["when"]) == (["Lisbn"], ["weekend"])
    assert page.evaluate("window.stillTheSamePage === true")
    assert_fits(page)
    shot(page, "2-this-weekend", width)
    assert_accessible(page)

    # 3. The map of the same results: one pin, at the weekend's venue; tiles asked for.
    page.get_by_role("link", name="Map", exact=True).click()
    page.wait_for_url("**view=map**")
    pushed = parse_qs(urlsplit(page.url).query)
    assert (pushed["q"], pushed["when"], pushed["view"]) == (["Lisbn"], ["weekend"], ["map"])
    pins = page.locator(".listing-map .leaflet-marker-icon")
    expect(pins).to_have_count(1)
    expect(page.locator(f".listing-map .leaflet-marker-icon[title='{TITLE}']")).to_be_visible()
    expect(results.get_by_role("link", name=TITLE, exact=True)).to_be_visible()  # the list too
    assert tiles, "the map asked for no tiles"
    assert_fits(page)
    shot(page, "3-map", width)
    assert_accessible(page)

    # 4a. Near me, granted (asked on the click only), the words cleared: this weekend's
    # tweetups within 25 km, nearest first, still on the map.
    person.context.set_geolocation(ROSSIO)
    person.context.grant_permissions(["geolocation"], origin=site.url)
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_role("button", name="Near me").click()
    page.wait_for_url("**lat=38.71**")
    pushed = parse_qs(urlsplit(page.url).query)
    assert (pushed["lat"], pushed["lon"]) == (["38.71"], ["-9.14"])
    assert (pushed["when"], pushed["view"]) == (["weekend"], ["map"])
    expect(results.get_by_text("Within 25 km of 38.71, -9.14, nearest first.")).to_be_visible()
    # The heading follows the words (none now), swapped with the results.
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a tweetup")
    expect(results.locator(".tweetup-row h3 a")).to_have_text([TITLE])
    expect(pins).to_have_count(1)
    assert_fits(page)
    shot(page, "4-near-me-granted", width)
    assert_accessible(page)

    # 4b. Near me, denied: another browser that has not allowed it gets the city picker.
    elsewhere = browser.new_context(viewport=SIZES[width], base_url=site.url)
    try:
        offline_tiles(elsewhere)
        denied_page = elsewhere.new_page()
        denied_page.goto("/search/?q=Lisbn&view=map")
        denied_page.get_by_role("button", name="Near me").click()
        denied = denied_page.locator("[data-near-me-denied]")
        expect(denied.get_by_role("heading", name="We couldn't use your location")).to_be_visible()
        assert "lat=" not in denied_page.url
        denied.get_by_label("Find a city, anywhere").press_sequentially("Lisb")
        expect(denied.get_by_role("link", name="Lisbon Portugal")).to_be_visible()
        assert_fits(denied_page)
        shot(denied_page, "4-near-me-denied", width)
        assert_accessible(denied_page)
        denied.get_by_role("link", name="Lisbon Portugal").click()
        denied_page.wait_for_url("**/c/lisbon/")
    finally:
        elsewhere.close()

    # 5. Organize in a city the site has never seen, picked from the suggestions.
    person.sign_in()  # at the journey's width: phones too
    assert_header_on_one_row(page)
    if width == "phone":
        page.set_viewport_size({"width": 320, "height": 700})  # a small phone
        assert_header_on_one_row(page)
        page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Organize").first.click()
    page.get_by_label("Title", exact=True).fill("Northern lights tweetup")
    city = page.get_by_label("City", exact=True)
    city.press_sequentially("Reykj")
    suggestion = page.get_by_role("button", name="Reykjavík Iceland")
    expect(suggestion).to_be_visible()
    assert_fits(page)
    shot(page, "5-city-suggestions", width)
    suggestion.click()
    expect(city).to_have_value("Reykjavík, Iceland")
    page.get_by_label("Starts").fill(f"{YEAR}-02-01T21:00")
    page.get_by_label("Ends").fill(f"{YEAR}-02-01T23:30")
    page.get_by_label("Venue", exact=True).fill("Kaffibarinn")
    page.get_by_label("Hashtag").fill("#NorthernLightsX")
    page.get_by_label("Tech", exact=True).check()
    page.get_by_role("button", name="Publish tweetup").click()
    tweetup = Tweetup.objects.select_related("city").get(title="Northern lights tweetup")
    page.wait_for_url(f"**{tweetup.get_absolute_url()}#share")
    assert (tweetup.city.name, tweetup.city.timezone) == ("Reykjavík", "Atlantic/Reykjavik")
    assert "21:00" in page.locator("time").first.inner_text()
    expect(page.locator("#share").get_by_role("link", name="Post on X")).to_be_visible()
    assert_fits(page)
    shot(page, "5-published", width)
    assert_accessible(page)

    # 6. Subscribe to the new city's calendar: valid iCalendar, in Reykjavík's time.
    page.get_by_role("link", name="Tweetups in Reykjavík").click()
    expect(page.get_by_role("heading", name="Tweetups in Reykjavík")).to_be_visible()
    href = page.get_by_role("link", name="calendar (.ics)").get_attribute("href")
    assert_fits(page)
    shot(page, "6-city-feed", width)
    assert_accessible(page)
    response = requests.get(f"{site.url}{href}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    lines = strict_ics_lines(response.content)
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Northern lights tweetup"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["UID"]) and int(event["SEQUENCE"]) == tweetup.revision
    # 21:00 on Reykjavík's clock, with its zone (UTC's since 1968, still not "Z").
    assert f"DTSTART;TZID=Atlantic/Reykjavik:{YEAR}0201T210000" in lines
    assert f"DTEND;TZID=Atlantic/Reykjavik:{YEAR}0201T233000" in lines
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Atlantic/Reykjavik"]
    starts = event.decoded("DTSTART")
    assert starts == datetime(YEAR, 2, 1, 21, tzinfo=tweetup.city.tzinfo)
    assert event.decoded("DTEND") - starts == timedelta(hours=2, minutes=30)

    # 7. Share on X, from the tweetup's page: the intent carries text, link and hashtag.
    page.get_by_role("link", name="Northern lights tweetup").first.click()
    page.wait_for_url(f"**{tweetup.get_absolute_url()}")
    share = page.locator("#share")
    post = share.get_by_role("link", name="Post on X")
    expect(post).to_be_visible()
    intent = urlsplit(post.get_attribute("href"))
    query = parse_qs(intent.query, strict_parsing=True)
    assert (intent.scheme, intent.netloc, intent.path) == ("https", "x.com", "/intent/post")
    assert sorted(query) == ["hashtags", "text", "url"]
    assert query["url"] == [f"{site.url}{tweetup.get_absolute_url()}"]
    assert query["hashtags"] == ["NorthernLightsX"]  # X adds the # itself
    day = date(YEAR, 2, 1)
    assert query["text"] == [
        f"Northern lights tweetup · {day:%a} 1 Feb {YEAR} · 21:00–23:30 GMT · Reykjavík"
    ]
    share.scroll_into_view_if_needed()
    assert_fits(page)
    shot(page, "7-share", width)
    assert_accessible(page)

    # Home now shows the week in the city looked at last (nothing yet: it is next year).
    page.goto("/")
    week = page.locator("section[aria-labelledby=last-city-title]")
    expect(week.get_by_role("heading", name="This week in Reykjavík")).to_be_visible()
    expect(week.get_by_text("Nothing in Reykjavík this week")).to_be_visible()
    assert_fits(page)
    shot(page, "8-home-signed-in", width)
    assert_accessible(page)


@pytest.fixture
def near_me_context(browser, site):
    made = []

    def make(**options):
        context = browser.new_context(viewport=PHONE, base_url=site.url, **options)
        made.append(context)
        return context.new_page()

    yield make
    for context in made:
        context.close()


def test_near_me_on_home_asks_on_the_click_and_opens_the_search_near_you(near_me_context):
    """Granted: this week's search within 25 km of where the browser says you are.
    Denied: a message, and the city search to type in instead."""
    page = near_me_context(
        geolocation={"latitude": 38.7223, "longitude": -9.1393}, permissions=["geolocation"]
    )
    page.goto("/")
    asked = page.evaluate("navigator.permissions.query({name: 'geolocation'}).then(p => p.state)")
    assert asked == "granted"  # granted by the test: nothing was read before the click
    page.get_by_role("link", name="Near me").click()
    page.wait_for_url("**/search/?**lat=**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"when": ["week"], "lat": ["38.722"], "lon": ["-9.139"], "km": ["25"]}
    expect(page.get_by_label("Within (km)")).to_have_value("25")

    page = near_me_context()  # no permission: the browser says no
    page.goto("/")
    page.get_by_role("link", name="Near me").click()
    status = page.locator("#near-me-status")
    expect(status).to_have_text("We couldn't get your location. Type your city instead.")
    expect(page.get_by_label("What's on in your city?")).to_be_focused()
    assert urlsplit(page.url).path == "/"
    shot(page, "near-me-denied", "phone")
    assert_accessible(page)
