"""Sharing a tweetup: Post on X, copy link, the share sheet, and its card image."""

import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from PIL import Image

from events import sharing
from events.cards import CardFacts, card_png
from events.models import Tweetup
from events.services import tweetup_cancel
from tests.factories import UserFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def attribute(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found is not None, pattern
    return unescape(found.group(1))


def page_of(client, tweetup) -> str:
    response = client.get(tweetup.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["visitor", "stranger", "organizer"])
def test_every_tweetup_page_has_a_right_post_on_x_intent(client, tweetup, who):
    tweetup.title = 'Tech & Tapas: <the> "best" night?'
    tweetup.save()
    if who != "visitor":
        client.force_login(tweetup.organizer if who == "organizer" else UserFactory())

    html = page_of(client, tweetup)

    intent = urlsplit(attribute(html, r'<a class="button button-x-post" href="([^"]+)"'))
    assert (intent.scheme, intent.netloc, intent.path) == ("https", "x.com", "/intent/post")
    query = parse_qs(intent.query, strict_parsing=True)
    assert set(query) == {"text", "url", "hashtags"}
    assert query["url"] == [f"http://testserver{tweetup.get_absolute_url()}"]
    assert query["hashtags"] == [tweetup.hashtag]
    assert query["text"][0].startswith('Tech & Tapas: <the> "best" night? · ')
    assert "Berlin" in query["text"][0]


def test_copy_link_and_share_sheet_work_without_javascript_as_a_plain_link(client, tweetup):
    html = page_of(client, tweetup)
    url = f"http://testserver{tweetup.get_absolute_url()}"
    assert attribute(html, r'<input id="share-url" type="url" value="([^"]+)" readonly') == url
    # The buttons need JavaScript (site.js shows them if the browser can): hidden without.
    assert re.search(r'<button[^>]*data-copy="share-url"[^>]*hidden', html)
    share = re.search(r"<button[^>]*hidden[^>]*data-share-url=\"([^\"]+)\"", html, re.S)
    assert share is not None and unescape(share.group(1)) == url


def test_the_share_block_is_the_same_for_everyone_signed_in(client, tweetup, settings):
    settings.PAGE_CACHE_SECONDS = 60
    blocks = []
    for person in (UserFactory(), UserFactory()):
        client.force_login(person)
        response = client.get(tweetup.get_absolute_url())
        html = response.content.decode()
        blocks.append(re.search(r'<section id="share".*?</section>', html, re.S).group(0))
    assert response["X-Cache"] == "frame-hit"  # the second came from the shared frame
    assert blocks[0] == blocks[1]


def test_the_organizer_lands_on_the_share_buttons_after_creating(client, user, berlin):
    client.force_login(user)
    data = form_data(berlin, title="Brand new", hashtag="BrandNewTweetup")
    response = client.post(reverse("events:tweetup_new"), data)
    assert response.status_code == 302
    tweetup = Tweetup.objects.get(title="Brand new")
    assert response["Location"] == f"{tweetup.get_absolute_url()}#share"
    html = client.get(response["Location"]).content.decode()
    assert "Now share it" in html
    assert 'id="share"' in html


class TestCardImage:
    def card(self, client, tweetup, **headers):
        return client.get(reverse("events:tweetup_card", args=[tweetup.slug]), headers=headers)

    def test_it_is_a_1200_by_630_png_that_changes_with_the_title(self, client, tweetup):
        first = self.card(client, tweetup)
        assert first.status_code == 200
        assert first["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(first.content))
        assert (image.format, image.size) == ("PNG", (1200, 630))
        assert first["Cache-Control"].startswith("public, max-age=")
        again = self.card(client, tweetup, If_None_Match=first["ETag"])
        assert again.status_code == 304

        tweetup.title = "A different title altogether"
        tweetup.save()
        changed = self.card(client, tweetup, If_None_Match=first["ETag"])
        assert changed.status_code == 200
        assert changed["ETag"] != first["ETag"]
        assert changed.content != first.content
        assert Image.open(io.BytesIO(changed.content)).size == (1200, 630)

    def test_cancelling_and_a_new_handle_draw_a_new_card(self, client, tweetup):
        etags = {self.card(client, tweetup)["ETag"]}
        tweetup.organizer.x_username = "renamed_handle"
        tweetup.organizer.save()
        etags.add(self.card(client, tweetup)["ETag"])
        tweetup_cancel(tweetup=tweetup, actor=tweetup.organizer, reason="")
        etags.add(self.card(client, tweetup)["ETag"])
        assert len(etags) == 3

    def test_it_is_drawn_once_then_served_from_the_cache(self, client, tweetup, monkeypatch):
        drawn = []
        original = sharing.card_png
        monkeypatch.setattr(sharing, "card_png", lambda facts: drawn.append(1) or original(facts))
        bodies = {self.card(client, tweetup).content for _ in range(3)}
        assert len(bodies) == 1
        assert len(drawn) == 1

    def test_the_page_points_its_card_tags_at_it(self, client, tweetup):
        html = page_of(client, tweetup)
        og = attribute(html, r'<meta property="og:image" content="([^"]+)"')
        twitter = attribute(html, r'<meta name="twitter:image" content="([^"]+)"')
        assert og == twitter
        address = urlsplit(og)
        assert address.path == reverse("events:tweetup_card", args=[tweetup.slug])
        response = client.get(f"{address.path}?{address.query}")
        assert f'"{parse_qs(address.query)["v"][0]}"' == response["ETag"]
        assert response["Cache-Control"] == f"public, max-age={7 * 24 * 3600}"
        assert 'name="twitter:card" content="summary_large_image"' in html

    def test_without_the_cache_it_is_drawn_every_time(self, client, tweetup, settings):
        settings.CACHES = {"default": {"BACKEND": "tests.feeds.conftest.BrokenCache"}}
        response = self.card(client, tweetup)
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size == (1200, 630)

    def test_unknown_tweetups_have_no_card(self, client, db):
        assert client.get("/t/nothing-here/card.png").status_code == 404


@pytest.mark.parametrize("page", ["home", "city"])
def test_home_and_city_pages_have_card_tags(client, berlin, page):
    url = reverse("events:home") if page == "home" else berlin.get_absolute_url()
    html = client.get(url).content.decode()
    title = attribute(html, r'<meta property="og:title" content="([^"]+)"')
    assert title == (
        "Tweetups in Berlin" if page == "city" else "Tweetups: meet your X friends in real life"
    )
    assert re.search(r'<meta property="og:description" content="[^"]{20,}"', html)
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert re.search(
        r'<meta property="og:image" content="http://testserver/static/img/card\.png"', html
    )


@pytest.mark.parametrize(
    "title",
    [
        "🎉 Party 日本語 مرحبا",
        "x" * 120,
        " ".join(["Supercalifragilistic"] * 10),
        "a\x00b\u202eevil",
    ],
)
def test_any_title_makes_a_card(title):
    facts = CardFacts(
        title=title,
        when="w" * 200,
        where="v" * 300,
        hashtag="#" + "h" * 100,
        organizer="Organized by @" + "o" * 50,
        cancelled=True,
    )
    image = Image.open(io.BytesIO(card_png(facts)))
    assert (image.format, image.size) == ("PNG", (1200, 630))
