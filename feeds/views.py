"""Feed responses: iCalendar and Atom of any FeedSource, with conditional GET.

Each feed is a fixed number of queries whatever its size: what it is of (a city, a token),
the rows' stamp (feeds/sources.py; for a calendar, with the rows' ids), and, unless the
poller's copy is current (a 304) or its body is kept, the rows themselves. Public feeds
may be kept by shared caches; the private one only by the person's own client.

Per city, per topic and per search feeds are each one view around `calendar_feed` /
`atom_feed` and a FeedSource (feeds/sources.py). A search feed's key is its normalized
query, so the ETag hashes it; its ranking is replaced by date order.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_http_methods, require_safe

from events.calendar_feeds import feed_ics
from events.models import City, Topic
from events.search import SearchText
from feeds.atom import TweetupAtomFeed
from feeds.models import CalendarFeedToken
from feeds.services import calendar_feed_token_replace, calendar_feed_token_revoke
from feeds.sources import (
    FeedSource,
    Stamp,
    atom_rows,
    calendar_window,
    city_source,
    network_source,
    personal_source,
    search_source,
    stamp,
    topic_source,
)

# Shared caches and clients may serve a feed this long without asking; after that they
# ask with If-None-Match and mostly get a 304. Calendar apps are asked to poll hourly.
FEED_MAX_AGE = 300
CALENDAR_REFRESH = timedelta(hours=1)
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")  # what secrets.token_urlsafe makes
# A rendered feed is kept under its ETag: the same rows make the same bytes, so a poller
# without a copy costs the stamp and a cache read. A change makes a new ETag, hence a new
# key; old ones expire. (Rendered again, a calendar writes no event: events/calendar_feeds.py
# keeps each one's text in the database, and in the cache those written around it.)
FEED_BODY_SECONDS = 24 * 3600

Kind = CalendarFeedToken.Kind

logger = logging.getLogger(__name__)


def _validated(request, source: FeedSource, found: Stamp, kind: str, *, private: bool):
    """The feed's validators and caching headers, and a 304 if the client's copy is current."""
    etag = found.etag(source, kind)
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}",
    }
    last_modified = None
    if found.last_modified is not None:
        last_modified = int(found.last_modified.timestamp())
        headers["Last-Modified"] = http_date(last_modified)
    if private:
        headers["X-Robots-Tag"] = "noindex"
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    return headers, not_modified


def feed_body_key(etag: str, site: str) -> str:
    """Where the feed with `etag` as served at `site` (scheme and host) is kept: links in a
    feed are absolute."""
    return "feed-body:" + hashlib.sha256(f"{etag}|{site}".encode()).hexdigest()


def _body(request, etag: str, make: Callable[[], bytes]) -> bytes:
    """The feed's bytes from the cache, else rendered (and kept). Without the cache, render."""
    key = feed_body_key(etag, f"{request.scheme}://{request.get_host()}")
    try:
        body = cache.get(key)
    except Exception:
        logger.warning("Feed cache unavailable", exc_info=True)
        body = None
    if body is None:
        body = make()
        try:
            cache.set(key, body, FEED_BODY_SECONDS)
        except Exception:
            logger.warning("Feed cache unavailable", exc_info=True)
    return body


