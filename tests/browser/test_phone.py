"""A 390 px phone: the RSVP panel comes first, nothing is wider than the screen, the header
stays on two lines, focus survives an in-place RSVP, and broken avatars show initials."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from events.sync.cycle import run_sync_cycle
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, Person
from tests.factories import CityFactory, TweetupFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TITLE = "T" * 120
DESCRIPTION = "Mulled wine and good people.\n\n" + "We meet by the window. " * 30


def phone_screenshot(page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=full_page)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


ROWS_JS = """(selector) => {
  // Boxes that overlap vertically share a row.
  const rows = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const row = rows.find((o) => r.top < o.bottom && o.top < r.bottom);
    if (row) {
      row.top = Math.min(row.top, r.top);
      row.bottom = Math.max(row.bottom, r.bottom);
    } else rows.push({ top: r.top, bottom: r.bottom });
  }
  return rows.length;
}"""


def assert_header_on_two_lines_at_most(page) -> None:
    nav_rows = page.evaluate(ROWS_JS, ".site-header .nav > li")
    brand, nav = box(page, ".site-header .brand"), box(page, ".site-header nav")
    beside = brand["y"] < nav["y"] + nav["height"] and nav["y"] < brand["y"] + brand["height"]
    assert nav_rows <= 2 and beside, (nav_rows, brand, nav)


def single_line(page, locator) -> bool:
    return locator.evaluate(
        """(el) => {
          const range = document.createRange();
          range.selectNodeContents(el);
          const tops = [...range.getClientRects()].map((r) => Math.round(r.top));
          return new Set(tops).size === 1;
        }"""
    )


@pytest.fixture
def long_tweetup(x_emulator_settings):
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    starts = timezone.now() + timedelta(days=2)
    tweetup = TweetupFactory(
        city=berlin,
        title=LONG_TITLE,
        description=DESCRIPTION,
        hashtag="PhoneDemoBerlin",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
    )
    control = x_emulator_settings.control
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for handle in ("jonasweber", "maya_okafor"):
        control.post_tweet(handle, "On my way to #PhoneDemoBerlin", created_at=an_hour_ago)
    run_sync_cycle(tweetup_ids=[tweetup.pk], force=True)
    return tweetup


@pytest.fixture
def phone(people, long_tweetup):
    """A signed-in person's page, 390 px wide."""
    page = people("phone_person").sign_in().page
    page.set_viewport_size(PHONE)
    return page


def test_the_header_stays_on_two_lines_when_signed_in(phone, long_tweetup):
    assert_header_on_two_lines_at_most(phone)
    phone_screenshot(phone, "home-signed-in", full_page=False)
    phone.goto(long_tweetup.get_absolute_url())
    assert_header_on_two_lines_at_most(phone)


def test_a_long_title_wraps_on_city_and_tweetup_pages(phone, long_tweetup):
    phone.goto(long_tweetup.city.get_absolute_url())
    assert_no_sideways_scroll(phone)
    phone_screenshot(phone, "city-long-title")

    phone.goto(long_tweetup.get_absolute_url())
    assert_no_sideways_scroll(phone)
    phone_screenshot(phone, "tweetup-long-title")


def test_the_rsvp_panel_comes_before_the_description_and_the_wall(phone, long_tweetup):
    phone.goto(long_tweetup.get_absolute_url())
    expect(phone.locator("#wall-posts .post")).to_have_count(2)

    panel, description, wall = (
        box(phone, "#rsvp-panel"),
        box(phone, ".description"),
        box(phone, "#wall"),
    )
    assert panel["y"] < description["y"] < wall["y"]
    # Keyboard order is the same: the panel's buttons come before the description's links.
    assert phone.evaluate(
        "!!(document.querySelector('#rsvp-panel').compareDocumentPosition("
        "document.querySelector('.description')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    for name in ("Going", "Maybe", "Can't go"):
        assert single_line(phone, phone.locator("#rsvp-panel").get_by_role("button", name=name))

    # Wide screens keep two columns: the panel beside the facts, at the top...
    phone.set_viewport_size(DESKTOP)
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(ARTIFACTS / "tweetup-long-title-desktop.png"), full_page=True)
    panel, head = box(phone, "#rsvp-panel"), box(phone, ".tweetup-head")
    assert panel["x"] >= head["x"] + head["width"]
    assert abs(panel["y"] - head["y"]) < 5
    # ...and the rest follows the facts at once, however tall the panel is.
    assert abs(box(phone, ".tweetup-more")["y"] - (head["y"] + head["height"])) < 2


