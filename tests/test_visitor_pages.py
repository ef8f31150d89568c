"""VisitorPages (tweetups/page_cache.py): a kept visitor page is answered before the rest of
the middleware and the view run, with the headers it was first sent with; a page that
turns out personal on its way out is neither kept nor public."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from tweetups import page_cache
from tweetups.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


@page_cache.for_visitors("csrf-page")
def page_with_a_csrf_token(request):
    return HttpResponse(f"form {get_token(request)}")


urlpatterns = [path("csrf-page/", page_with_a_csrf_token), *site_urlpatterns]


def test_a_hit_has_the_misss_headers_and_runs_no_query(tweetup):
    visitor = Client()
    miss = visitor.get(tweetup.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        hit = visitor.get(tweetup.get_absolute_url())

    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    assert len(queries) == 0
    assert hit.content == miss.content
    for name in (
        "Content-Type",
        "ETag",
        "Cache-Control",
        "Vary",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
    ):
        assert hit[name] == miss[name], name
    assert hit["Content-Length"] == str(len(hit.content))
    assert not hit.cookies


def test_an_etag_answered_on_a_miss_still_keeps_the_page(
    tweetup, django_capture_on_commit_callbacks
):
    visitor = Client()
    etag = Client().get(tweetup.get_absolute_url())["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.forget(f"tweetup:{tweetup.slug}")

    revalidated = visitor.get(tweetup.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    again = visitor.get(tweetup.get_absolute_url())

    assert (revalidated.status_code, revalidated["X-Cache"]) == (304, "miss")
    assert revalidated["ETag"] == etag and "public" in revalidated["Cache-Control"]
    assert (again.status_code, again["X-Cache"], again["ETag"]) == (200, "hit", etag)


@pytest.mark.urls(__name__)
def test_a_page_that_sets_a_cookie_on_its_way_out_is_private_and_not_kept():
    visitor = Client()
    first = visitor.get("/csrf-page/")
    second = Client().get("/csrf-page/")

    assert first.cookies  # CsrfViewMiddleware set the token's cookie after the view
    assert first["Cache-Control"] == "private, no-cache"
    assert second["X-Cache"] == "miss"  # not kept: the next visitor gets their own
    assert second.content != first.content
