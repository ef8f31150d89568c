"""The whole story in a real browser: sign in with X, organize, RSVP, waitlist, cancel."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from events.models import Rsvp, Tweetup
from events.services import TweetupDetails, tweetup_create
from tests.browser.conftest import Person, assert_accessible, screenshot
from tests.factories import CityFactory, TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rsvp_panel(page):
    return page.locator("#rsvp-panel")


def test_organize_rsvp_waitlist_and_cancel(people):
    TopicFactory(name="Food & drink", slug="food-and-drink")
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")
    # A winter evening in Berlin, a week or more ahead: 19:30 CET.
    day = (timezone.now() + timedelta(days=10)).date()
    while day.month not in (12, 1, 2):
        day += timedelta(days=1)

    organizer = people("berlin_orga").sign_in()
    page = organizer.page
    screenshot(page, "home")
    assert_accessible(page)

    page.get_by_role("link", name="Organize").first.click()
    page.get_by_label("Title", exact=True).fill("Berlin X friends: winter drinks")
    page.get_by_label("City", exact=True).fill("Berlin, Germany")
    page.get_by_label("Starts").fill(f"{day:%Y-%m-%d}T19:30")
    page.get_by_label("Ends").fill(f"{day:%Y-%m-%d}T22:00")
    page.get_by_label("Venue", exact=True).fill("Café Kreuzberg")
    page.get_by_label("Address").fill("Oranienstraße 1")
    page.get_by_label("Capacity").fill("2")
    page.get_by_label("Hashtag").fill("#not valid")
    page.get_by_role("button", name="Publish tweetup").click()
    # Bad input: a clear message next to the field, and what was typed is kept.
    expect(page.get_by_text("Use letters, digits and underscores only")).to_be_visible()
    assert page.get_by_label("Title", exact=True).input_value() == "Berlin X friends: winter drinks"
    screenshot(page, "form-with-errors")
    assert_accessible(page)
    page.get_by_label("Hashtag").fill("#BerlinWinterDrinks")
    page.get_by_label("Description").fill("Mulled wine and good people. https://example.com")
    page.get_by_label("Food & drink").check()
    page.get_by_role("button", name="Publish tweetup").click()

    tweetup = Tweetup.objects.get()
    page.wait_for_url(f"**{tweetup.get_absolute_url()}#share")  # the share buttons, first
    expect(page.get_by_role("heading", name="Berlin X friends: winter drinks")).to_be_visible()
    when = page.locator("time").first.inner_text()
    assert "19:30–22:00 CET" in when, when
    assert tweetup.starts_at.hour == 18 and tweetup.starts_at.minute == 30  # stored in UTC

    page.get_by_role("link", name="← Tweetups in Berlin").click()
    row = page.locator(".tweetup-row", has_text="Berlin X friends: winter drinks")
    assert "19:30 CET" in row.inner_text()
    screenshot(page, "city")
    assert_accessible(page)

    page.goto("/new/")
    screenshot(page, "form")
    assert_accessible(page)

    # A second person fills the last seat, in place (htmx), without a reload.
    anna = people("anna_rsvp").sign_in()
    anna.page.goto(tweetup.get_absolute_url())
    screenshot(anna.page, "tweetup")
    assert_accessible(anna.page)
    anna.page.evaluate("window.__noReload = true")
    rsvp_panel(anna.page).get_by_role("button", name="Going").click()
    expect(rsvp_panel(anna.page).locator(".your-status")).to_contain_text("You're going.")
    assert anna.page.evaluate("window.__noReload") is True
    expect(rsvp_panel(anna.page).locator(".counts")).to_contain_text(re.compile(r"2\s*going of 2"))

    # A third person is waitlisted with a visible position.
    carl = people("carl_waits").sign_in()
    carl.page.goto(tweetup.get_absolute_url())
    rsvp_panel(carl.page).get_by_role("button", name="Going").click()
    expect(rsvp_panel(carl.page).locator(".your-status")).to_contain_text("number 1 in line")
    screenshot(carl.page, "tweetup-waitlisted")

    # The second person leaves; the third is promoted at once.
    rsvp_panel(anna.page).get_by_role("button", name="Can't go").click()
    expect(rsvp_panel(anna.page).locator(".your-status")).to_contain_text("You said you can't go.")
    assert Rsvp.objects.get(user__x_username="carl_waits").status == Rsvp.Status.GOING
    carl.page.reload()
    expect(rsvp_panel(carl.page).locator(".your-status")).to_contain_text("You're going.")

    # The organizer cancels with a reason; the page says so and takes no RSVPs.
    page.goto(tweetup.get_absolute_url())
    page.get_by_role("link", name="Cancel tweetup").click()
    page.get_by_label("Reason").fill("The venue flooded, sorry!")
    page.get_by_role("button", name="Cancel the tweetup").click()
    expect(page.get_by_text("This tweetup is cancelled.")).to_be_visible()
    expect(page.get_by_text("The venue flooded, sorry!")).to_be_visible()
    screenshot(page, "tweetup-cancelled")
    carl.page.reload()
    expect(rsvp_panel(carl.page)).to_contain_text("Cancelled: RSVPs are closed.")
    expect(rsvp_panel(carl.page).get_by_role("button", name="Going")).to_have_count(0)
    assert berlin.tweetups.get().status == Tweetup.Status.CANCELLED


def test_rsvp_works_with_javascript_off(browser, site, x_emulator_settings):
    CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    organizer = Person(browser, site.url, "orga_nojs").sign_in()
    starts = timezone.now() + timedelta(days=5)
    tweetup = tweetup_create(
        organizer=User.objects.get(x_username="orga_nojs"),
        details=TweetupDetails(
            city=CityFactory(name="Berlin"),
            title="No-JS tweetup",
            venue_name="Bar",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            hashtag="NoJsTweetup",
        ),
    )
    organizer.close()
    context = browser.new_context(java_script_enabled=False, base_url=site.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with X").click()
    page.get_by_label("Or use another handle").fill("dora_nojs")
    page.get_by_role("button", name="Authorize app").click()
    page.goto(tweetup.get_absolute_url())
    page.get_by_role("button", name="Going").click()
    page.wait_for_url(f"**{tweetup.get_absolute_url()}")
    expect(page.get_by_text("You're going. See you there!")).to_be_visible()
    assert Rsvp.objects.get(user__x_username="dora_nojs").status == Rsvp.Status.GOING
    context.close()
