from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from events.models import City, Rsvp, Tweetup
from events.rsvps import RsvpClosed, rsvp_set, waitlist_rank
from notifications.forms import EmailPreferencesForm, FollowForm, OrganizerMessageForm
from notifications.models import Category, CityFollow, EmailPreferences
from notifications.organizer_messages import organizer_message_send
from notifications.preferences import (
    city_follow,
    city_unfollow,
    email_category_unsubscribe,
    email_preferences_update,
)
from notifications.tokens import (
    RSVP_CHOICES,
    BadToken,
    rsvp_token_make,
    rsvp_token_read,
    unsubscribe_token_read,
)
from tweetups import ratelimit
from tweetups.redirects import redirect_next

# The RSVP token leaves the URL for this cookie, so it can't leak through Referer or
# browser history. A cookie rather than the session: opening a link from an email must
# write nothing, and a session would be a new database row for everyone not signed in.
RSVP_COOKIE = "tweetups_email_rsvp"
RSVP_COOKIE_PATH = "/e/rsvp/"
RSVP_COOKIE_MAX_AGE = 60 * 60 * 24
CHOICE_LABELS = {"going": "Going", "maybe": "Maybe", "not_going": "Can't go"}


# --- Settings, follows, organizer messages -----------------------------------------------
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def email_settings(request):
    preferences = EmailPreferences.objects.filter(user=request.user).first()
    form = EmailPreferencesForm(
        request.POST or None, instance=preferences or EmailPreferences(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        email_preferences_update(user=request.user, values=form.cleaned_data)
        messages.success(request, "Saved. You'll get just the emails you chose.")
        return redirect("notifications:settings")
    addresses = list(EmailAddress.objects.filter(user=request.user).order_by("-primary", "email"))
    follows = CityFollow.objects.of_user(request.user).select_related("city")
    return render(
        request,
        "notifications/email_settings.html",
        {
            "form": form,
            "addresses": addresses,
            "verified": any(a.verified for a in addresses),
            "follows": follows,
        },
    )


@require_POST
@login_required
def city_follow_toggle(request, slug):
    city = get_object_or_404(City, slug=slug)
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose follow or unfollow.")
    elif form.cleaned_data["follow"]:
        city_follow(user=request.user, city=city)
        if EmailAddress.objects.filter(user=request.user, verified=True).exists():
            messages.success(request, f"Following {city.name}: new tweetups there come by email.")
        else:
            messages.success(
                request,
                f"Following {city.name}. Add and verify an email address in Email settings "
                "to hear about new tweetups there.",
            )
    else:
        city_unfollow(user=request.user, city=city)
        messages.success(request, f"You no longer follow {city.name}.")
    return redirect_next(request, default=city.get_absolute_url())


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def organizer_message(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city"), slug=slug)
    if tweetup.organizer_id != request.user.pk:
        raise PermissionDenied
    form = OrganizerMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organizer_message_send(tweetup=tweetup, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your message is on its way to the people coming.")
            return redirect(tweetup)
    status = 400 if form.errors else 200
    return render(
        request,
        "notifications/organizer_message.html",
        {"form": form, "tweetup": tweetup},
        status=status,
    )


# --- RSVP from the email -----------------------------------------------------------------
@dataclass(frozen=True)
class LinkProblem:
    reason: str  # broken, missing, account, gone, cancelled, over, refused
    status: int
    tweetup: Tweetup | None = None
    detail: str = ""


def _resolve(token: str | None):
    """(token, user, tweetup) when the token may act now, else a LinkProblem. Reads only."""
    if not token:
        return LinkProblem("missing", 400)
    try:
        data = rsvp_token_read(token)
    except BadToken:
        return LinkProblem("broken", 400)
    user = User.objects.filter(pk=data.user_id, is_active=True).first()
    if user is None:
        return LinkProblem("account", 410)
    tweetup = Tweetup.objects.select_related("city").filter(pk=data.tweetup_id).first()
    if tweetup is None:
        return LinkProblem("gone", 410)
    if tweetup.is_cancelled:
        return LinkProblem("cancelled", 410, tweetup)
    if tweetup.is_past:  # the token expires when the tweetup ends
        return LinkProblem("over", 410, tweetup)
    return data, user, tweetup


def _problem(request, problem: LinkProblem):
    response = render(
        request, "notifications/link_problem.html", {"problem": problem}, status=problem.status
    )
    response.delete_cookie(RSVP_COOKIE, path=RSVP_COOKIE_PATH)
    return response


def _remember(response, token: str):
    response.set_cookie(
        RSVP_COOKIE,
        token,
        max_age=RSVP_COOKIE_MAX_AGE,
        path=RSVP_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@never_cache
@require_safe
def rsvp_link(request, token):
    """The link in the mail. Changes nothing: keeps the token and drops it from the URL."""
    try:
        rsvp_token_read(token)
    except BadToken:
        return _problem(request, LinkProblem("broken", 400))
    response = redirect("notifications:rsvp_confirm")
    response["Referrer-Policy"] = "no-referrer"
    return _remember(response, token)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rsvp_confirm(request):
    """GET names the tweetup and the choice, with one button; the button's POST acts."""
    # The POST carries its token in the form, so two confirm pages open side by side each
    # act for their own link; the GET reads the one the link left in the cookie.
    if request.method == "POST":
        token = request.POST.get("token")
    else:
        token = request.COOKIES.get(RSVP_COOKIE)
    resolved = _resolve(token)
    if isinstance(resolved, LinkProblem):
        return _problem(request, resolved)
    data, person, tweetup = resolved
    if request.method == "POST":
        if not ratelimit.hit(
            scope="email-rsvp",
            key=str(person.pk),
            limit=settings.RSVP_RATE_LIMIT,
            window_seconds=settings.RSVP_RATE_WINDOW_SECONDS,
        ):
            return render(request, "events/rate_limited.html", {"tweetup": tweetup}, status=429)
        try:
            # A second POST of the same choice finds it already made and changes nothing.
            rsvp_set(user=person, tweetup=tweetup, status=data.choice)
        except (RsvpClosed, ValidationError) as exc:
            return _problem(request, LinkProblem("refused", 409, tweetup, " ".join(exc.messages)))
        return _remember(redirect("notifications:rsvp_done"), token)
    return render(
        request,
        "notifications/rsvp_confirm.html",
        {
            "tweetup": tweetup,
            "person": person,
            "choice": data.choice,
            "choice_label": CHOICE_LABELS[data.choice],
            "token": token,
            "current": Rsvp.objects.filter(tweetup=tweetup, user=person).first(),
        },
    )


@never_cache
@require_safe
def rsvp_done(request):
    """What happened, and the other choices (each a button with its own token)."""
    resolved = _resolve(request.COOKIES.get(RSVP_COOKIE))
    if isinstance(resolved, LinkProblem):
        return _problem(request, resolved)
    data, person, tweetup = resolved
    rsvp = Rsvp.objects.filter(tweetup=tweetup, user=person).first()
    current = rsvp.status if rsvp else None
    shown_as = "going" if current == Rsvp.Status.WAITLISTED else current
    others = [
        (
            CHOICE_LABELS[choice],
            rsvp_token_make(user_id=person.pk, tweetup_id=tweetup.pk, choice=choice),
        )
        for choice in RSVP_CHOICES
        if choice != shown_as
    ]
    if person.pk == tweetup.organizer_id:
        others = []  # organizers are going
    return render(
        request,
        "notifications/rsvp_done.html",
        {
            "tweetup": tweetup,
            "person": person,
            "rsvp": rsvp,
            "rank": waitlist_rank(rsvp) if rsvp else None,
            "others": others,
        },
    )


# --- Unsubscribe -------------------------------------------------------------------------
# csrf_exempt here and nowhere else: RFC 8058's one-click POST comes from the mail client,
# with no session and no CSRF token. The signed token is what authorizes it, and all it
# can do is turn one category of mail off for one person.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    try:
        data = unsubscribe_token_read(token)
    except BadToken:
        return _problem(request, LinkProblem("broken", 400))
    person = User.objects.filter(pk=data.user_id).first()
    if person is None:
        return _problem(request, LinkProblem("account", 410))
    label = Category(data.category).label
    if request.method == "POST":
        email_category_unsubscribe(user_id=person.pk, category=data.category)
        return render(
            request, "notifications/unsubscribe_done.html", {"label": label, "person": person}
        )
    return render(request, "notifications/unsubscribe.html", {"label": label, "person": person})
