"""What a feed shows, whatever it is of: a city, a person, a topic, a search.

A `FeedSource` wraps any queryset of tweetups. A calendar feed takes a bounded part of it
(the next FEED_MAX_UPCOMING, and the last FEED_MAX_RECENT of the past FEED_PAST_DAYS), an
Atom feed the newest announcements in the same days. Each has a `Stamp`: the newest
change among those rows and their number, read in one query (for a calendar, the same
one that picks its rows' ids). The stamp gives Last-Modified and the ETag before anything
is rendered, so a poller with a current copy costs two small queries and gets a 304.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from events.calendar_feeds import FEED_COLUMNS
from events.models import MAX_DURATION, Rsvp, Tweetup
from events.network import network_going_changed, network_tweetup_ids

FEED_PAST_DAYS = 30
# A calendar: what is coming, soonest first, and what just happened (a calendar app drops
# what leaves the feed, so a tweetup stays in it a while after it took place). Two caps,
# not one over both: soonest first from 30 days ago, a busy city's past month filled all
# 200 places at 100k tweetups and the feed showed nothing to come.
FEED_MAX_UPCOMING = 150
FEED_MAX_RECENT = 50
ATOM_MAX_ENTRIES = 50  # a news feed: the newest announcements first
# A search feed's past: as long as a tweetup may last, so one stays while it goes on. Not
# FEED_PAST_DAYS: a search's candidates are its first matches in date order, and a month
# of them could leave no room for what is coming.
SEARCH_FEED_PAST = MAX_DURATION
# Bump when what a feed renders from the same rows changes, so pollers don't keep old bytes.
FEED_FORMAT = "3"  # 3: next 150 and latest 50; 2: TZID for zones icalendar took for UTC


@dataclass(frozen=True)
class FeedSource:
    # Names the feed in its ETag, with anything it shows that its rows' `changed` does not
    # stamp (a city's name and zone), e.g. "city:3:Berlin:Europe/Berlin".
    key: str
    title: str
    link: str  # the page the feed follows, as a path
    description: str
    tweetups: QuerySet  # of Tweetup, any filter
    # The newest change among the rows: the tweetups' own by default. The private feed adds
    # the person's RSVP, so answering "maybe" to an old tweetup refreshes the feed too.
    changed: Combinable = F("updated_at")
    # `tweetups` is a short list already (a search's candidates): a calendar feed shows its
    # first FEED_MAX_UPCOMING + FEED_MAX_RECENT in date order, read once, not in two parts.
    bounded: bool = False


@dataclass(frozen=True)
class Stamp:
    last_modified: datetime | None
    count: int

    def etag(self, source: FeedSource, kind: str) -> str:
        changed = self.last_modified.isoformat() if self.last_modified else "-"
        seed = f"{FEED_FORMAT}|{kind}|{source.key}|{changed}|{self.count}"
        return '"' + hashlib.blake2b(seed.encode(), digest_size=16).hexdigest() + '"'


def _window(source: FeedSource, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    rows = source.tweetups.annotate(feed_changed=source.changed)
    return rows.filter(starts_at__gte=now - timedelta(days=FEED_PAST_DAYS))


@dataclass(frozen=True)
class CalendarWindow:
    """The tweetups a calendar feed shows, by id, and their stamp."""

    ids: list[int]
    stamp: Stamp

    def rows(self) -> QuerySet:
        return (
            Tweetup.objects.filter(id__in=self.ids)
            .order_by("starts_at", "id")
            .select_related("city", "vevent")  # each one's kept text: events/calendar_feeds.py
            .only(*FEED_COLUMNS)
        )


def calendar_window(source: FeedSource, now: datetime | None = None) -> CalendarWindow:
    """The next FEED_MAX_UPCOMING and the FEED_MAX_RECENT latest to start in the past
    FEED_PAST_DAYS (cancelled ones too: they say so), each part a LIMIT read along the date
    index, with their changes: one query gives the stamp and which rows to render. The
    rows are then read by id (`rows()`), so the source's filter (a search's, say) is run
    once per part and never again."""
    now = now or timezone.now()
    since = now - timedelta(days=FEED_PAST_DAYS)
    tweetups = source.tweetups.annotate(feed_changed=source.changed)
    # Each part's ORDER BY must name a column it selects, for the UNION.
    columns = ("id", "feed_changed", "starts_at")
    if source.bounded:
        found = (
            tweetups.filter(starts_at__gte=since)
            .order_by("starts_at", "id")
            .values_list(*columns)[: FEED_MAX_UPCOMING + FEED_MAX_RECENT]
        )
    else:
        upcoming = tweetups.filter(starts_at__gte=now).order_by("starts_at", "id")
        recent = tweetups.filter(starts_at__lt=now, starts_at__gte=since)
        upcoming = upcoming.values_list(*columns)[:FEED_MAX_UPCOMING]
        recent = recent.order_by("-starts_at", "-id").values_list(*columns)[:FEED_MAX_RECENT]
        if connections[tweetups.db].features.supports_slicing_ordering_in_compound:
            found = upcoming.union(recent, all=True)
        else:  # SQLite: no LIMIT inside a UNION; the same rows found by id (small databases)
            parts = Q(id__in=upcoming.values("id")) | Q(id__in=recent.values("id"))
            found = tweetups.filter(parts).values_list(*columns)
    changes = {id_: changed for id_, changed, _ in found}
    return CalendarWindow(
        ids=list(changes), stamp=Stamp(max(changes.values(), default=None), len(changes))
    )


def atom_rows(source: FeedSource, now: datetime | None = None) -> QuerySet:
    """Newest announcement first, among the same window."""
    rows = _window(source, now).order_by("-created_at", "-id")[:ATOM_MAX_ENTRIES]
    return rows.select_related("city", "organizer")


def stamp(rows: QuerySet) -> Stamp:
    """One aggregate over exactly the rows the feed will show (a sliced queryset becomes a
    subquery): it reads no more of the table than rendering them would."""
    found = rows.select_related(None).aggregate(
        last_modified=Max("feed_changed"), count=Count("id")
    )
    return Stamp(found["last_modified"], found["count"])


def city_source(city) -> FeedSource:
    return FeedSource(
        key=f"city:{city.pk}:{city.name}:{city.timezone}",
        title=f"Tweetups in {city.name}",
        link=city.get_absolute_url(),
        description=f"Tweetups in {city.name}, {city.country}: meet people you know from X.",
        tweetups=Tweetup.objects.in_city(city),
    )


def topic_source(topic) -> FeedSource:
    return FeedSource(
        key=f"topic:{topic.pk}:{topic.name}",
        title=f"{topic.name} tweetups",
        link=topic.get_absolute_url(),
        description=f"Tweetups about {topic.name}: meet people you know from X.",
        tweetups=Tweetup.objects.filter(topics=topic),
    )


def search_source(text, now: datetime | None = None) -> FeedSource:
    """Tweetups matching a search (`events.search.SearchText`), in date order: those that
    started in the last SEARCH_FEED_PAST or are to come. A search ranks among its first
    SEARCH_CANDIDATES matches in the queryset's date order; among all tweetups those were
    the oldest, and at 10k tweetups a common search's feed showed nothing."""
    now = now or timezone.now()
    since = Tweetup.objects.filter(starts_at__gte=now - SEARCH_FEED_PAST)
    return FeedSource(
        key=f"search:{text.text}",
        title=f"Tweetups matching “{text.text}”",
        link=f"{reverse('events:search')}?{urlencode({'q': text.text})}",
        description=f"Tweetups matching “{text.text}”: meet people you know from X.",
        tweetups=since.search(text) if text else Tweetup.objects.none(),
        bounded=True,
    )


