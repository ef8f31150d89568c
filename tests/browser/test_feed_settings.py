"""The calendar feeds page in a browser: the network's feed has its own address, made and
turned off without touching the feed of one's own tweetups (issue 12)."""

import pytest
from playwright.sync_api import expect

from feeds.models import CalendarFeedToken
from tests.browser.conftest import assert_accessible, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_network_feed_is_made_and_turned_off_on_its_own(people):
    page = people("feed_fay").sign_in().page
    page.goto("/feeds/")
    page.get_by_role("button", name="Get my feed address").click()
    mine = page.get_by_label("Your private feed address").input_value()
    assert mine.endswith("/calendar.ics")

    page.get_by_role("button", name="Get my network feed address").click()
    network = page.get_by_label("Your network's private feed address")
    address = network.input_value()
    assert address.endswith("/network.ics") and address.split("/")[-2] != mine.split("/")[-2]
    expect(page.get_by_text("Your feed is on.")).to_be_visible()
    screenshot(page, "feeds-network-address")
    assert_accessible(page)

    page.get_by_role("button", name="Turn the network feed off").click()
    expect(page.get_by_text("Your network's calendar feed is off.")).to_be_visible()
    expect(page.get_by_text("You have no network feed yet.")).to_be_visible()
    expect(page.get_by_text("Your feed is on.")).to_be_visible()
    screenshot(page, "feeds-network-off")
    assert list(CalendarFeedToken.objects.values_list("kind", flat=True)) == ["mine"]
    assert page.request.get(mine).status == 200
    assert page.request.get(address).status == 404