def _with(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def calendar_feed(
    request, source: FeedSource, *, filename: str, private: bool = False
) -> HttpResponse:
    """An iCalendar feed of `source`: after what finding `source` took, one query for the
    rows' ids and stamp and, unless it is a 304 or the rendered feed is cached, one for the
    rows."""
    window = calendar_window(source)
    headers, not_modified = _validated(request, source, window.stamp, "ics", private=private)
    if not_modified is not None:
        return _with(not_modified, headers)

    def make() -> bytes:
        return feed_ics(
            window.rows(),
            name=source.title,
            site=f"{request.scheme}://{request.get_host()}",
            refresh=CALENDAR_REFRESH,
        )

    body = _body(request, headers["ETag"], make)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return _with(response, headers)


def atom_feed(request, source: FeedSource) -> HttpResponse:
    """An Atom feed of `source`, newest announcements first; queries as `calendar_feed`."""
    rows = atom_rows(source)
    headers, not_modified = _validated(request, source, stamp(rows), "atom", private=False)
    if not_modified is not None:
        return _with(not_modified, headers)

    def make() -> bytes:
        return TweetupAtomFeed()(request, source=source, rows=rows).content

    body = _body(request, headers["ETag"], make)
    response = HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    return _with(response, headers)


@require_safe
def city_calendar(request, slug):
    city = get_object_or_404(City, slug=slug)
    return calendar_feed(request, city_source(city), filename=f"tweetups-{city.slug}.ics")


@require_safe
def city_atom(request, slug):
    city = get_object_or_404(City, slug=slug)
    return atom_feed(request, city_source(city))


@require_safe
def topic_calendar(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    return calendar_feed(request, topic_source(topic), filename=f"tweetups-{topic.slug}.ics")


@require_safe
def topic_atom(request, slug):
    return atom_feed(request, topic_source(get_object_or_404(Topic, slug=slug)))


@require_safe
def search_calendar(request):
    """The tweetups a search finds, as a calendar to subscribe to (?q=, as /search/)."""
    text = SearchText.parse(request.GET.get("q", ""))
    return calendar_feed(request, search_source(text), filename="tweetups-search.ics")


def _feed_owner(token: str, kind: str):
    """Whose `kind` feed `token` opens. The token is the only key: an unknown, replaced or
    turned off one, or the other feed's, is a 404, the same for each, so the answer tells a
    guesser nothing."""
    feed = None
    if TOKEN_PATTERN.match(token):
        feed = (
            CalendarFeedToken.objects.for_token(token)
            .filter(kind=kind)
            .select_related("user")
            .first()
        )
    if feed is None or not feed.user.is_active:
        raise Http404("No calendar feed at this address. It may have been replaced.")
    return feed.user


@require_safe
def personal_calendar(request, token):
    """A person's private feed of the tweetups they're going to."""
    source = personal_source(_feed_owner(token, Kind.MINE))
    return calendar_feed(request, source, filename="my-tweetups.ics", private=True)


@require_safe
def network_calendar(request, token):
    """The "Your network" page as a private feed, with its own secret: replaced or turned
    off apart from the feed of one's own tweetups."""
    source = network_source(_feed_owner(token, Kind.NETWORK))
    return calendar_feed(request, source, filename="my-network.ics", private=True)


FEED_URLS = {Kind.MINE: "feeds:personal_calendar", Kind.NETWORK: "feeds:network_calendar"}
TURNED_OFF = {
    Kind.MINE: "Your calendar feed is off. Its address no longer works.",
    Kind.NETWORK: "Your network's calendar feed is off. Its address no longer works.",
}


@require_http_methods(["GET", "POST"])
@login_required
def calendar_settings(request):
    """Get, replace or turn off one's private feed addresses (`feed`: mine or network), one
    at a time. Only a digest of a token is kept, so an address is shown once, right after
    it is made."""
    action = request.POST.get("action")
    kind = request.POST.get("feed", Kind.MINE)
    new_urls = {}
    if request.method == "POST" and (
        action not in ("replace", "revoke") or kind not in Kind.values
    ):
        messages.error(request, "Choose to make a new address or to turn the feed off.")
        return redirect("feeds:calendar_settings")
    if action == "replace":
        token = calendar_feed_token_replace(user=request.user, kind=kind)
        new_urls[kind] = request.build_absolute_uri(reverse(FEED_URLS[kind], args=[token]))
    elif action == "revoke":
        if calendar_feed_token_revoke(user=request.user, kind=kind):
            messages.success(request, TURNED_OFF[kind])
        return redirect("feeds:calendar_settings")
    feeds = {f.kind: f for f in CalendarFeedToken.objects.filter(user=request.user)}
    response = render(
        request,
        "feeds/calendar_settings.html",
        {
            "feed": feeds.get(Kind.MINE),
            "network_feed": feeds.get(Kind.NETWORK),
            "feed_url": new_urls.get(Kind.MINE, ""),
            "network_url": new_urls.get(Kind.NETWORK, ""),
        },
    )
    if new_urls:
        response["Cache-Control"] = "no-store"  # the secret address: kept by no cache
    return response
