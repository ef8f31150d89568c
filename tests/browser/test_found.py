"""A tweetup found in one's posts, in a real browser: the daily search on the X emulator
suggests a draft, only its author sees it, they dismiss one in a click and publish another
through the organize form, filled from their post."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.found.scan import tweetups_find
from events.models import Tweetup, TweetupDraft
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CityFactory, TopicFactory, TweetupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_a_tweetup_found_in_your_posts(people, site, x_search):
    lisbon = CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon")
    TweetupFactory(city=lisbon)  # a city with tweetups coming up is searched
    TopicFactory(name="Tech")
    ana = people("found_ana").sign_in()
    bo = people("found_bo").sign_in()
    today = timezone.now().astimezone(lisbon.tzinfo).date()
    day = today + timedelta(days=10)
    x_search.post(
        f"Who's around Lisbon on {day:%b} {day.day}? Thinking of a sunset tweetup "
        "#LisbonSunsetTweetup 🌅",
        "found_ana",
    )
    x_search.post("Lisbon meetup tomorrow, anyone?", "found_ana")

    report = tweetups_find(now=x_search.cycle_time())
    assert report.drafts_created == 2

    page = ana.page
    page.goto("/")
    cards = page.locator(".found-draft")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text(
        "Looks like you're planning a tweetup in Lisbon tomorrow — publish it here."
    )
    later = f"Lisbon on {day:%A} {day.day} {day:%B}"
    expect(cards.nth(1)).to_contain_text(later)
    screenshot(page, "found-draft-home")
    assert_accessible(page)

    # Someone else sees none of it.
    bo.page.goto("/")
    expect(bo.page.get_by_text("planning a tweetup")).to_have_count(0)

    # Dismiss: one click, the card goes (htmx), and it doesn't come back.
    cards.first.get_by_role("button", name="Dismiss").click()
    expect(cards).to_have_count(1)
    page.reload()
    expect(page.locator(".found-draft")).to_have_count(1)

    # Publish: the organize form, filled from the post; the venue and topics are theirs.
    page.get_by_role("link", name="Publish it here").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Lisbon tweetup")
    expect(page.get_by_label("City", exact=True)).to_have_value("Lisbon, Portugal")
    expect(page.get_by_label("Starts")).to_have_value(f"{day}T19:00")
    expect(page.get_by_label("Hashtag")).to_have_value("LisbonSunsetTweetup")
    expect(page.get_by_text("From your post on X")).to_be_visible()
    screenshot(page, "found-draft-form")
    page.get_by_label("Venue", exact=True).fill("Miradouro da Graça")
    page.get_by_label("Tech", exact=True).check()
    page.get_by_role("button", name="Publish tweetup").click()
    page.wait_for_url("**/#share")

    tweetup = Tweetup.objects.get(hashtag="LisbonSunsetTweetup")
    assert tweetup.organizer.x_username == "found_ana"
    statuses = dict(TweetupDraft.objects.values_list("date", "status"))
    assert statuses == {today + timedelta(days=1): "dismissed", day: "published"}
    page.goto("/")
    expect(page.locator(".found-draft")).to_have_count(0)
