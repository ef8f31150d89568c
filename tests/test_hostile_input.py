"""Every URL the site serves, walked from the URLconf with hostile query strings and bodies
(NUL bytes, invalid UTF-8, huge values, repeated keys, odd charsets), anonymous and signed
in: bad input gets a 4xx in the site's own look, never a 500."""

import secrets

import pytest
from django.test import Client
from django.urls import get_resolver

from events.models import Tweet, TweetupTweet, XAuthor
from tests.test_security import concrete, walk

pytestmark = pytest.mark.django_db

HUGE = "9" * 5000  # past Python's 4,300-digit limit on int(), and long for any field

QUERIES = [
    "city=%00&next=%00&page=%00&before=%00&after=%00&when=%00&process=%00",
    "%00=1&%00",
    "city=%ff%fe&next=%c0%af&page=%ed%a0%80&before=%80&when=%ff",
    f"city={HUGE}&page={HUGE}&before={HUGE}&after={HUGE}&next=/{HUGE}",
    "page=1&page=2&page=x&page=-1&city=berlin&city=%00&when=past&when=",
    "next=foo&next=account_logout",
    "next=//evil.example/&before=-1&after=99999999999999999999999&page=0",
    "next=javascript:alert(1)&city=../../etc/passwd",
]

FORM = "application/x-www-form-urlencoded"
FIELDS = [
    "status",
    "reason",
    "title",
    "city",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "capacity",
    "hashtag",
    "description",
    "email",
    "action",
    "next",
    "body",
    "subject",
    "frequency",
    "choice",
    "token",
    "handles",
]


def _form(value: str) -> bytes:
    return "&".join(f"{name}={value}" for name in FIELDS).encode()


BODIES = [
    (f"{FORM}; charset=latin-1", "status=going&reason=caf\xe9&title=\xff".encode("latin-1")),
    (f"{FORM}; charset=utf-16", "status=going&reason=x".encode("utf-16")),
    (f"{FORM}; charset=utf-16", b"status=going"),  # says UTF-16, isn't
    (f"{FORM}; charset=no-such-charset", b"status=going"),
    (FORM, _form("%00")),
    (FORM, _form("%ff%fe%c0%af")),
    (FORM, _form(HUGE)),
    (FORM, b"status=going&status=maybe&capacity=1&capacity=-1&capacity=" + HUGE.encode()),
    (FORM, b"&".join(b"f%d=1" % i for i in range(1500))),  # more fields than Django takes
    ("multipart/form-data", b"no boundary at all"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
    ("application/json", b'{"status": "going", "next": "\\u0000"}'),
]


@pytest.fixture
def hostile_urls(tweetup):
    author = XAuthor.objects.create(
        x_id=5, username="poster", name="P", updated_at=tweetup.created_at
    )
    tweet = Tweet.objects.create(x_id=99, author=author, text="hi", created_at=tweetup.created_at)
    TweetupTweet.objects.create(tweetup=tweetup, tweet=tweet)
    values = {
        "slug": tweetup.slug,
        "x_id": "99",
        "token": "junk:token",
        "pk": "1",
        "id": "1",
        "key": "junk",
    }
    urls = ["/accounts/confirm-email/junk:key/", "/admin/login/", "/admin/"]
    for name, route in walk(get_resolver()):
        if not name.startswith("admin:") and (url := concrete(route, values)) is not None:
            urls.append(url)
    assert len(urls) > 25  # the walk found the site, not an empty list
    return sorted(set(urls))


def signed_in_client(user) -> Client:
    """Enforces CSRF like the real site; every POST carries a valid token in the header,
    so hostile bodies get past the check and reach the views."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    token = secrets.token_hex(16)
    client.cookies["csrftoken"] = token
    client.defaults["HTTP_X_CSRFTOKEN"] = token
    return client


@pytest.mark.parametrize("who", ["anonymous", "organizer", "stranger"])
def test_hostile_query_strings_and_bodies_never_get_a_500(hostile_urls, tweetup, who, other_user):
    person = {"anonymous": None, "organizer": tweetup.organizer, "stranger": other_user}[who]
    client = signed_in_client(person)
    failures = []
    for url in hostile_urls:
        for query in QUERIES:
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(f"{url}?{query}", headers=headers)
                if response.status_code >= 500:
                    failures.append(("GET", url, query, headers, response.status_code))
        for content_type, body in BODIES:
            response = client.generic("POST", url, body, content_type=content_type)
            if response.status_code >= 500:
                failures.append(("POST", url, content_type, body[:40], response.status_code))
    assert failures == []


def _in_site_look(response) -> bool:
    return 'class="site-header"' in response.text and "· Tweetups</title>" in response.text


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("path", ["/cities/?city=%00", "/new/?city=%00", "/c/x/?page=%00"])
def test_a_nul_byte_in_the_query_is_a_400_in_the_site_look(client, user, path, signed_in):
    if signed_in:
        client.force_login(user)

    response = client.get(path)

    assert response.status_code == 400
    assert _in_site_look(response)
    assert ("Sign out" in response.text) is signed_in  # the header still knows who you are


@pytest.mark.parametrize("charset", ["latin-1", "utf-16"])
def test_a_form_in_an_odd_charset_is_a_400_in_the_site_look(tweetup, other_user, charset):
    client = signed_in_client(other_user)

    response = client.generic(
        "POST",
        f"/t/{tweetup.slug}/rsvp/",
        "status=going".encode(charset),
        content_type=f"{FORM}; charset={charset}",
    )

    assert response.status_code == 400
    assert _in_site_look(response)
    assert not tweetup.rsvps.filter(user=other_user).exists()


def test_a_form_without_its_csrf_token_is_a_403_in_the_site_look(tweetup, other_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_user)

    response = client.post(f"/t/{tweetup.slug}/rsvp/", {"status": "going"})

    assert response.status_code == 403
    assert _in_site_look(response)
    assert "That form has expired" in response.text
    assert not tweetup.rsvps.filter(user=other_user).exists()


@pytest.mark.parametrize("next_value", ["foo", "account_logout", "events:home"])
def test_next_that_looks_like_a_url_name_goes_home(client, user, tweetup, next_value):
    client.force_login(user)

    signed_in = client.get(f"/accounts/login/?next={next_value}")
    follow = client.post(
        f"/c/{tweetup.city.slug}/follow/", {"action": "follow", "next": next_value}
    )

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert follow.status_code == 302
    assert follow["Location"] == tweetup.city.get_absolute_url()
