"""Issue 12's journey on the X emulator, at desktop and phone widths: sign in with X, opt in
to "See who you follow" (X's consent screen asks for follows.read, the read task runs), see
who you follow going on a tweetup and its badge on the city page, RSVP privately (a follower
doesn't see it), invite by @handle, publish a draft found in your posts, and disconnect:
what was read and the tokens are gone, and so is the badge.

Celery runs eagerly: a task queued when a request commits runs in the live server's thread.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import FollowedXId, User, XNetworkConsent
from events.found.scan import tweetups_find
from events.models import Rsvp, Tweetup
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, assert_accessible
from tests.factories import CityFactory, TweetupFactory, UserFactory, opt_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def sign_in(person, size: dict) -> None:
    """Person.sign_in at this width: on a phone the handle sits in the closed menu, so the
    greeting says who signed in."""
    page = person.page
    page.set_viewport_size(size)
    page.goto("/")
    page.get_by_role("link", name="Sign in with X").first.click()
    page.get_by_role("button", name="Sign in with X").click()
    page.get_by_label("Or use another handle").fill(person.handle)
    page.get_by_role("button", name="Authorize app").click()
    page.wait_for_url("**/")
    expect(page.get_by_text(f"Successfully signed in as {person.handle}.")).to_be_visible()


def shot(page, width: str, step: str) -> None:
    """The page at this journey's width, and no sideways scrolling."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn mid-page
    page.screenshot(path=str(ARTIFACTS / f"network-journey-{step}-{width}.png"), full_page=True)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= page.viewport_size["width"], f"{step}: {page.url} is {scroll}px wide"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_network_journey(people, site, x_search, celery_eager, settings, width):
    settings.SITE_URL = site.url
    x = x_search.control
    jo_x = x.add_user("jo_journey", name="Jo Journey")["id"]
    fran_x = x.add_user("fran_friend", name="Fran Friend")["id"]
    x.set_following(jo_x, [fran_x], generate=40)
    fran = UserFactory(x_id=fran_x, x_username="fran_friend", display_name="Fran Friend")
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    starts = timezone.now() + timedelta(days=5)
    tweetup = TweetupFactory(
        city=berlin,
        title="Spree sunset drinks",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        capacity=20,
    )
    Rsvp.objects.create(tweetup=tweetup, user=fran, status=Rsvp.Status.GOING)

    # 1. Sign in with X, through the emulator's consent screen.
    jo = people("jo_journey")
    page = jo.page
    sign_in(jo, WIDTHS[width])
    user = User.objects.get(x_username="jo_journey")
    assert user.x_id == jo_x
    offer = page.get_by_role("complementary", name="See who you follow on X at tweetups?")
    expect(offer).to_be_visible()
    shot(page, width, "1-signed-in")

    # 2. Opt in: X asks for follows.read; the read task runs once the grant is kept.
    offer.get_by_role("link", name="See who you follow").click()
    expect(page.get_by_role("heading", name="What we read, and why")).to_be_visible()
    expect(page.get_by_text("Not connected")).to_be_visible()
    shot(page, width, "2-opt-in")
    page.get_by_role("button", name="See who you follow").click()
    expect(page.get_by_text("(follows.read)")).to_be_visible()
    shot(page, width, "2-x-consent")
    page.get_by_label("Or use another handle").fill("jo_journey")
    page.get_by_role("button", name="Authorize app").click()
    page.wait_for_url(f"**{reverse('accounts:network')}")
    expect(page.get_by_text("We know 41 accounts you follow, read just now.")).to_be_visible()
    expect(page.get_by_text("We are reading who you follow on X")).to_be_visible()
    expect(page.get_by_text("Successfully signed in")).to_have_count(0)  # they were already
    assert FollowedXId.objects.filter(user=user, x_id=fran_x).exists()
    expect(
        page.get_by_role("complementary", name="See who you follow on X at tweetups?")
    ).to_have_count(0)
    shot(page, width, "2-connected")
    assert_accessible(page)

    # 3. "People you follow are going" on the tweetup, and the badge on the city page.
    page.goto(tweetup.get_absolute_url())
    panel = page.locator("#rsvp-panel")
    expect(panel.get_by_text("1 person you follow is going")).to_be_visible()
    expect(panel.get_by_text("@fran_friend")).to_be_visible()
    shot(page, width, "3-tweetup")
    page.goto(berlin.get_absolute_url())
    expect(page.get_by_text("1 person you follow is going")).to_be_visible()
    shot(page, width, "3-city-badge")

    # 4. Jo goes, privately; Fiona, who follows Jo on X, sees Fran but not Jo.
    page.goto(tweetup.get_absolute_url())
    panel.get_by_label("Keep my RSVP private").check()
    panel.get_by_role("button", name="Going", exact=True).click()
    expect(panel.get_by_text("Private RSVP", exact=True)).to_be_visible()
    assert Rsvp.objects.get(tweetup=tweetup, user=user).private is True
    shot(page, width, "4-private-rsvp")
    fiona = people("fiona_follows")
    sign_in(fiona, WIDTHS[width])
    opt_in(User.objects.get(x_username="fiona_follows"), user, fran)
    fpage = fiona.page
    fpage.goto(tweetup.get_absolute_url())
    fpanel = fpage.locator("#rsvp-panel")
    expect(fpanel.get_by_text("1 person you follow is going")).to_be_visible()
    expect(fpanel.get_by_text("@fran_friend")).to_be_visible()
    expect(fpanel.get_by_text("and 1 more going")).to_be_visible()
    assert "jo_journey" not in fpage.content() and "Jo Journey" not in fpage.content()
    shot(fpage, width, "4-follower-view")

    # 5. Invite by @handle: the X post is prefilled with the handles and the link.
    page.get_by_role("link", name="Invite people by @handle").click()
    page.get_by_label("X handles").fill("@ana_lisboa @ben_b")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", name="Your post is ready")).to_be_visible()
    intent = urlsplit(page.get_by_role("link", name="Post on X").get_attribute("href"))
    query = parse_qs(intent.query)
    assert (intent.scheme, intent.netloc, intent.path) == ("https", "x.com", "/intent/post")
    assert query["url"] == [f"{site.url}{tweetup.get_absolute_url()}"]
    assert query["text"][0].startswith("Join me at Spree sunset drinks · ")
    assert query["text"][0].endswith(" @ana_lisboa @ben_b")
    shot(page, width, "5-invite-ready")

    # 6. A tweetup found in Jo's posts: a draft on home, published through the form.
    day = timezone.now().astimezone(berlin.tzinfo).date() + timedelta(days=12)
    x_search.post(
        f"Who's around Berlin on {day:%b} {day.day}? Thinking of a tweetup #SpreeJourneyTweetup",
        "jo_journey",
    )
    assert tweetups_find(now=x_search.cycle_time()).drafts_created == 1
    page.goto("/")
    card = page.locator(".found-draft")
    expect(card).to_contain_text("Looks like you're planning a tweetup in Berlin")
    shot(page, width, "6-found-draft")
    card.get_by_role("link", name="Publish it here").click()
    expect(page.get_by_label("Hashtag")).to_have_value("SpreeJourneyTweetup")
    page.get_by_label("Venue", exact=True).fill("Admiralbrücke")
    page.get_by_label("Tech", exact=True).check()
    shot(page, width, "6-draft-form")
    page.get_by_role("button", name="Publish tweetup").click()
    page.wait_for_url("**/#share")
    assert Tweetup.objects.get(hashtag="SpreeJourneyTweetup").organizer == user

    # 7. Disconnect: the tokens and what was read are deleted, and the badge goes.
    page.goto(reverse("accounts:network"))
    page.get_by_role("button", name="Disconnect and delete").click()
    expect(page.get_by_text("Not connected")).to_be_visible()
    shot(page, width, "7-disconnected")
    assert not FollowedXId.objects.filter(user=user).exists()
    assert not XNetworkConsent.objects.filter(user=user).exists()
    assert FollowedXId.objects.filter(user__x_username="fiona_follows").count() == 2
    page.goto(berlin.get_absolute_url())
    expect(page.get_by_role("heading", name="Spree sunset drinks")).to_be_visible()
    shot(page, width, "7-city-no-badge")
    expect(page.locator(".pill-network")).to_have_count(0)
    expect(page.get_by_text("Most people you follow going")).to_have_count(0)