# What "tweetups I'm going to or might go to" means: a seat, a maybe, or a place in line.
PERSONAL_ANSWERS = (Rsvp.Status.GOING, Rsvp.Status.MAYBE, Rsvp.Status.WAITLISTED)


def personal_source(user) -> FeedSource:
    """The tweetups `user` is going to, might go to, or is waitlisted for (organizing
    counts: the organizer is going). One filter() call, so `changed` reads the same RSVP
    row the filter picked."""
    return FeedSource(
        key=f"person:{user.pk}",
        title="My tweetups",
        link=reverse("events:my_tweetups"),
        description="The tweetups you're going to or might go to.",
        tweetups=Tweetup.objects.filter(rsvps__user=user, rsvps__status__in=PERSONAL_ANSWERS),
        changed=Greatest("updated_at", "rsvps__updated_at"),
    )


def network_source(user) -> FeedSource:
    """Tweetups people `user` follows on X are going to (the "Your network" page). Its stamp
    moves with the tweetups and with their going RSVPs, so one joining refreshes it."""
    return FeedSource(
        key=f"network:{user.pk}",
        title="Where people you follow are going",
        link=reverse("events:network"),
        description="Tweetups that people you follow on X are going to.",
        tweetups=Tweetup.objects.filter(id__in=network_tweetup_ids(user)),
        changed=Greatest("updated_at", Coalesce(network_going_changed(user), "updated_at")),
    )
