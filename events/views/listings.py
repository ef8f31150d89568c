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
    consent_key,
    fill_badges,
    has_network,
    listed_ids,
    network_counts,
    sorted_by_network,
    wants_network_sort,
)
from events.pagination import page_number
from events.parts import HOME_WEEK_SHOWN, city_makers, city_week_maker, home_makers
from events.views.discovery import listing_page
from tweetups import page_cache
from tweetups.page_frames import frame_page, read_ahead

# The session key of the city page a signed-in person looked at last (its slug).
LAST_CITY = "last_city"


@require_safe
@page_cache.for_visitors("home", query=("sort",))
def home(request):
    """Discovery: the busiest tweetups this week, popular topics, the busiest cities. A
    signed-in person also gets their next tweetups and the suggestions found in their
    posts (kept for them with home), the week in the city they looked at last (the city's
    scope in the cache), and, with a network, its badges (one query) or ?sort=network."""

    def personal(parts):
        # Whether they opted in: read ahead with the parts (frame_page's PERSONAL_KEYS).
        cached = read_ahead(request, consent_key(request.user)) if request.user.pk else None
        network = has_network(request.user, cached=cached)
        network_sort = network and wants_network_sort(request)
        if not request.user.is_authenticated:
            return {
                "my_next": [],
                "last_city_week": "",
                "found_drafts": [],
                "this_week": fill_badges(parts["this_week"], None),
                "later": fill_badges(parts["later"], None),
            }
        week = ""
        if slug := request.session.get(LAST_CITY):
            week = page_cache.parts(f"city:{slug}", **city_week_maker(slug))["home_week"]
        context = {
            "my_next": parts["mine"]["next"],
            "last_city_week": week,
            "found_drafts": parts["mine"]["drafts"],
            "network": network,
            "network_sort": network_sort,
            "sort_query": {"soonest": "?", "network": f"?sort={SORT_NETWORK}"},
        }
        if network_sort:
            upcoming = Tweetup.objects.scheduled().upcoming().for_listing()
            rows = sorted_by_network(upcoming, request.user)
            context["by_network"] = list(rows[: HOME_WEEK_SHOWN * 2])
            context["this_week"] = context["later"] = ""
            listed = week
        else:
            listed = parts["this_week"] + parts["later"] + week
        # One query for every badge on the page, the city's week's too.
        counts = network_counts(request.user, listed_ids(listed)) if network else None
        context["last_city_week"] = fill_badges(week, counts)
        if not network_sort:
            context["this_week"] = fill_badges(parts["this_week"], counts)
            context["later"] = fill_badges(parts["later"], counts)
        return context

    return frame_page(
        request,
        "events/home.html",
        scope="home",
        parts=home_makers(),
        page=lambda parts: {"shared": parts},
        personal=personal,
        # Kept per person while home is current: every tweetup's change and every RSVP
        # forgets it, and so does dismissing a suggestion.
        mine={
            "next": lambda parts: my_next(request.user),
            "drafts": lambda parts: drafts_to_show(request.user),
        },
        kept_holes={"my_next": ("x_network",), "found_drafts": ()},
    )


def my_next(user) -> list[Tweetup]:
    going = Tweetup.objects.scheduled().upcoming().with_rsvp(user, Rsvp.Status.GOING)
    return list(going.for_listing()[:5])


@require_safe
@page_cache.for_visitors("city:{slug}", query=LISTING_PARAMS, vary=("HX-Request",))
def city_detail(request, slug):
    past = request.GET.get("when") == "past"
    makers = city_makers(slug, request.GET, number=page_number(request.GET.get("page")))

    def personal(parts):
        # Home's "this week in …" follows the city a signed-in person looked at last. It
        # is kept in their session (a GET writes nothing else), and only when it changes.
        if request.user.is_authenticated and request.session.get(LAST_CITY) != slug:
            request.session[LAST_CITY] = slug
        return {"city": parts["city"]}

    return listing_page(
        request,
        "events/city_detail.html",
        scope=f"city:{slug}",
        makers=makers,
        page=lambda parts: {"past": past},
        personal=personal,
        # Whether one follows the city: from the cities one follows, read ahead.
        kept_holes={"follow_city": ("followed_cities",)},
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
