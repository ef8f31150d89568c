"""Finding a tweetup in the browser: a typo in the header's search box, then this weekend,
in place with htmx and with JavaScript off; desktop and phone screenshots."""

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from events.discovery_forms import date_span
from tests.browser.conftest import DESKTOP, assert_accessible, screenshot
from tests.factories import CityFactory, TweetupFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_drinks(db):
    from django.utils import timezone

    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    # The last day of this weekend (search pages count days from UTC's today), at noon in
    # Berlin, lasting into the next day: still on whenever this test runs this weekend.
    _, sunday = date_span("weekend", timezone.now().date())
    starts = datetime.combine(sunday, time(12), tzinfo=berlin.tzinfo)
    TweetupFactory(
        city=berlin,
        title="Kreuzberg Tech Drinks",
        starts_at=starts,
        ends_at=starts + timedelta(hours=23),
    )
    later = starts + timedelta(days=14)
    TweetupFactory(
        city=berlin,
        title="Kreuzberg Tech Drinks: the sequel",
        starts_at=later,
        ends_at=later + timedelta(hours=3),
    )


def test_search_with_a_typo_then_this_weekend(people, two_drinks):
    page = people("searcher").page
    page.goto("/")
    page.get_by_label("Search tweetups").fill("Kreuzberg Tech Drinsk")
    page.get_by_label("Search tweetups").press("Enter")
    page.wait_for_url("**/search/?q=Kreuzberg+Tech+Drinsk")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks: the sequel")).to_be_visible()
    screenshot(page, "search-typo")
    assert_accessible(page)

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("When").select_option(label="This weekend")
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks: the sequel")).to_have_count(0)
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks", exact=True)).to_be_visible()
    assert "when=weekend" in page.url and "q=Kreuzberg" in page.url  # the URL follows
    assert page.evaluate("window.stillTheSamePage === true")  # updated in place
    screenshot(page, "search-this-weekend")
    assert_accessible(page)


def test_filters_work_with_javascript_off(browser, site, two_drinks):
    context = browser.new_context(viewport=DESKTOP, base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/search/?q=Kreuzberg+Tech+Drinsk")
    page.get_by_label("When").select_option(label="This weekend")
    page.get_by_role("button", name="Show tweetups").click()
    page.wait_for_url("**when=weekend**")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Kreuzberg Tech Drinks: the sequel")).to_have_count(0)
    context.close()
