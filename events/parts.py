"""Page parts that are the same for everyone who sees them, assembled once and kept in the
page cache (tweetups/page_cache.py): the home page's lists, a city's listing, a tweetup's facts,
counts, people going and wall. Views add what is personal around them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from events.discovery import COUNT_CAP, CappedCount, listing_makers, topic_choices
from events.discovery_forms import ListingFilters
from events.models import (
    ATTENDEES_SHOWN,
    MAX_DURATION,
    City,
    HashtagSync,
    Rsvp,
    Topic,
    Tweet,
    Tweetup,
    TweetupTweet,
)
from events.network import attendees_shown
from tweetups import heartbeat, page_cache
from tweetups.compiled import CompiledGet

# What the home page shows of each list: enough to discover, the same cost at any size.
HOME_WEEK_SHOWN = 6
HOME_LATER_SHOWN = 6
HOME_TOPICS_SHOWN = 8
HOME_CITIES_SHOWN = 12
WEEK = timedelta(days=7)


def busiest_this_week(now: datetime):
    """Upcoming tweetups starting in the week ahead, most people going first."""
    week = Tweetup.objects.scheduled().upcoming(now).filter(starts_at__lt=now + WEEK)
    return week.order_by("-going_count", "starts_at", "id").for_listing()[:HOME_WEEK_SHOWN]


def after_this_week(now: datetime):
    soon = Tweetup.objects.scheduled().upcoming(now).filter(starts_at__gte=now + WEEK)
    return soon.for_listing()[:HOME_LATER_SHOWN]


def popular_topics(now: datetime):
    """Topics by upcoming tweetups, each counted up to COUNT_CAP, as the topics page does:
    the cost stays a few index reads per topic (an exact count joins every upcoming
    tweetup's topics, about 100 ms at 100,000 tweetups). Topics past the cap tie, by name."""
    upcoming = Tweetup.objects.scheduled().upcoming(now).filter(topics=OuterRef("pk"))
    counted = upcoming.order_by().values("id")[:COUNT_CAP]
    return (
        Topic.objects.annotate(upcoming_count=CappedCount(counted))
        .filter(upcoming_count__gt=0)
        .order_by("-upcoming_count", "name")[:HOME_TOPICS_SHOWN]
    )


def upcoming_per_city(now: datetime):
    """(city id, upcoming tweetups) for the cities with the most, counted from the covering
    index alone (tweetup_scheduled_upcoming_idx: no table rows are read)."""
    upcoming = Tweetup.objects.scheduled().filter(starts_at__gt=now - MAX_DURATION, ends_at__gt=now)
    counted = upcoming.order_by().values("city").annotate(upcoming=Count("*"))
    return counted.order_by("-upcoming", "city").values_list("city", "upcoming")


def busiest_cities(now: datetime) -> list[City]:
    """The cities with the most upcoming tweetups, most first: the counts, then the few
    cities by id (two small queries instead of one that joins every upcoming row)."""
    counts = dict(upcoming_per_city(now)[:HOME_CITIES_SHOWN])
    cities = list(City.objects.filter(pk__in=counts))
    for city in cities:
        city.upcoming_count = counts[city.pk]
    return sorted(cities, key=lambda city: (-city.upcoming_count, city.name, city.pk))


def home_makers() -> dict[str, Callable[[], Any]]:
    """Home's shared parts: the busiest tweetups of the week ahead, what comes after, the
    topics and the cities with the most upcoming tweetups: a query or two each, a few rows."""
    now = timezone.now()

    def rendered(name: str, **context) -> str:
        return render_to_string(f"events/home.html#{name}", context)

    # Each row of the two listings carries a mark for the signed-in person's network badge
    # (events/network.py fills or strips them).
    return {
        "this_week": lambda: rendered(
            "this_week", tweetups=list(busiest_this_week(now)), network_slot=True
        ),
        "later": lambda: rendered("later", tweetups=list(after_this_week(now)), network_slot=True),
        "topics": lambda: rendered("topics", topics=list(popular_topics(now)), cap=COUNT_CAP),
        "cities": lambda: rendered("cities", cities=busiest_cities(now)),
    }


def city_week_maker(slug: str) -> dict[str, Callable[[], str]]:
    """The week ahead in one city, for the home page of whoever looked at it last: a part
    of the city's scope, so its changes refresh it. Empty if there is no such city now."""

    def city_week():
        city = City.objects.filter(slug=slug).first()
        if city is None:
            return ""
        now = timezone.now()
        week = Tweetup.objects.scheduled().upcoming(now).in_city(city)
        rows = list(week.filter(starts_at__lt=now + WEEK).for_listing()[:HOME_WEEK_SHOWN])
        # Marks for the network badges, filled (or taken out) per person on home.
        context = {"tweetups": rows, "city": city, "network_slot": True}
        return render_to_string("events/home.html#city_week", context)

    return {"home_week": city_week}


def city_makers(slug: str, data: QueryDict, *, number: int) -> dict[str, Callable[[], Any]]:
    """The city itself (404 if there is none), its filter form and one page of its
    listing. "Today" and "this weekend" are the city's."""
    city = cache(lambda: get_object_or_404(City, slug=slug))

    def rows(filters: ListingFilters, first: int | None):
        now = timezone.now()
        tweetups = Tweetup.objects.in_city(city()).for_rows()
        tweetups = tweetups.past(now) if filters.past else tweetups.upcoming(now)
        today = now.astimezone(city().tzinfo).date()
        return filters.apply(tweetups, today=today, first=first)

    makers = listing_makers(
        "city",
        data=data,
        number=number,
        template="events/city_detail.html",
        action=reverse("events:city", args=[slug]),
        filters=lambda: ListingFilters(data, today=timezone.now().date(), topics=topic_choices()),
        rows=rows,
        context=lambda: {"city": city()},
    )
    return {"city": city, **makers}


_tweetup_with_counts = CompiledGet(
    lambda: Tweetup.objects.select_related("city", "organizer").annotate(
        counted_going=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING)),
        counted_maybe=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.MAYBE)),
        counted_waitlisted=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.WAITLISTED)),
    ),
    "slug",
    missing="No tweetup with that address.",
)