def test_keyboard_focus_stays_in_the_panel_after_an_in_place_rsvp(phone, long_tweetup):
    phone.goto(long_tweetup.get_absolute_url())
    phone.evaluate("window.__noReload = true")
    phone.locator("#rsvp-panel").get_by_role("button", name="Going").focus()

    phone.keyboard.press("Enter")

    expect(phone.locator("#rsvp-panel .your-status")).to_contain_text("You're going.")
    assert phone.evaluate("window.__noReload") is True  # swapped in place
    focused = phone.evaluate(
        "[document.activeElement.closest('#rsvp-panel') !== null,"
        " document.activeElement.textContent]"
    )
    assert focused == [True, "Going"]
    phone.keyboard.press("Tab")  # and the next key goes on from there
    expect(phone.locator("#rsvp-panel").get_by_role("button", name="Maybe")).to_be_focused()
    phone_screenshot(phone, "tweetup-after-rsvp", full_page=False)  # the focus ring in view


@pytest.fixture
def person_with_blocked_pictures(browser, site):
    # Not `people`: that fixture fails a test on CSP reports, and blocking an http: picture
    # is the CSP doing its job here.
    person = Person(browser, site.url, "broken_pic")
    yield person
    person.close()


def test_broken_avatars_show_initials_from_the_first_paint(site, person_with_blocked_pictures):
    missing = f"{site.url}/static/img/no-such-avatar.png"  # 404
    blocked = "http://127.0.0.1:9/avatar.png"  # http: is outside the CSP's img-src
    organizer = UserFactory(display_name="Olga Organizer", avatar_url=missing)
    tweetup = TweetupFactory(city=CityFactory(name="Berlin"), organizer=organizer)
    for name, url in (("Greta Going", blocked), ("Gus Going", missing)):
        tweetup.rsvps.create(user=UserFactory(display_name=name, avatar_url=url), status="going")
    person = person_with_blocked_pictures.sign_in()
    User.objects.filter(x_username="broken_pic").update(avatar_url=missing)  # the header's
    page = person.page
    page.set_viewport_size(PHONE)

    # Hold site.js back until every picture has failed: the script must catch up.
    held = []
    page.route("**/js/site.js", lambda route: held.append(route))
    page.goto(tweetup.get_absolute_url(), wait_until="commit")
    page.wait_for_function(
        """() => {
          const pictures = [...document.querySelectorAll(".avatar-stack img, .nav-user img")];
          return pictures.length === 5 && pictures.every((img) => img.complete);
        }"""
    )
    assert page.evaluate(
        "[...document.querySelectorAll('.avatar-stack img')].some((i) => !i.hidden)"
    )
    held[0].continue_()
    page.wait_for_load_state("load")

    stacks = page.locator(".avatar-stack")
    assert stacks.count() == 5  # header, organizer, and the three going (the organizer too)
    for i in range(stacks.count()):
        stack = stacks.nth(i)
        expect(stack.locator("img")).to_be_hidden()
        expect(stack.locator(".initials")).to_be_visible()
        stack.scroll_into_view_if_needed()
        # What is painted at the avatar's centre is the initials, not a broken picture.
        assert stack.evaluate(
            """(el) => {
              const r = el.getBoundingClientRect();
              const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
              return hit !== null && hit.classList.contains("initials");
            }"""
        )
    assert page.locator(".nav-user .initials").inner_text().lower() == "br"
    page.evaluate("window.scrollTo(0, 0)")
    phone_screenshot(page, "tweetup-broken-avatars")
