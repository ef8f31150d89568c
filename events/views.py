from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from events.calendar import tweetup_ics
from events.forms import CancelForm, RsvpForm, TweetupForm
from events.models import (
    ATTENDEES_SHOWN,
    City,
    HashtagSync,
    Rsvp,
    Tweet,
    Tweetup,
    TweetupTweet,
)
from events.pagination import page_number, page_of
from events.services import (
    RsvpClosed,
    rsvp_set,
    tweetup_cancel,
    tweetup_create,
    tweetup_update,
    waitlist_rank,
)
from events.sync import tweet_hide
from tweetups import page_cache, ratelimit
from tweetups.middleware import database_busy, with_retry_after


@require_safe
@page_cache.for_visitors("home")
def home(request):
    now = timezone.now()

    def upcoming():
        soon = list(Tweetup.objects.scheduled().upcoming(now).for_listing()[:12])
        week_end = now + timedelta(days=7)
        context = {
            "this_week": [t for t in soon if t.starts_at < week_end],
            "later": [t for t in soon if t.starts_at >= week_end],
        }
        return render_to_string("events/home.html#upcoming", context)

    def cities():
        upcoming_ids = Tweetup.objects.scheduled().upcoming(now).order_by()
        rows = list(
            City.objects.annotate(
                upcoming_count=Count("tweetups", filter=Q(tweetups__in=upcoming_ids))
            )
        )
        return {
            name: render_to_string(f"events/home.html#{name}", {"cities": rows})
            for name in ("city_options", "city_grid")
        }

    shared = page_cache.parts("home", upcoming=upcoming, cities=cities)
    mine = []
    if request.user.is_authenticated:
        mine = list(
            Tweetup.objects.scheduled()
            .upcoming(now)
            .filter(rsvps__user=request.user, rsvps__status=Rsvp.Status.GOING)
            .for_listing()[:5]
        )
    return render(
        request,
        "events/home.html",
        {"shared": {"upcoming": shared["upcoming"], **shared["cities"]}, "my_next": mine},
    )


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
    number = page_number(request.GET.get("page"))

    def listing():
        tweetups = Tweetup.objects.in_city(city).for_listing()
        tweetups = tweetups.past() if past else tweetups.upcoming()
        page = page_of(tweetups, number=number, per_page=settings.TWEETUPS_PER_PAGE)
        context = {"city": city, "page": page, "past": past}
        return render_to_string("events/city_detail.html#listing", context)

    name = f"listing:{'past' if past else 'upcoming'}:{number}"
    (listing_html,) = page_cache.parts(f"city:{slug}", **{name: listing}).values()
    return render(
        request, "events/city_detail.html", {"city": city, "past": past, "listing": listing_html}
    )


def _tweetup_context(request, tweetup: Tweetup, *, wall: bool = False) -> dict:
    """The tweetup page's context; with `wall`, the wall's first page too (the RSVP panel
    alone, as htmx swaps it, leaves it out)."""
    is_organizer = request.user.is_authenticated and request.user.pk == tweetup.organizer_id

    def counts():
        return tweetup.rsvps.aggregate(
            going=Count("id", filter=Q(status=Rsvp.Status.GOING)),
            maybe=Count("id", filter=Q(status=Rsvp.Status.MAYBE)),
            waitlisted=Count("id", filter=Q(status=Rsvp.Status.WAITLISTED)),
        )

    def attendees():
        going = list(tweetup.rsvps.attendees()[:ATTENDEES_SHOWN])
        more = tweetup.rsvps.going().count() - len(going)
        context = {"going_rsvps": going, "more_going": more}
        return render_to_string("events/tweetup_detail.html#attendees", context)

    def facts():
        return render_to_string("events/tweetup_detail.html#facts", {"tweetup": tweetup})

    def wall_section():
        return render_to_string("events/wall_parts.html#wall_section", _wall_context(tweetup))

    makers = {"counts": counts, "attendees": attendees}
    if wall:
        makers["facts"] = facts
        if not is_organizer:  # the organizer's wall has hidden posts and the hide buttons
            makers["wall"] = wall_section
    context = page_cache.parts(f"tweetup:{tweetup.slug}", **makers)
    if wall and is_organizer:
        context["wall"] = render_to_string(
            "events/wall_parts.html#wall_section",
            _wall_context(tweetup, organizer=True),
            request=request,
        )

    my_rsvp = rank = None
    if request.user.is_authenticated:
        my_rsvp = tweetup.rsvps.for_user(request.user).first()
        if my_rsvp:
            rank = waitlist_rank(my_rsvp)
    seats_left = None
    if tweetup.capacity is not None:
        seats_left = max(tweetup.capacity - context["counts"]["going"], 0)
    return context | {
        "tweetup": tweetup,
        "seats_left": seats_left,
        "my_rsvp": my_rsvp,
        "waitlist_rank": rank,
        "is_organizer": is_organizer,
        "rsvp_choices": RsvpForm.base_fields["status"].choices,
    }


