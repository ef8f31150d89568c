"""Organizing in a city the site has never seen, picking it from the suggestions with the
keyboard, and the page of every city."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from events.gazetteer import gazetteer
from events.models import City, Tweetup
from tests.browser.conftest import assert_accessible, screenshot

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = datetime.now(UTC).year + 1

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _gazetteer_loaded():
    # The live server runs in this process: its first suggestion needn't wait for the load.
    gazetteer()


def test_organize_in_reykjavik_from_the_suggestions(people):
    page = people("reykjavik_orga").sign_in().page
    page.goto("/new/")
    page.get_by_label("Title", exact=True).fill("Northern lights tweetup")
    city = page.get_by_label("City", exact=True)
    city.press_sequentially("Reykj")
    suggestion = page.get_by_role("button", name="Reykjavík Iceland")
    expect(suggestion).to_be_visible()
    screenshot(page, "city-suggestions")
    assert_accessible(page)
    city.press("ArrowDown")
    expect(suggestion).to_be_focused()
    page.keyboard.press("Enter")
    expect(city).to_have_value("Reykjavík, Iceland")
    expect(city).to_be_focused()
    page.get_by_label("Starts").fill(f"{YEAR}-02-01T21:00")
    page.get_by_label("Ends").fill(f"{YEAR}-02-01T23:30")
    page.get_by_label("Venue", exact=True).fill("Kaffibarinn")
    page.get_by_label("Hashtag").fill("#NorthernLightsX")
    page.get_by_label("Tech", exact=True).check()
    page.get_by_role("button", name="Publish tweetup").click()

    tweetup = Tweetup.objects.select_related("city").get()
    page.wait_for_url(f"**{tweetup.get_absolute_url()}#share")
    assert tweetup.city.slug == "reykjavik-is"
    assert tweetup.city.timezone == "Atlantic/Reykjavik"
    assert "21:00" in page.locator("time").first.inner_text()

    page.goto("/cities/")
    expect(page.get_by_role("heading", name="Iceland")).to_be_visible()
    screenshot(page, "cities")
    assert_accessible(page)
    page.get_by_role("link", name="Reykjavík").click()
    expect(page.get_by_role("heading", name="Tweetups in Reykjavík")).to_be_visible()


def test_what_was_typed_before_the_scripts_ran_gets_its_suggestions(people):
    """A quick typist (or a slow phone) types into the city field before htmx is listening.
    htmx then takes the typed letters as already seen: without site.js's nudge, no
    suggestion would come until the next key (a CI run once caught the journey so)."""
    page = people("early_typist").sign_in().page
    held = []
    page.route("**/django_htmx/htmx-*.js", lambda route: held.append(route))
    page.goto("/new/", wait_until="commit")
    city = page.get_by_label("City", exact=True)
    city.press_sequentially("Reykj")
    expect(city).to_have_value("Reykj")
    assert len(held) == 1  # htmx had not run while the letters went in
    held[0].continue_()
    expect(page.get_by_role("button", name="Reykjavík Iceland")).to_be_visible()
    # Typing on asks again, as ever.
    city.fill("")
    city.press_sequentially("Berl")
    expect(page.get_by_role("button", name="Berlin Germany")).to_be_visible()


def test_without_javascript_an_ambiguous_city_asks(browser, site, people):
    orga = people("portland_orga").sign_in()
    context = browser.new_context(java_script_enabled=False, base_url=site.url)
    context.add_cookies(orga.context.cookies())
    page = context.new_page()
    try:
        page.goto("/new/")
        page.get_by_label("Title", exact=True).fill("Rose City X friends")
        page.get_by_label("City", exact=True).fill("Portland")
        page.get_by_label("Starts").fill(f"{YEAR}-05-01T19:00")
        page.get_by_label("Ends").fill(f"{YEAR}-05-01T21:00")
        page.get_by_label("Venue", exact=True).fill("Powell's")
        page.get_by_label("Hashtag").fill("#RoseCityX")
        page.get_by_label("Tech", exact=True).check()
        page.get_by_role("button", name="Publish tweetup").click()
        expect(page.get_by_text("More than one city fits “Portland”")).to_be_visible()
        assert page.get_by_label("Title", exact=True).input_value() == "Rose City X friends"
        screenshot(page, "city-which-one")
        page.get_by_role("radio", name="Portland Maine").check()
        page.get_by_label("Tech", exact=True).check()
        page.get_by_role("button", name="Publish tweetup").click()
        page.wait_for_url("**/t/**")
        assert City.objects.get().slug == "portland-maine-us"
    finally:
        context.close()
