"""The live hashtag wall in a real browser: a post synced from X appears without a reload,
and posts deleted on X (or of accounts gone protected) leave it the same way."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.sync.compliance import compliance_check
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


def test_posts_gone_from_x_leave_the_open_wall_without_a_reload(
    browser, site, x_emulator_settings, settings
):
    settings.WALL_POLL_SECONDS = 1
    settings.WALL_POSTS_PER_PAGE = 2  # the oldest post comes in through "Older posts"
    settings.X_SEARCH_SETTLE_SECONDS = 0
    starts = timezone.now() - timedelta(hours=1)
    tweetup = TweetupFactory(
        city=CityFactory(name="Lisbon", country="Portugal", timezone="Europe/Lisbon"),
        hashtag="WallGoneLisbon",
        title="Posts that go",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
    )
    control = x_emulator_settings.control
    a_minute_ago = timezone.now() - timedelta(minutes=1)
    oldest, middle, newest = (
        control.post_tweet(handle, f"{text} #WallGoneLisbon", created_at=a_minute_ago)
        for handle, text in (
            ("jonasweber", "Deleted later"),
            ("maya_okafor", "Going protected"),
            ("rui_costa", "Here to stay"),
        )
    )
    run_sync_cycle(tweetup_ids=[tweetup.pk], force=True)

    context = browser.new_context(viewport=DESKTOP, base_url=site.url)
    page = context.new_page()
    page.goto(tweetup.get_absolute_url())
    posts = page.locator("#wall-posts .post")
    expect(posts).to_have_count(2)
    page.get_by_role("link", name="Older posts").click()
    expect(posts).to_have_count(3)
    page.evaluate("window.__noReload = true")

    control.delete_tweet(oldest["id"])
    control.update_user(middle["author_id"], protected=True)
    report = compliance_check()
    assert (report.deleted, report.protected) == (1, 1)

    expect(posts).to_have_count(1, timeout=10_000)
    expect(posts.first).to_contain_text("Here to stay")
    expect(page.locator(f"#post-{newest['id']}")).to_be_visible()
    assert page.evaluate("window.__noReload") is True
    expect(page.locator("#wall-empty")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top in the picture
    screenshot(page, "wall-after-deletions")

    # The big screen too; when the last post goes, the wall says it has none.
    page.goto(f"/t/{tweetup.slug}/wall/")
    big = page.locator(".wall-big .post")
    expect(big).to_have_count(1)
    page.evaluate("window.__noReload = true")
    control.delete_tweet(newest["id"])
    assert compliance_check().deleted == 1
    expect(big).to_have_count(0, timeout=10_000)
    expect(page.get_by_text("No posts yet.")).to_be_visible()
    assert page.evaluate("window.__noReload") is True
    screenshot(page, "wall-big-screen-emptied")
    context.close()