def _get_tweetup(slug: str) -> Tweetup:
    return get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)


@require_safe
@page_cache.for_visitors("tweetup:{slug}")
def tweetup_detail(request, slug):
    tweetup = _get_tweetup(slug)
    template = "events/tweetup_detail.html"
    if request.htmx:
        return render(request, template + "#rsvp_panel", _tweetup_context(request, tweetup))
    return render(request, template, _tweetup_context(request, tweetup, wall=True))


@require_POST
def rsvp(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
    if not request.user.is_authenticated:
        # Back to the tweetup page after signing in: this URL only takes POSTs.
        login_url = f"{reverse('account_login')}?{urlencode({'next': tweetup.get_absolute_url()})}"
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": login_url})
        return redirect(login_url)
    allowed = ratelimit.hit(
        scope="rsvp",
        key=str(request.user.pk),
        limit=settings.RSVP_RATE_LIMIT,
        window_seconds=settings.RSVP_RATE_WINDOW_SECONDS,
    )
    status = 200
    form = RsvpForm(request.POST)
    if not allowed:
        status = 429
        messages.error(request, "That's a lot of RSVPs in a minute. Take a breath and try again.")
    elif not form.is_valid():
        status = 400
        messages.error(request, "Choose going, maybe or can't go.")
    else:
        try:
            result = rsvp_set(
                user=request.user, tweetup=tweetup, status=form.cleaned_data["status"]
            )
        except (RsvpClosed, ValidationError) as exc:
            status = 409
            messages.error(request, " ".join(exc.messages))
        except OperationalError as exc:
            if not (request.htmx and database_busy(exc)):
                raise  # a plain POST gets the 503 page (tweetups.middleware)
            status = 503
            messages.error(
                request, "Lots of people are answering right now. Please try again in a moment."
            )
        else:
            messages.success(request, _rsvp_message(result))
    if not request.htmx:
        if status == 429:
            return render(request, "events/rate_limited.html", {"tweetup": tweetup}, status=429)
        return redirect(tweetup)
    # htmx is configured (base.html) to swap 4xx and 503 fragments: the message shows in place.
    response = render(
        request,
        "events/tweetup_detail.html#rsvp_panel",
        _tweetup_context(request, _get_tweetup(slug)),
        status=status,
    )
    return with_retry_after(response) if status == 503 else response


def _rsvp_message(rsvp: Rsvp) -> str:
    if rsvp.status == Rsvp.Status.GOING:
        return "You're going. See you there!"
    if rsvp.status == Rsvp.Status.WAITLISTED:
        return f"It's full, so you're on the waitlist at position {waitlist_rank(rsvp)}."
    if rsvp.status == Rsvp.Status.MAYBE:
        return "Marked as maybe."
    return "Got it: you can't make it."


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_new(request):
    initial = {}
    if city_slug := request.GET.get("city"):
        initial["city"] = City.objects.filter(slug=city_slug).first()
    form = TweetupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            tweetup = tweetup_create(organizer=request.user, details=form.details())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Your tweetup is live. Share the link!")
            return redirect(tweetup)
    return render(request, "events/tweetup_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_edit(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
    if tweetup.organizer_id != request.user.pk:
        raise PermissionDenied
    if tweetup.is_cancelled:
        messages.error(request, "This tweetup is cancelled, so it can't be edited.")
        return redirect(tweetup)
    form = TweetupForm(request.POST or None, instance=tweetup)
    if request.method == "POST" and form.is_valid():
        try:
            tweetup = tweetup_update(tweetup=tweetup, actor=request.user, details=form.details())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(tweetup)
    return render(request, "events/tweetup_form.html", {"form": form, "tweetup": tweetup})


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_cancel_view(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
    if tweetup.organizer_id != request.user.pk:
        raise PermissionDenied
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tweetup_cancel(tweetup=tweetup, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, "The tweetup is cancelled. Its page now says so.")
        return redirect(tweetup)
    return render(request, "events/tweetup_cancel.html", {"form": form, "tweetup": tweetup})


def _add_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@require_safe
def tweetup_calendar(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)
    response = HttpResponse(
        tweetup_ics(tweetup, request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{tweetup.slug}.ics"'
    return response


@require_safe
@login_required
def my_tweetups(request):
    now = timezone.now()
    rows = Tweetup.objects.for_listing()
    organizing = rows.filter(organizer=request.user).upcoming(now)
    going = (
        rows.upcoming(now)
        .filter(rsvps__user=request.user, rsvps__status=Rsvp.Status.GOING)
        .exclude(organizer=request.user)
    )
    waitlisted = rows.upcoming(now).filter(
        rsvps__user=request.user, rsvps__status=Rsvp.Status.WAITLISTED
    )
    past = (
        rows.past(now)
        .filter(
            Q(organizer=request.user) | Q(rsvps__user=request.user, rsvps__status=Rsvp.Status.GOING)
        )
        .distinct()[:20]
    )
    return render(
        request,
        "events/my_tweetups.html",
        {"organizing": organizing, "going": going, "waitlisted": waitlisted, "past": past},
    )


# --- The live hashtag wall --------------------------------------------------------------


def _wall_context(tweetup: Tweetup, *, organizer=False, big=False, before=None, after=None) -> dict:
    """One page of the wall: newest first, or the posts before/after a given post.

    For the `organizer`: hidden posts (dimmed), the hide buttons and the sync state. `big`
    is the public big-screen view, which is what a projector shows.
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
    sync = None
    if organizer:
        sync = HashtagSync.objects.filter(tweetup=tweetup).first()
    return {
        "tweetup": tweetup,
        "posts": posts,
        "has_older": has_older,
        "oldest_id": posts[-1].x_id if posts else before,
        "newest_id": posts[0].x_id if posts else after,
        "is_organizer": organizer,
        "show_sync": organizer,
        "sync": sync,
        "big": big,
        "poll_seconds": settings.WALL_POLL_SECONDS,
    }


def _post_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 20 else None


@require_safe
def tweetup_wall(request, slug):
    """The big-screen wall; with htmx, the posts newer or older than a given one."""
    tweetup = get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)
    before, after = _post_id(request.GET.get("before")), _post_id(request.GET.get("after"))
    public = not request.htmx or request.GET.get("big") == "1"
    organizer = (
        not public and request.user.is_authenticated and request.user.pk == tweetup.organizer_id
    )
    context = _wall_context(tweetup, organizer=organizer, big=public, before=before, after=after)
    if request.htmx and "after" in request.GET:
        context["newest_id"] = context["newest_id"] or after  # nothing new: same place
        if not context["is_organizer"]:
            # Posts the organizer hid since the last few polls leave walls already open.
            since = timezone.now() - timedelta(seconds=3 * settings.WALL_POLL_SECONDS + 5)
            context["dropped_ids"] = list(
                TweetupTweet.objects.filter(
                    tweetup=tweetup, hidden=True, hidden_at__gte=since
                ).values_list("tweet_id", flat=True)
            )
        return render(request, "events/wall_parts.html#wall_newer", context)
    if request.htmx and before is not None:
        return render(request, "events/wall_parts.html#wall_older", context)
    return render(request, "events/wall.html", {**context, "before": before})


@require_POST
@login_required
def tweetup_wall_hide(request, slug, x_id):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
    if tweetup.organizer_id != request.user.pk:
        raise PermissionDenied
    tweet = get_object_or_404(Tweet.objects.filter(tweetup_links__tweetup=tweetup), x_id=x_id)
    tweet_hide(
        tweetup=tweetup, tweet=tweet, actor=request.user, hidden=request.POST.get("hidden") == "1"
    )
    if not request.htmx:
        return redirect(tweetup.get_absolute_url() + "#wall")
    post = Tweet.objects.for_wall(tweetup, include_hidden=True).get(x_id=x_id)
    return render(
        request,
        "events/wall_parts.html#post",
        {"tweetup": tweetup, "post": post, "is_organizer": True},
    )
