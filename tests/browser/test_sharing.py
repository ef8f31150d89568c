"""Sharing and subscribing in a real browser: the organizer's share buttons right after
publishing, Copy link with its confirmation, Post on X, the share sheet only where the
browser has one, and a city's calendar feed that parses."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CityFactory, TweetupFactory

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = datetime.now(UTC).year + 1

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_share_a_new_tweetup_and_subscribe_to_its_city(people, site):
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    organizer = people("share_orga").sign_in()
    page = organizer.page
    organizer.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.get_by_role("link", name="Organize").first.click()
    page.get_by_label("Title", exact=True).fill("Sharing is caring")
    page.get_by_label("City", exact=True).fill("Berlin, Germany")
    page.get_by_label("Starts").fill(f"{YEAR}-04-02T19:00")
    page.get_by_label("Ends").fill(f"{YEAR}-04-02T22:00")
    page.get_by_label("Venue", exact=True).fill("Café Kreuzberg")
    page.get_by_label("Hashtag").fill("#SharingIsCaring")
    page.get_by_label("Tech", exact=True).check()
    page.get_by_role("button", name="Publish tweetup").click()
    page.wait_for_url("**/#share")

    share = page.locator("#share")
    expect(share.get_by_text("It's live!")).to_be_visible()  # the :target nudge
    screenshot(page, "tweetup-share")
    assert_accessible(page)

    post = share.get_by_role("link", name="Post on X")
    intent = urlsplit(post.get_attribute("href"))
    query = parse_qs(intent.query)
    assert (intent.netloc, intent.path) == ("x.com", "/intent/post")
    tweetup_url = page.url.split("#")[0]
    assert query["url"] == [tweetup_url]
    assert query["hashtags"] == ["SharingIsCaring"]
    day = date(YEAR, 4, 2)
    assert query["text"][0].startswith(
        f"Sharing is caring · {day:%a} 2 Apr {YEAR} · 19:00–22:00 CEST"
    )

    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == tweetup_url

    # The share sheet only where the browser has one (desktop Chromium on Linux has not).
    has_share = page.evaluate("typeof navigator.share === 'function'")
    sheet = share.get_by_role("button", name="Share…")
    if has_share:
        expect(sheet).to_be_visible()
    else:
        expect(sheet).to_be_hidden()

    # Subscribe to the city: the page's link gives a calendar a client can read.
    page.goto(berlin.get_absolute_url())
    href = page.get_by_role("link", name="calendar (.ics)").get_attribute("href")
    response = requests.get(f"{site.url}{href}", timeout=10)
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Sharing is caring"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert response.headers["Cache-Control"].startswith("public")


def test_without_javascript_the_link_is_there_to_copy(browser, site):
    tweetup = TweetupFactory(city=CityFactory(name="Berlin"))
    context = browser.new_context(java_script_enabled=False, base_url=site.url)
    page = context.new_page()
    page.goto(tweetup.get_absolute_url())
    field = page.get_by_label("Link to this tweetup")
    expect(field).to_have_value(f"{site.url}{tweetup.get_absolute_url()}")
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    expect(page.get_by_role("link", name="Post on X")).to_be_visible()
    context.close()
