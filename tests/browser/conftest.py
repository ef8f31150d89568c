"""Playwright driving Debian's Chromium against Django's live server and the X emulator."""

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import skip_or_fail

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, x_emulator_settings, settings):
    """The live site, signed in through the emulator; CSP allows the emulator's origin."""
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": ["'self'", x_emulator_settings.base_url],
    }
    return live_server


class Person:
    """One browser context: a person with their own cookies."""

    def __init__(self, browser, base_url: str, handle: str):
        self.context = browser.new_context(viewport=DESKTOP, base_url=base_url)
        self.page = self.context.new_page()
        self.handle = handle
        self.csp_errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: (
                self.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )

    def sign_in(self):
        page = self.page
        page.goto("/")
        page.get_by_role("link", name="Sign in with X").first.click()
        page.get_by_role("button", name="Sign in with X").click()
        page.get_by_label("Or use another handle").fill(self.handle)
        page.get_by_role("button", name="Authorize app").click()
        page.wait_for_url("**/")
        # The account menu at any width; phones show its avatar without the handle.
        expect(page.get_by_label("Your account")).to_be_visible()
        expect(page.get_by_text(f"@{self.handle}").first).to_be_attached()
        return self

    def close(self):
        self.context.close()


@pytest.fixture
def people(browser, site):
    made = []

    def make(handle: str) -> Person:
        person = Person(browser, site.url, handle)
        made.append(person)
        return person

    yield make
    for person in made:
        assert person.csp_errors == [], person.csp_errors
        person.close()


def full_page_shot(page, path: Path) -> None:
    """The whole page as someone scrolling it sees it. Taken from the top: the header is
    sticky, and a full-page shot of a scrolled page paints it where the scroll was, over
    the middle of the page. The scroll is put back afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    scrolled = page.evaluate("[window.scrollX, window.scrollY]")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    page.evaluate("([x, y]) => window.scrollTo(x, y)", scrolled)


def screenshot(page, name: str) -> None:
    """Save the page at desktop and phone widths under tests/artifacts/."""
    original = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        full_page_shot(page, ARTIFACTS / f"{name}-{label}.png")
    page.set_viewport_size(original)


def blank_tile() -> bytes:
    """A 1×1 light grey PNG: every map tile, offline."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (229, 231, 235)).save(buffer, "PNG")
    return buffer.getvalue()


def offline_tiles(context) -> list[str]:
    """Answer every request to the tile server (settings.MAP_TILE_URL's origin) with a
    local PNG, so maps never leave the machine; the URLs asked for, for the test."""
    from django.conf import settings

    asked: list[str] = []
    tile = blank_tile()

    def fulfill(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    context.route(settings.MAP_TILE_URL.split("/{", 1)[0] + "/**", fulfill)
    return asked


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], "\n".join(bad)


@pytest.fixture(autouse=True)
def a_topic(db):
    """The organize form asks for one to three topics; the live server's database is emptied
    between tests, so its seeded topics are made again here."""
    from events.models import Topic

    return Topic.objects.get_or_create(slug="tech", defaults={"name": "Tech"})[0]
