"""Every URL the site serves, walked from the URLconf: no GET or HEAD writes to the
database, and no POST gets through without a CSRF token (one RFC 8058 exception). And the
tweetup's own pages by hand: a POST without a token leaves the tweetup as it was."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from events.models import Tweet, Tweetup, TweetupTweet, XAuthor
from tests.pages import form_data

pytestmark = pytest.mark.django_db

# One-click unsubscribe (RFC 8058) is POSTed by mail clients without a session or token;
# its URL carries a signed token instead.
CSRF_EXEMPT = {"notifications:unsubscribe"}


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern)


def concrete(route: str, values: dict[str, str]) -> str | None:
    """A URL for a route, with <converters> filled in; None for regex routes we can't fill."""
    if route.startswith("^") or "(?P" in route:
        return None
    url = route
    while "<" in url:
        start, end = url.index("<"), url.index(">")
        name = url[start + 1 : end].split(":")[-1]
        url = url[:start] + values.get(name, "x") + url[end + 1 :]
    return "/" + url


@pytest.fixture
def site_urls(tweetup):
    author = XAuthor.objects.create(
        x_id=5, username="poster", name="P", updated_at=tweetup.created_at
    )
    tweet = Tweet.objects.create(x_id=99, author=author, text="hi", created_at=tweetup.created_at)
    TweetupTweet.objects.create(tweetup=tweetup, tweet=tweet)
    values = {"slug": tweetup.slug, "x_id": "99", "token": "junk:token", "pk": "1", "id": "1"}
    urls = []
    for name, route in walk(get_resolver()):
        if name.startswith("admin:") or (url := concrete(route, values)) is None:
            continue
        urls.append((name, url))
    assert len(urls) > 25  # the walk found the site, not an empty list
    return urls


def writes(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@pytest.mark.parametrize("who", ["anonymous", "organizer", "stranger"])
def test_no_get_or_head_writes_anything(site_urls, tweetup, other_user, who):
    client = Client()
    if who != "anonymous":
        client.force_login(tweetup.organizer if who == "organizer" else other_user)
        client.get("/")  # the session row exists before we count
    with CaptureQueriesContext(connection) as ctx:
        for _name, url in site_urls:
            for headers in ({}, {"HX-Request": "true"}):
                client.get(url, headers=headers)
                client.head(url, headers=headers)
    assert writes(ctx) == []


def test_no_post_without_a_csrf_token(site_urls, tweetup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tweetup.organizer)
    for name, url in site_urls:
        response = client.post(url, {"status": "going", "hidden": "1", "reason": "x"})
        if name in CSRF_EXEMPT:
            assert response.status_code in (400, 404, 410), (name, response.status_code)
        else:
            assert response.status_code in (403, 405), (name, url, response.status_code)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "a style attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an inline event handler"),
    (re.compile(r"""\shx-on[:-]""", re.I), "an hx-on handler (evaluated code)"),
    (re.compile(r"""\bnonce=""", re.I), "a nonce"),
]


@pytest.mark.parametrize("who", ["anonymous", "organizer", "stranger"])
def test_pages_have_no_inline_script_or_style_and_the_csp_allows_none(
    site_urls, tweetup, other_user, who
):
    client = Client()
    if who != "anonymous":
        client.force_login(tweetup.organizer if who == "organizer" else other_user)
    checked = 0
    for name, url in site_urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            csp = response["Content-Security-Policy"]
            assert "'unsafe-inline'" not in csp and "'nonce-" not in csp, (name, csp)
            assert "script-src 'self'" in csp and "style-src 'self'" in csp, (name, csp)
            for pattern, what in INLINE:
                found = pattern.search(response.text)
                assert found is None, f"{name} {url} has {what}: {found and found.group(0)}"
    assert checked > 20


class TestCsrf:
    @pytest.mark.parametrize(
        "name,data",
        [
            ("events:rsvp", {"status": "going"}),
            ("events:tweetup_cancel", {"reason": "x"}),
            ("events:tweetup_edit", {"title": "x"}),
        ],
    )
    def test_posts_without_token_are_refused(self, tweetup, user, name, data):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.post(reverse(name, args=[tweetup.slug]), data)
        assert response.status_code == 403
        tweetup.refresh_from_db()
        assert tweetup.status == Tweetup.Status.SCHEDULED
        assert tweetup.title != "x"

    def test_create_without_token_is_refused(self, user, berlin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(reverse("events:tweetup_new"), form_data(berlin)).status_code == 403
        assert Tweetup.objects.count() == 0


def test_no_get_or_head_writes(client, tweetup, other_user, django_assert_num_queries):
    client.force_login(other_user)
    urls = [
        "/",
        tweetup.city.get_absolute_url(),
        tweetup.get_absolute_url(),
        reverse("events:tweetup_ics", args=[tweetup.slug]),
        reverse("events:my_tweetups"),
        reverse("events:rsvp", args=[tweetup.slug]),
        reverse("events:tweetup_new"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        for url in urls:
            client.get(url)
            client.head(url)
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []
