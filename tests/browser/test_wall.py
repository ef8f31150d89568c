"""The live hashtag wall in a real browser: a post synced from X appears without a reload."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.sync.cycle import run_sync_cycle
from tests.browser.conftest import DESKTOP, assert_accessible, screenshot
from tests.factories import CityFactory, TweetupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_post_appears_on_the_open_page_as_text(browser, site, x_emulator_settings, settings):
    settings.WALL_POLL_SECONDS = 1
    settings.X_SEARCH_SETTLE_SECONDS = 0  # read up to now, not the usual half minute behind
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    starts = timezone.now() + timedelta(days=1)
    tweetup = TweetupFactory(
        city=berlin,
        hashtag="WallDemoBerlin",
        title="Wall demo",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
    )
    control = x_emulator_settings.control
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    control.post_tweet(
        "jonasweber", "First post on the #WallDemoBerlin wall 👋", created_at=a_minute_ago
    )
    run_sync_cycle(tweetup_ids=[tweetup.pk], force=True)

    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(tweetup.get_absolute_url())
    posts = page.locator("#wall-posts .post")
    expect(posts).to_have_count(1)
    page.evaluate("window.__noReload = true")

    hostile = "Fish & chips <script>alert('pwned')</script> at #WallDemoBerlin"
    posted = control.post_tweet("maya_okafor", hostile)
    # X stamps posts to the second: read up to a moment safely past this one.
    posted_at = datetime.fromisoformat(posted["created_at"].replace("Z", "+00:00"))
    run_sync_cycle(tweetup_ids=[tweetup.pk], force=True, now=posted_at + timedelta(seconds=2))
    expect(posts).to_have_count(2, timeout=10_000)
    newest = posts.first
    expect(newest.locator(".post-text")).to_have_text(hostile)
    expect(newest).to_contain_text("@maya_okafor")
    assert page.evaluate("window.__noReload") is True  # it came in without a reload
    assert dialogs == []  # the <script> stayed text
    screenshot(page, "tweetup-wall")
    assert_accessible(page)

    # A hidden tab asks for nothing; it catches up as soon as it is visible again.
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    # Listen only from here: a poll that fired just before the tab was hidden is fine.
    polls = []
    page.on(
        "request", lambda request: polls.append(request.url) if "/wall/" in request.url else None
    )
    page.wait_for_timeout(3_500)  # three poll intervals with nothing to wait for
    assert polls == []
    with page.expect_request("**/wall/?after=*"):
        page.evaluate(
            "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )

    page.goto(f"/t/{tweetup.slug}/wall/")
    expect(page.locator(".wall-big .post")).to_have_count(2)
    screenshot(page, "wall-big-screen")
    context.close()
