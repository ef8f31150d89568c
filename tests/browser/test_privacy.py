"""Privacy in a real browser (issue 12): the offer to see who you follow after sign-in, an
RSVP made private from the panel, and a follower who does not see it — only the count."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from events.models import Rsvp
from tests.browser.conftest import Person, assert_accessible, screenshot
from tests.factories import CityFactory, TweetupFactory, UserFactory, follows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def user_of(person: Person) -> User:
    return User.objects.get(x_username=person.handle)


def test_a_follower_does_not_see_a_private_rsvp(people, site, browser):
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    tweetup = TweetupFactory(city=berlin, title="Quiet drinks", capacity=10)
    friend = UserFactory(x_username="open_friend", display_name="Open Friend")
    Rsvp.objects.create(tweetup=tweetup, user=friend, status=Rsvp.Status.GOING)

    # The private one signs in: "See who you follow" is offered; they say "Not now".
    shy = people("shy_sam").sign_in()
    page = shy.page
    offer = page.get_by_role("complementary", name="See who you follow on X at tweetups?")
    expect(offer).to_be_visible()
    screenshot(page, "privacy-network-offer")
    offer.get_by_role("button", name="Not now").click()
    expect(offer).to_have_count(0)

    # They answer "Going", privately, with the box on the panel (htmx swaps the panel).
    page.goto(tweetup.get_absolute_url())
    panel = page.locator("#rsvp-panel")
    panel.get_by_label("Keep my RSVP private").check()
    panel.get_by_role("button", name="Going").click()
    expect(panel.get_by_text("Private RSVP", exact=True)).to_be_visible()
    expect(panel.get_by_role("button", name="Show me on the list")).to_be_visible()
    expect(panel.locator(".attendees")).to_contain_text("a private RSVP only you see")
    screenshot(page, "privacy-rsvp-own")
    assert_accessible(page)
    assert Rsvp.objects.get(tweetup=tweetup, user=user_of(shy)).private is True

    # A follower of both on X: the open friend is among "people you follow", shy_sam is not,
    # though the seat is counted.
    follower = people("fan_fiona").sign_in()
    follows(user_of(follower), user_of(shy), friend)
    fpage = follower.page
    fpage.goto(tweetup.get_absolute_url())
    fpanel = fpage.locator("#rsvp-panel")
    expect(fpanel.get_by_text("1 person you follow is going")).to_be_visible()
    expect(fpanel.get_by_text("@open_friend")).to_be_visible()
    expect(fpanel.locator(".counts")).to_contain_text("3going of 10")
    expect(fpanel.get_by_text("and 1 more going")).to_be_visible()
    assert "shy_sam" not in fpage.content()
    screenshot(fpage, "privacy-rsvp-follower")

    # A visitor: the same, from the cached page.
    visitor = browser.new_context(base_url=site.url).new_page()
    visitor.goto(tweetup.get_absolute_url())
    expect(visitor.locator("#rsvp-panel").get_by_text("and 1 more going")).to_be_visible()
    assert "shy_sam" not in visitor.content()
    visitor.context.close()

    # Changed later: shown on the list again, and the follower sees them.
    page.locator("#rsvp-panel").get_by_role("button", name="Show me on the list").click()
    expect(
        page.locator("#rsvp-panel").get_by_role("button", name="Make my RSVP private")
    ).to_be_visible()
    fpage.reload()
    expect(
        fpage.locator("#rsvp-panel").get_by_text("2 people you follow are going")
    ).to_be_visible()


def test_visitors_see_only_the_count_when_the_list_is_for_people_signed_in(browser, site):
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    tweetup = TweetupFactory(city=berlin, title="Members' evening", attendees_signed_in_only=True)
    Rsvp.objects.create(
        tweetup=tweetup, user=UserFactory(x_username="quiet_guest"), status=Rsvp.Status.GOING
    )
    page = browser.new_context(base_url=site.url).new_page()
    page.goto(tweetup.get_absolute_url())
    panel = page.locator("#rsvp-panel")
    expect(panel.locator(".counts")).to_contain_text("2")
    expect(panel.get_by_role("link", name="Sign in to see who's going")).to_be_visible()
    expect(panel.locator(".attendees")).to_have_count(0)
    assert "quiet_guest" not in page.content()
    screenshot(page, "privacy-members-only-visitor")
    assert_accessible(page)
    page.context.close()
