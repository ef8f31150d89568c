"""Email in a real browser: add and verify an address, follow Berlin, RSVP from the inbox.

Mail goes through a real SMTP server on localhost (aiosmtpd); Celery tasks run in the
live server's thread when the transaction commits (eager), so each page's mail has
arrived by the time the page has loaded.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from events.models import Rsvp, Tweetup
from notifications.models import OutgoingMessage
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CityFactory, TopicFactory
from tests.fixtures_mail import mail_links, mail_part

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(site, smtp_mailer, celery_eager, settings):
    settings.SITE_URL = site.url
    return smtp_mailer


def rsvp_link(mail, label: str) -> str:
    """The URL of the mail's button with this label (from the HTML part)."""
    html = mail_part(mail, "text/html")
    for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html):
        if text.strip() == label:
            return href.replace("&amp;", "&")
    raise AssertionError(f"no {label!r} button in {mail['Subject']!r}")


def organize(page, *, title: str, day, capacity: int, hashtag: str) -> Tweetup:
    page.get_by_role("link", name="Organize").first.click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("City", exact=True).fill("Berlin, Germany")
    page.get_by_label("Starts").fill(f"{day:%Y-%m-%d}T19:30")
    page.get_by_label("Ends").fill(f"{day:%Y-%m-%d}T22:00")
    page.get_by_label("Venue", exact=True).fill("Café Kreuzberg")
    page.get_by_label("Capacity").fill(str(capacity))
    page.get_by_label("Hashtag").fill(hashtag)
    page.get_by_label("Food & drink").check()
    page.get_by_label("Tech", exact=True).check()
    page.get_by_role("button", name="Publish tweetup").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return Tweetup.objects.get(title=title)


def test_follow_berlin_and_rsvp_from_the_inbox(people, inbox):
    TopicFactory(name="Food & drink", slug="food-and-drink")
    berlin = CityFactory(name="Berlin", country="Germany", timezone="Europe/Berlin")
    day = (timezone.now() + timedelta(days=10)).date()
    while day.month not in (12, 1, 2):  # a winter evening: 19:30 CET
        day += timedelta(days=1)

    # A person signs in with X and adds an email address.
    fran = people("fran_follows").sign_in()
    page = fran.page
    page.get_by_label("Your account").click()  # the account menu
    page.get_by_role("link", name="Email", exact=True).click()
    expect(page.get_by_role("heading", name="Email settings")).to_be_visible()
    screenshot(page, "email-settings-empty")
    assert_accessible(page)
    page.get_by_role("link", name="Add an email address").click()
    page.get_by_label("Email address").fill("fran@example.com")
    screenshot(page, "email-address-add")
    assert_accessible(page)
    page.get_by_role("button", name="Add and send the link").click()
    expect(page.get_by_text("Not verified yet")).to_be_visible()

    # The verification link arrives over SMTP; opening it verifies nothing by itself.
    (verification,) = inbox.wait_for(1)
    assert verification["To"] == "fran@example.com"
    link = re.search(
        r"http://\S+/accounts/confirm-email/\S+/", mail_part(verification, "text/plain")
    )
    page.goto(link[0])
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    screenshot(page, "email-verify")
    fran_user = User.objects.get(x_username="fran_follows")
    assert not fran_user.emailaddress_set.get().verified
    page.get_by_role("button", name="Yes, verify this address").click()
    page.wait_for_url("**/email/")
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    assert fran_user.emailaddress_set.get().verified

    # They follow Berlin from its page.
    page.goto(berlin.get_absolute_url())
    page.get_by_role("button", name="Follow Berlin").click()
    expect(page.get_by_role("button", name="Following Berlin")).to_be_visible()
    screenshot(page, "city-following")
    assert_accessible(page)

    # An organizer creates a Berlin tweetup with one seat besides their own.
    olga = people("olga_organizes").sign_in()
    tweetup = organize(
        olga.page, title="Berlin winter drinks", day=day, capacity=2, hashtag="#BerlinWinter"
    )
    announcement = inbox.wait_for(2)[1]
    assert announcement["To"] == "fran@example.com"
    assert announcement["Subject"].startswith("New in Berlin: Berlin winter drinks")
    assert "19:30–22:00 CET" in mail_part(announcement, "text/plain")

    # Opening the Going link shows the confirm page and changes nothing.
    going = rsvp_link(announcement, "Going")
    assert going.startswith(inbox_site_url := going.split("/e/")[0])
    page.goto(going)
    page.wait_for_url("**/e/rsvp/")  # the token left the address bar
    assert urlsplit(page.url).path == "/e/rsvp/"
    expect(page.get_by_role("heading", name="Answer “Going”?")).to_be_visible()
    expect(page.get_by_text("Berlin winter drinks")).to_be_visible()
    screenshot(page, "email-rsvp-confirm")
    assert_accessible(page)
    assert not Rsvp.objects.filter(user=fran_user).exists()
    page.reload()
    assert not Rsvp.objects.filter(user=fran_user).exists()

    # The button makes them going; the confirmation with its invitation follows.
    page.get_by_role("button", name="Yes, I'm going").click()
    page.wait_for_url("**/e/rsvp/done/")
    expect(page.get_by_role("heading", name="You're going")).to_be_visible()
    expect(page.get_by_role("button", name="Can't go")).to_be_visible()
    screenshot(page, "email-rsvp-going")
    assert_accessible(page)
    assert Rsvp.objects.get(user=fran_user, tweetup=tweetup).status == Rsvp.Status.GOING
    confirmation = inbox.wait_for(3)[2]
    assert confirmation["Subject"].startswith("You're going: Berlin winter drinks")
    assert "text/calendar" in [p.get_content_type() for p in confirmation.walk()]

    # A second tweetup is full at once (one seat: the organizer's). Its mail's Going link
    # puts them on the waitlist with their position.
    full = organize(
        olga.page, title="Tiny supper club", day=day + timedelta(days=1), capacity=1,
        hashtag="#TinySupper",
    )  # fmt: skip
    second = inbox.wait_for(4)[3]
    assert second["Subject"].startswith("New in Berlin: Tiny supper club")
    page.goto(rsvp_link(second, "Going"))
    expect(page.get_by_role("heading", name="Answer “Going”?")).to_be_visible()
    expect(page.get_by_text("Tiny supper club")).to_be_visible()
    page.get_by_role("button", name="Yes, I'm going").click()
    expect(page.get_by_role("heading", name="You're on the waitlist")).to_be_visible()
    expect(page.get_by_text("you're number 1 in line")).to_be_visible()
    screenshot(page, "email-rsvp-waitlisted")
    assert_accessible(page)
    rsvp = Rsvp.objects.get(user=fran_user, tweetup=full)
    assert rsvp.status == Rsvp.Status.WAITLISTED and rsvp.waitlist_position == 1

    # Every mail went out once, and every link on this site in them is on this server.
    assert OutgoingMessage.objects.filter(status="sent").count() == 3
    for mail in inbox.messages[1:]:
        for url in mail_links(mail):
            assert url.startswith((inbox_site_url, "https://calendar.google.com/"))
