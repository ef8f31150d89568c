"""Where people browse: the home page, city pages and their own tweetups."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from events.models import City, Rsvp, Tweetup
from events.pagination import page_number
from events.parts import city_listing, home_parts
from tweetups import page_cache


@require_safe
@page_cache.for_visitors("home")
def home(request):
    my_next = []
    if request.user.is_authenticated:
        my_next = list(
            Tweetup.objects.scheduled()
            .upcoming()
            .with_rsvp(request.user, Rsvp.Status.GOING)
            .for_listing()[:5]
        )
    return render(request, "events/home.html", {"shared": home_parts(), "my_next": my_next})


@require_safe
def city_pick(request):
    """The home page's city picker, without JavaScript."""
    city = get_object_or_404(City, slug=request.GET.get("city", ""))
    return redirect(city)


@require_safe
@page_cache.for_visitors("city:{slug}", query=("when", "page"))
def city_detail(request, slug):
    city = get_object_or_404(City, slug=slug)
    past = request.GET.get("when") == "past"
    listing = city_listing(city, past=past, number=page_number(request.GET.get("page")))
    return render(
        request, "events/city_detail.html", {"city": city, "past": past, "listing": listing}
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
