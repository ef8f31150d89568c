"""A tweetup's page, its RSVP panel and its calendar file."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.db.models import Count, Window
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.models import FollowedXId
from events.calendar import tweetup_ics
from events.forms import RsvpForm, RsvpPrivacyForm
from events.models import ATTENDEES_SHOWN, Rsvp
from events.network import attendees_shown, consent_key, has_network
from events.parts import tweetup_makers, wall_page
from events.rsvps import RsvpClosed, rsvp_privacy_set, rsvp_set, waitlist_rank
from events.views.lookups import tweetup_or_404, tweetup_with_city_or_404
from tweetups import page_cache, ratelimit
from tweetups.middleware import database_busy, with_retry_after
from tweetups.page_frames import frame_page, read_ahead

NETWORK_FACES = 8  # faces shown of the people you follow who are going; the rest are counted


def _going_i_follow(tweetup, user) -> tuple[list, int]:
    """Up to NETWORK_FACES people going whom `user` follows on X, and how many in all.

    One query whatever the size of the graph: the followed ids stay in the database (a
    semi-join on FollowedXId's (user, x_id) index) and the count rides along as a window.
    """
    rsvps = list(
        tweetup.rsvps.attendees()
        .filter(user__x_id__in=FollowedXId.objects.filter(user=user).values("x_id"))
        .filter(private=False)  # a private RSVP is hidden from followers too
        .exclude(user=user)
        .annotate(network_total=Window(Count("id")))[:NETWORK_FACES]
    )
    return [rsvp.user for rsvp in rsvps], (rsvps[0].network_total if rsvps else 0)


def _attendees(request, tweetup, parts: dict, network_going: list) -> dict:
    """Who going this viewer sees: the shared list (no private RSVPs, no protected accounts),
    then their own RSVP if it is unlisted and protected accounts they follow on X; everyone
    else going is counted ("and 3 more going"). The people shown just above among "people
    you follow are going" are not shown twice. Visitors see only the count when the
    organizer keeps the list to people signed in. Nobody is singled out: the organizer
    sees the same list (this site has no separate attendee management page)."""
    going = parts["counts"]["going"]
    if not request.user.is_authenticated and tweetup.attendees_signed_in_only:
        return {"attendees_for_members": True, "listed_html": "", "unlisted": [], "more": 0}
    unlisted = []
    if request.user.is_authenticated and parts["listed"]["unlisted"]:
        unlisted = list(tweetup.rsvps.unlisted_visible_to(request.user)[:ATTENDEES_SHOWN])
    above = {person.pk for person in network_going}
    plain_html = parts["listed"].get("plain_html")  # None in a part kept by an older release
    if above or plain_html is None:
        listed_html, left_out = attendees_shown(parts["listed"]["html"], shown_above=above)
    else:
        listed_html, left_out = plain_html, 0
    still_unlisted = [rsvp for rsvp in unlisted if rsvp.user_id not in above]
    # Everyone the panel shows is not "more": the people in the list, and those above it
    # (some of whom may be past the list's first ATTENDEES_SHOWN).
    shown = parts["listed"]["shown"] - left_out + len(still_unlisted) + len(above)
    return {
        "listed_html": listed_html,
        "unlisted": still_unlisted,
        "more": max(going - shown, 0),
        "after_network": bool(above),
    }


def _my_rsvp(tweetup, user) -> tuple[Rsvp | None, int | None]:
    """The person's RSVP and, if they wait for a seat, their place in line. Read without the
    tweetup attached (as the related manager would): it is kept per person in the cache."""
    rsvp = Rsvp.objects.for_user(user).filter(tweetup_id=tweetup.pk).first()
    return rsvp, (waitlist_rank(rsvp) if rsvp else None)


def _personal(request, parts: dict) -> dict:
    """What is one person's on a tweetup page: the RSVP panel around the shared counts, and
    the people they follow on X who are going. frame_page brings the RSVP (kept per person
    while the page is current) and the consent flag with the parts, when it can."""
    tweetup = parts["tweetup"]
    my_rsvp = rank = None
    network_going, network_count = [], 0
    if request.user.is_authenticated:
        mine = parts.get("mine", {})
        my_rsvp, rank = mine["rsvp"] if "rsvp" in mine else _my_rsvp(tweetup, request.user)
        cached = read_ahead(request, consent_key(request.user))
        if has_network(request.user, cached=cached):  # no query for everyone else
            network_going, network_count = _going_i_follow(tweetup, request.user)
    seats_left = None
    if tweetup.capacity is not None:
        seats_left = max(tweetup.capacity - parts["counts"]["going"], 0)
    return {
        "tweetup": tweetup,
        "counts": parts["counts"],
        "attendees": _attendees(request, tweetup, parts, network_going),
        "seats_left": seats_left,
        "my_rsvp": my_rsvp,
        "waitlist_rank": rank,
        "is_organizer": tweetup.is_organized_by(request.user),
        "rsvp_choices": Rsvp.ANSWERS.items(),
        "network_going": network_going,
        "network_count": network_count,
    }


def _page(request, parts: dict) -> dict:
    tweetup = parts["tweetup"]
    wall = parts["wall"]
    if tweetup.is_organized_by(request.user):
        # The organizer's own wall: hidden posts and hide buttons, never cached.
        context = wall_page(tweetup, organizer=True)
        wall = render_to_string("events/wall_parts.html#wall_section", context, request=request)
    return {"facts": parts["facts"], "wall": wall}


def _rsvp_panel(request, slug: str, *, status: int = 200, answered=None):
    """The RSVP panel alone (htmx). `answered`: the person's RSVP and place in line, as the
    answer just stored them (no need to read them back)."""
    # Whether they opted in to their X network, read with the parts (see _personal).
    ahead = [consent_key(request.user)] if request.user.is_authenticated else []
    makers = tweetup_makers(slug, whole_page=False)
    fetched = page_cache.fetch(f"tweetup:{slug}", makers, plain=ahead)
    request.cache_read_ahead = fetched.plain
    parts = fetched.parts
    if answered is not None:
        parts = parts | {"mine": {"rsvp": answered}}
    context = _personal(request, parts)
    # An answer that failed (closed, rate-limited) keeps the private box as it was ticked.
    context["private_ticked"] = request.method == "POST" and request.POST.get("private") == "1"
    return render(request, "events/tweetup_detail.html#rsvp_panel", context, status=status)


@require_safe
@page_cache.for_visitors("tweetup:{slug}", "people:{slug}", vary=("HX-Request",))
def tweetup_detail(request, slug):
    if request.htmx:
        return _rsvp_panel(request, slug)
    return frame_page(
        request,
        "events/tweetup_detail.html",
        scope=f"tweetup:{slug}",
        parts=tweetup_makers(slug),
        page=lambda parts: _page(request, parts),
        personal=lambda parts: _personal(request, parts),
        framed=lambda parts: not parts["tweetup"].is_organized_by(request.user),
        mine={"rsvp": lambda parts: _my_rsvp(parts["tweetup"], request.user)},
        # The panel shows the parts, one's RSVP and, if one opted in, who one follows.
        kept_holes={"rsvp_panel": ("x_network",)},
    )


def _sign_in_first(request, tweetup) -> HttpResponse:
    # Back to the tweetup page after signing in: the RSVP URLs only take POSTs.
    login_url = f"{reverse('account_login')}?{urlencode({'next': tweetup.get_absolute_url()})}"
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Redirect": login_url})
    return redirect(login_url)


def _rsvp_allowed(request) -> bool:
    return ratelimit.hit(
        scope="rsvp",
        key=str(request.user.pk),
        limit=settings.RSVP_RATE_LIMIT,
        window_seconds=settings.RSVP_RATE_WINDOW_SECONDS,
    )


@require_POST
def rsvp(request, slug):
    tweetup = tweetup_with_city_or_404(slug)
    if not request.user.is_authenticated:
        return _sign_in_first(request, tweetup)
    allowed = _rsvp_allowed(request)
    status, answered = 200, None
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
                user=request.user,
                tweetup=tweetup,
                status=form.cleaned_data["status"],
                private=form.cleaned_data["private"],
                just_read=True,
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
            answered = result, waitlist_rank(result)
            messages.success(request, _rsvp_message(*answered))
    if not request.htmx:
        if status == 429:
            return render(request, "events/rate_limited.html", {"tweetup": tweetup}, status=429)
        return redirect(tweetup)
    # htmx is configured (base.html) to swap 4xx and 503 fragments: the message shows in place.
    response = _rsvp_panel(request, slug, status=status, answered=answered)
    return with_retry_after(response) if status == 503 else response


@require_POST
def rsvp_privacy(request, slug):
    """Make one's RSVP private (counted, not listed) or listed again, at any time."""
    tweetup = tweetup_with_city_or_404(slug)
    if not request.user.is_authenticated:
        return _sign_in_first(request, tweetup)
    status = 200
    form = RsvpPrivacyForm(request.POST)
    if not _rsvp_allowed(request):
        status = 429
        messages.error(request, "That's a lot of changes in a minute. Try again shortly.")
    elif not form.is_valid():
        status = 400
        messages.error(request, "Choose whether your RSVP is private.")
    else:
        try:
            result = rsvp_privacy_set(
                user=request.user, tweetup=tweetup, private=form.cleaned_data["private"]
            )
        except ValidationError as exc:
            status = 409
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                "Your RSVP is private: you're counted, and only you see yourself on the list."
                if result.private
                else "You're on the list of people going again.",
            )
    if not request.htmx:
        if status == 429:
            return render(request, "events/rate_limited.html", {"tweetup": tweetup}, status=429)
        return redirect(tweetup)
    return _rsvp_panel(request, slug, status=status)


def _rsvp_message(rsvp: Rsvp, rank: int | None) -> str:
    if rsvp.status == Rsvp.Status.GOING:
        return "You're going. See you there!"
    if rsvp.status == Rsvp.Status.WAITLISTED:
        return f"It's full, so you're on the waitlist at position {rank}."
    if rsvp.status == Rsvp.Status.MAYBE:
        return "Marked as maybe."
    return "Got it: you can't make it."


@require_safe
def tweetup_calendar(request, slug):
    tweetup = tweetup_or_404(slug)
    url = request.build_absolute_uri(tweetup.get_absolute_url())
    response = HttpResponse(
        tweetup_ics(tweetup, url=url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{tweetup.slug}.ics"'
    return response
