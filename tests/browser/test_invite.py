"""Invite by @handle in a real browser: say you're going, invite two handles (after a typo),
get the prefilled X post; the one with an account here answers from the mail it got.

Mail goes through a real SMTP server on localhost; Celery tasks run in the live server's
thread when the transaction commits (eager), so the mail is there once the page loaded.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from events.models import Rsvp
from notifications.models import Invitation
from tests.browser.conftest import assert_accessible, screenshot
from tests.factories import CityFactory, MailableUserFactory, TweetupFactory
from tests.fixtures_mail import mail_part

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(site, smtp_mailer, celery_eager, settings):
    settings.SITE_URL = site.url
    return smtp_mailer


def test_invite_two_handles_and_one_answers_from_the_mail(people, inbox, browser, site):
    tweetup = TweetupFactory(
        city=CityFactory(name="Berlin"), title="Kreuzberg tech drinks", slug="kreuzberg-drinks"
    )
    maya = MailableUserFactory(x_username="maya_okafor", display_name="Maya Okafor")

    ivy = people("ivy_invites").sign_in()
    page = ivy.page
    page.goto(tweetup.get_absolute_url())
    expect(page.get_by_role("link", name="Invite people by @handle")).to_have_count(0)
    page.get_by_role("button", name="Going", exact=True).click()
    invite_link = page.get_by_role("link", name="Invite people by @handle")
    expect(invite_link).to_be_visible()
    screenshot(page, "invite-tweetup-going")
    invite_link.click()

    expect(page.get_by_role("heading", name="Invite people by their X handle")).to_be_visible()
    handles = page.get_by_label("X handles")
    handles.fill("@maya_okafor, @sam k!")  # a typo: "k!" is no handle
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Not an X handle: “k!”")).to_be_visible()
    expect(handles).to_have_value("@maya_okafor, @sam k!")  # kept as typed
    screenshot(page, "invite-typo")
    assert_accessible(page)
    assert not Invitation.objects.exists()

    handles.fill("@maya_okafor, @sam_k")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("heading", name="Your post is ready")).to_be_visible()
    screenshot(page, "invite-ready")
    assert_accessible(page)
    post = page.get_by_role("link", name="Post on X")
    intent = urlsplit(post.get_attribute("href"))
    query = parse_qs(intent.query)
    assert (intent.netloc, intent.path) == ("x.com", "/intent/post")
    assert query["url"] == [f"{site.url}{tweetup.get_absolute_url()}"]
    assert query["text"][0].startswith("Join me at Kreuzberg tech drinks · ")
    assert query["text"][0].endswith(" @maya_okafor @sam_k")
    assert sorted(Invitation.objects.values_list("handle", flat=True)) == ["maya_okafor", "sam_k"]

    # Maya has an account with a verified address: her invitation came by mail.
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == f"{maya.username}@example.com"
    assert mail["Subject"].startswith("You're invited: Kreuzberg tech drinks")
    body = mail_part(mail, "text/html")
    assert "(@ivy_invites) invited you to a tweetup." in body
    going = re.search(r'<a href="([^"]+)"[^>]*>Going</a>', body)[1].replace("&amp;", "&")

    # She answers from her inbox, signed out: the link asks, the button answers.
    inbox_reader = browser.new_context(base_url=site.url)
    try:
        mail_page = inbox_reader.new_page()
        mail_page.goto(going)
        expect(mail_page.get_by_role("heading", name="Answer “Going”?")).to_be_visible()
        screenshot(mail_page, "invite-mail-rsvp-confirm")
        mail_page.get_by_role("button", name="Yes, I'm going").click()
        expect(mail_page.get_by_role("heading", name="You're going")).to_be_visible()
    finally:
        inbox_reader.close()
    assert Rsvp.objects.get(user=maya, tweetup=tweetup).status == Rsvp.Status.GOING