def tweetup_makers(slug: str, *, whole_page: bool = True) -> dict[str, Callable[[], Any]]:
    """The tweetup (404 if there is none), its counts and the people going anyone may see; for the
    `whole_page`, its facts and the public wall too (the organizer's own wall has hidden
    posts and hide buttons: it is never shared)."""
    # The tweetup and its counts in one query: they are made again after every RSVP.
    tweetup = cache(lambda: _tweetup_with_counts(slug))

    def counts():
        found = tweetup()
        return {
            "going": found.counted_going,
            "maybe": found.counted_maybe,
            "waitlisted": found.counted_waitlisted,
        }

    def listed():
        # Only who anyone may see (no private RSVP, no protected account): these bytes go
        # into visitors' pages. Whoever else a viewer may see is added in their panel.
        rsvps = Rsvp.objects.filter(tweetup__slug=slug)
        going = list(rsvps.listed()[:ATTENDEES_SHOWN])
        html = render_to_string("events/tweetup_detail.html#attendee_items", {"rsvps": going})
        # How many going are left off (without saying who): a viewer's panel looks for the
        # ones they may see only when there are some.
        unlisted = rsvps.going().filter(Q(private=True) | Q(user__x_protected=True))
        return {
            "html": html,
            # The same without the marks, for the viewers who skip nobody (most of them).
            "plain_html": attendees_shown(html)[0],
            "shown": len(going),
            "unlisted": unlisted.count(),
        }

    def facts():
        return render_to_string("events/tweetup_detail.html#facts", {"tweetup": tweetup()})

    def wall():
        return render_to_string("events/wall_parts.html#wall_section", wall_page(tweetup()))

    # Who is listed changes less often than the counts: joining the waitlist leaves it be.
    listed = page_cache.own_scope(f"people:{slug}", listed)
    makers = {"tweetup": tweetup, "counts": counts, "listed": listed}
    if whole_page:
        makers |= {"facts": facts, "wall": wall}
    return makers


@dataclass(frozen=True)
class Shown:
    """The posts a wall shows with ids from `lowest` to `highest`: an open wall removes
    the posts it has in that range that are not in `ids`."""

    lowest: int
    highest: int
    ids: list[int]


def _shown(tweetup: Tweetup, since: int | None, after: int | None, *, organizer: bool):
    if since is None or after is None or since > after:
        return None
    cap = settings.WALL_POLL_CHECKS_POSTS
    ids = list(
        TweetupTweet.objects.shown_between(tweetup, since, after, include_hidden=organizer)[
            : cap + 1
        ]
    )
    if len(ids) > cap:  # a wall paged far back: check its newest posts, the rest at reload
        ids = ids[:cap]
        since = ids[-1]
    return Shown(lowest=since, highest=after, ids=ids)


def wall_page(
    tweetup: Tweetup, *, organizer=False, big=False, before=None, after=None, since=None
) -> dict:
    """One page of the wall: newest first, or the posts before/after a given post.

    For the `organizer`: hidden posts (dimmed), the hide buttons and the sync state. `big`
    is the public big-screen view, which is what a projector shows. A poll (`after`) from a
    wall whose oldest post is `since` also gets `shown`: the posts from `since` to `after`
    the wall still shows, for it to drop the others.
    """
    posts = Tweet.objects.for_wall(tweetup, include_hidden=organizer)
    per_page = settings.WALL_POSTS_PER_PAGE
    if after is not None:
        # Oldest first, then flipped: a burst bigger than a page arrives over several polls
        # instead of leaving a gap.
        posts = list(posts.newer_than(after).order_by("x_id")[: per_page * 5])[::-1]
        has_older = False
    else:
        if before is not None:
            posts = posts.older_than(before)
        posts = list(posts[: per_page + 1])
        has_older = len(posts) > per_page
        posts = posts[:per_page]
    sync = next_read_at = None
    if organizer or not posts and after is None and before is None:
        sync = HashtagSync.objects.filter(tweetup=tweetup).first()
        # An empty wall says when X is read next (hourly a week out, every 6 hours before).
        if sync and sync.next_sync_at and sync.next_sync_at > timezone.now():
            next_read_at = sync.next_sync_at
    return {
        "tweetup": tweetup,
        "posts": posts,
        "shown": _shown(tweetup, since, after, organizer=organizer),
        "has_older": has_older,
        "oldest_id": posts[-1].x_id if posts else before,
        "newest_id": posts[0].x_id if posts else after,
        "is_organizer": organizer,
        "show_sync": organizer,
        "sync": sync if organizer else None,
        "sync_pulse": heartbeat.sync_pulse() if organizer else None,
        "next_read_at": next_read_at,
        "big": big,
        "poll_seconds": settings.WALL_POLL_SECONDS,
    }
