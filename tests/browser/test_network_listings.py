"""Your network on a city page and its own page, in a browser: the badge, the sort kept
while a filter changes (htmx), and the "Your network" page with faces and handles."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CityFactory, TweetupFactory, UserFactory, going, opt_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_badges_sort_and_the_network_page(people):
    person = people("net_viewer").sign_in()
    page = person.page
    viewer = User.objects.get(x_username="net_viewer")
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    friends = [UserFactory(x_username=f"pal_{n}", avatar_url="") for n in range(3)]
    opt_in(viewer, *friends)
    now = timezone.now()

    def tweetup(days, title, capacity=None):
        starts = now + timedelta(days=days)
        return TweetupFactory(
            city=berlin,
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=capacity,
        )

    soon, busy, full = tweetup(1, "Soon drinks"), tweetup(2, "Busy brunch"), tweetup(3, "Full", 1)
    going(soon, friends[0])
    going(busy, *friends)
    going(full, UserFactory())
    full.going_count = 1
    full.save()

    page.goto(berlin.get_absolute_url())
    expect(page.get_by_text("3 people you follow are going")).to_be_visible()
    expect(page.get_by_text("1 person you follow is going")).to_be_visible()
    screenshot(page, "network-city-badges")

    page.get_by_role("link", name="Most people you follow going").click()
    rows = page.locator(".tweetup-row h3")
    expect(rows.first).to_have_text("Busy brunch")
    # A filter changed with htmx keeps the order, and the address says so.
    page.get_by_label("Has seats left").check()
    page.wait_for_url("**seats=on**")
    assert "sort=network" in page.url
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_text("Busy brunch")
    screenshot(page, "network-city-sorted")
    assert_accessible(page)

    page.goto("/network/")
    expect(page.get_by_role("heading", name="Your network")).to_be_visible()
    expect(page.locator(".tweetup-row h3")).to_have_text(["Soon drinks", "Busy brunch"])
    expect(page.get_by_text("@pal_2")).to_be_visible()
    screenshot(page, "network-page")
    assert_accessible(page)
