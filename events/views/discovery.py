"""Finding tweetups: search, topics, and the filters they share with city pages."""

from collections.abc import Callable

from django.http import HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from events.discovery import (
    LISTING_PARAMS,
    part_names,
    search_makers,
    topic_index_makers,
    topic_makers,
)
from events.discovery_forms import SearchFilters, View
from events.network import (
    SORT_NETWORK,
    consent_key,
    has_network,
    personal_listing,
    wants_network_sort,
)
from events.pagination import page_number
from events.search import SearchText
from tweetups import page_cache
from tweetups.page_frames import frame_page, read_ahead

# Search and topic pages show any tweetup: every change to one refreshes them.
SCOPE = "discovery"


def results_only(request) -> bool:
    """htmx asked for the results (a filter changed), not a whole page (a reload, or the
    back button bringing a page back from history)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def listing_page(
    request,
    template: str,
    *,
    scope: str,
    makers: dict,
    page: Callable[[dict], dict] = lambda parts: {},
    personal: Callable[[dict], dict] = lambda parts: {},
    heading: str | None = None,
    kept_holes: dict[str, tuple[str, ...]] | None = None,
) -> HttpResponse:
    """A filtered listing: the whole page from its frame, or for htmx only its results.

    The results are the shared part with each person's network badges filled in (a
    personal hole), or, sorted by their network (?sort=network), rendered for them alone.
    `heading`, a template partial, is what the page says above the filters that follows
    them (a search's words): htmx gets it too, swapped out of band, so it never names
    words the results no longer match. `kept_holes`: as frame_page's.
    """
    results, form = part_names(makers)

    def network() -> bool:  # after frame_page read the consent flag ahead, if it did
        return has_network(request.user, cached=read_ahead(request, consent_key(request.user)))

    def my_results(parts: dict, network: bool) -> str:
        if network and wants_network_sort(request):
            return makers[results].by_network(request.user)
        return personal_listing(parts[results], request.user, network=network)

    def my_parts(parts: dict, network: bool) -> dict:
        return {
            "results": my_results(parts, network),
            "network": network,
            "network_sort": network and wants_network_sort(request),
            "sort_query": sort_links(request),
        } | personal(parts)

    if results_only(request):
        parts = page_cache.parts(scope, **{k: v for k, v in makers.items() if k != form})
        body = my_results(parts, network())
        if heading:
            body += render_to_string(heading, page(parts) | {"out_of_band": True}, request)
        return HttpResponse(body)
    return frame_page(
        request,
        template,
        scope=scope,
        parts=makers,
        page=lambda parts: (
            {
                "filter_form": parts[form],
                # Leaflet loads only where the map shows (the URL says so, and keys the page).
                "map_view": request.GET.get("view") == View.MAP,
            }
            | page(parts)
        ),
        personal=lambda parts: my_parts(parts, network()),
        kept_holes=kept_holes,
    )


def sort_links(request) -> dict[str, str]:
    """The listing's address sorted each way, its other filters kept (page 1)."""
    query = QueryDict(mutable=True)
    for name in SearchFilters.ORDER:
        if name in request.GET:
            query.setlist(name, request.GET.getlist(name))
    soonest = query.urlencode()
    query["sort"] = SORT_NETWORK
    return {"soonest": f"?{soonest}" if soonest else "?", "network": f"?{query.urlencode()}"}


@require_safe
@page_cache.for_visitors(SCOPE, query=LISTING_PARAMS, vary=("HX-Request",))
def search(request):
    number = page_number(request.GET.get("page"))
    makers = search_makers(request.GET, number=number, now=timezone.now())
    text = SearchText.parse(request.GET.get("q"))
    return listing_page(
        request,
        "events/search.html",
        scope=SCOPE,
        makers=makers,
        page=lambda parts: {"text": text},
        heading="events/search.html#heading",
    )


@require_safe
@page_cache.for_visitors(SCOPE)
def topic_list(request):
    return frame_page(
        request,
        "events/topic_list.html",
        scope=SCOPE,
        parts=topic_index_makers(timezone.now()),
        page=lambda parts: {"topics": parts["topics"]},
        personal=lambda parts: {},
    )


@require_safe
@page_cache.for_visitors(SCOPE, query=LISTING_PARAMS, vary=("HX-Request",))
def topic_detail(request, slug):
    number = page_number(request.GET.get("page"))
    makers = topic_makers(slug, request.GET, number=number, now=timezone.now())
    return listing_page(
        request,
        "events/topic_detail.html",
        scope=SCOPE,
        makers=makers,
        page=lambda parts: {"topic": parts["topic"]},
    )
