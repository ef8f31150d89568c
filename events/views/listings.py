"""Where people browse: the home page, city pages and their own tweetups."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from events.discovery import LISTING_PARAMS
from events.found.drafts import drafts_to_show
from events.models import Rsvp, Tweetup
from events.network import (
    SORT_NETWORK,
    fill_badges,
    has_network,
    personal_listing,
    sorted_by_network,
    wants_network_sort,
)
from events.pagination import page_number
from events.parts import HOME_UPCOMING, city_makers, home_makers, home_shared
from events.views.discovery import listing_page
from tweetups import page_cache
from tweetups.page_frames import frame_page


@require_safe
@page_cache.for_visitors("home", query=("sort",))
def home(request):
    network = has_network(request.user)
    network_sort = network and wants_network_sort(request)

    def personal(parts):
        if not request.user.is_authenticated:
            upcoming = fill_badges(parts["upcoming"], None)
            return {"my_next": [], "found_drafts": [], "upcoming": upcoming}
        going = Tweetup.objects.scheduled().upcoming().with_rsvp(request.user, Rsvp.Status.GOING)
        context = {
            "my_next": list(going.for_listing()[:5]),
            "found_drafts": drafts_to_show(request.user),
            "network": network,
            "network_sort": network_sort,
            "sort_query": {"soonest": "?", "network": f"?sort={SORT_NETWORK}"},
        }
        if network_sort:
            rows = sorted_by_network(Tweetup.objects.scheduled().upcoming().for_listing(), me)
            context["by_network"] = list(rows[:HOME_UPCOMING])
            context["upcoming"] = ""
        else:
            context["upcoming"] = personal_listing(parts["upcoming"], me, network=network)
        return context

    me = request.user
    return frame_page(
        request,
        "events/home.html",
        scope="home",
        parts=home_makers(),
        page=lambda parts: {"shared": home_shared(parts)},
        personal=personal,
    )


@require_safe
@page_cache.for_visitors("city:{slug}", query=LISTING_PARAMS, vary=("HX-Request",))
def city_detail(request, slug):
    past = request.GET.get("when") == "past"
    makers = city_makers(slug, request.GET, number=page_number(request.GET.get("page")))
    return listing_page(
        request,
        "events/city_detail.html",
        scope=f"city:{slug}",
        makers=makers,
        page=lambda parts: {"past": past},
        personal=lambda parts: {"city": parts["city"]},
    )


@require_safe
@login_required
def my_tweetups(request):
    now = timezone.now()
    me = request.user
    rows = Tweetup.objects.for_listing()
    upcoming = rows.upcoming(now)
    context = {
        "organizing": upcoming.organized_by(me),
        "going": upcoming.with_rsvp(me, Rsvp.Status.GOING).exclude(organizer=me),
        "waitlisted": upcoming.with_rsvp(me, Rsvp.Status.WAITLISTED),
        "past": rows.past(now).organized_or_going(me)[:20],
    }
    return render(request, "events/my_tweetups.html", context)
