"""Cities: the page of every city with something coming up, the old city picker's address,
and city search (the organize form's autocomplete, and a page of its own without
JavaScript)."""

from itertools import groupby

from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from events.gazetteer import MAX_QUERY_CHARS, normalize
from events.models import MAX_DURATION, City, Tweetup
from events.places import city_choices
from tweetups import page_cache


@require_safe
def city_index(request):
    """Every city with upcoming tweetups; with ?city=<slug> (what the home page's old
    city picker sent: links and bookmarks to it keep working), that city's page."""
    if "city" in request.GET:
        city = get_object_or_404(City, slug=request.GET["city"])
        return redirect(city)
    return city_browse(request)


# Its lists change when a tweetup is made, moved or cancelled: exactly when home's do.
@page_cache.for_visitors("home")
def city_browse(request):
    listing = page_cache.parts("home", cities_by_country=cities_by_country)
    return render(request, "events/city_browse.html", {"listing": listing["cities_by_country"]})


def cities_by_country() -> str:
    """Every city with upcoming tweetups, by country, with counts: one query, rendered."""
    now = timezone.now()
    # Upcoming tweetups read from the (starts_at, id) index (an upcoming one started less
    # than MAX_DURATION ago), counted per city.
    cities = (
        City.objects.filter(
            tweetups__status=Tweetup.Status.SCHEDULED,
            tweetups__starts_at__gt=now - MAX_DURATION,
            tweetups__ends_at__gt=now,
        )
        .annotate(upcoming_count=Count("tweetups"))
        .order_by("country", "name", "id")
    )
    countries = []
    for country, rows in groupby(cities, key=lambda city: city.country):
        rows = list(rows)
        countries.append(
            {
                "name": country,
                "cities": rows,
                "count": sum(city.upcoming_count for city in rows),
                "anchor": "country-" + "-".join(normalize(country).split()),
            }
        )
    context = {"countries": countries, "total": sum(c["count"] for c in countries)}
    return render_to_string("events/city_browse.html#listing", context)


@require_safe
def city_search(request):
    """Cities whose name begins with ?q= (the organize form sends its field, city_query).

    For htmx, the suggestions alone: from the organize form (`pick`), buttons that fill
    its field; elsewhere, links. Without JavaScript, a page of links: a city's page, or
    organizing the first tweetup somewhere new.
    """
    picking = "city_query" in request.GET
    query = request.GET.get("q", request.GET.get("city_query", ""))
    context = {"query": query[:MAX_QUERY_CHARS], "picking": picking, "results": []}
    if len(query) > MAX_QUERY_CHARS:
        context["problem"] = f"That's longer than any city's name ({MAX_QUERY_CHARS} letters)."
    elif query.strip() and not normalize(query):
        context["problem"] = "Type some letters of a city's name."
    elif normalize(query):
        context["results"] = city_choices(query)
    template = "events/city_search.html"
    if request.htmx:
        return render(request, template + ("#suggestions" if picking else "#results"), context)
    return render(request, template, context)
