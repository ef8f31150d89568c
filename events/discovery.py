"""The parts of listings you filter (search, a topic, a city), kept in the page cache.

A listing page has two shared parts named after its filters as the URL has them: the
filter form (with its messages) and one page of results. The URL names them before any
filter is read, so a cached page costs no query; the makers read and check the filters
only when they have to render.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import IntegerField, OuterRef, Subquery
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse

from events.discovery_forms import ListingFilters, SearchFilters
from events.maps import map_tiles
from events.models import Topic, Tweetup
from events.network import SORT_NETWORK, fill_badges, sorted_by_network
from events.pagination import page_number, page_of

COUNT_CAP = 100  # "100+ upcoming": a topic index that costs the same at any size
# Every GET parameter a listing page understands (the page cache serves only these).
LISTING_PARAMS = (*SearchFilters.ORDER, "page", "sort")


def topic_choices() -> list[tuple[str, str]]:
    return list(Topic.objects.values_list("slug", "name"))


def filter_key(data: QueryDict) -> str:
    """A short, stable name for the filters in a URL, before they are checked."""
    pairs = [(name, data.get(name, "")) for name in SearchFilters.ORDER if data.get(name)]
    return hashlib.blake2b(urlencode(pairs).encode(), digest_size=10).hexdigest()


class ListingResults:
    """One page of a listing's results, rendered from `template`'s `results` partial: as
    everyone sees it (calling it: a shared part, with a badge mark per row), or for one
    person sorted by how many people they follow are going (`by_network`, never cached)."""

    def __init__(self, *, filters, rows, number: int, template: str, context):
        self.filters, self.rows, self.number = filters, rows, number
        self.template, self.context = template, context

    def _render(self, rows, query: QueryDict) -> tuple[str, list]:
        checked = self.filters()
        page = page_of(rows, number=self.number, per_page=settings.TWEETUPS_PER_PAGE)
        values = {"page": page, "filters": checked, "query": query, **self.context()}
        values["network_slot"] = True
        if checked.map_view:
            values["map_tiles"] = map_tiles()
        return render_to_string(f"{self.template}#results", values), page.object_list

    def __call__(self) -> str:
        # The page and one more row (page_of's "is there a next page") are all it shows.
        first = page_number(self.number) * settings.TWEETUPS_PER_PAGE + 1
        return self._render(self.rows(self.filters(), first), self.filters().query())[0]

    def by_network(self, user) -> str:
        """The results for `user`, most people they follow going first, badges filled."""
        query = self.filters().query().copy()
        query["sort"] = SORT_NETWORK
        rows = self.rows(self.filters(), None)  # re-sorted: every row may come first
        html, rows = self._render(sorted_by_network(rows, user), query)
        return fill_badges(html, {row.pk: row.network_count for row in rows})


def listing_makers(
    name: str,
    *,
    data: QueryDict,
    number: int,
    template: str,
    action: str,
    filters: Callable[[], ListingFilters],
    rows: Callable[[ListingFilters, int | None], Any],
    context: Callable[[], dict] = dict,
) -> dict[str, Callable[[], Any]]:
    """The filter form and one page of `rows(filters, first)`, rendered from `template`'s
    `results` partial (`first`: how many rows the page needs right, or None for all).
    `filters` is called once, and only if a part is rendered. `name`
    tells the page's parts from those of other pages in the same cache scope."""
    key = filter_key(data)
    filters = cache(filters)
    results = ListingResults(
        filters=filters, rows=rows, number=number, template=template, context=context
    )

    def form():
        values = {"filters": filters(), "action": action, **context()}
        return render_to_string("events/_filters.html", values)

    return {f"results:{name}:{key}:{number}": results, f"filters:{name}:{key}": form}


def part_names(makers: dict) -> tuple[str, str]:
    """The names of the results and the filter form among `makers`."""
    results = next(name for name in makers if name.startswith("results:"))
    return results, next(name for name in makers if name.startswith("filters:"))


def search_makers(data: QueryDict, *, number: int, now: datetime) -> dict[str, Callable]:
    """Tweetups matching the words (all of them, by date, if there are none) and filters.
    Dates are the tweetups' own cities' days; "today" is UTC's (there is no one city)."""

    def filters():
        return SearchFilters(data, today=now.date(), topics=topic_choices())

    def rows(checked: SearchFilters, first: int | None):
        tweetups = Tweetup.objects.scheduled()
        tweetups = tweetups.past(now) if checked.past else tweetups.upcoming(now)
        if checked.text:  # ranked after the filters, among their first candidates
            narrowed = checked.narrowed()
            return checked.apply(tweetups).search(checked.text, narrowed=narrowed).for_rows()
        return checked.apply(tweetups, first=first).for_rows()

    return listing_makers(
        "search",
        data=data,
        number=number,
        template="events/search.html",
        action=reverse("events:search"),
        filters=filters,
        rows=rows,
    )


def topic_makers(slug: str, data: QueryDict, *, number: int, now: datetime) -> dict:
    """The topic (404 if there is none) and its tweetups, filtered like search's."""
    topic = cache(lambda: get_object_or_404(Topic, slug=slug))

    def rows(checked: ListingFilters, first: int | None):
        tweetups = Tweetup.objects.scheduled().with_topic(topic().slug)
        tweetups = tweetups.past(now) if checked.past else tweetups.upcoming(now)
        return checked.apply(tweetups, first=first).for_rows()

    makers = listing_makers(
        f"topic:{slug}",
        data=data,
        number=number,
        template="events/topic_detail.html",
        action=reverse("events:topic", args=[slug]),
        filters=lambda: ListingFilters(data, today=now.date()),
        rows=rows,
        context=lambda: {"topic": topic()},
    )
    return {"topic": topic, **makers}


class CappedCount(Subquery):
    """COUNT(*) of a subquery that has a LIMIT: counting stops there, however many match."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def topic_index_makers(now: datetime) -> dict[str, Callable]:
    def topics():
        upcoming = (
            Tweetup.objects.scheduled()
            .upcoming(now)
            .filter(topics=OuterRef("pk"))
            .order_by()
            .values("id")[:COUNT_CAP]
        )
        rows = Topic.objects.annotate(upcoming_count=CappedCount(upcoming))
        context = {"topics": rows, "cap": COUNT_CAP}
        return render_to_string("events/topic_list.html#topics", context)

    return {"topics": topics}
