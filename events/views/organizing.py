"""Organizing: create a tweetup (from scratch, or from a suggestion found in one's posts),
edit it, cancel it."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from events.forms import CancelForm, TweetupForm, draft_initial
from events.found.drafts import draft_publish, drafts_to_show
from events.gazetteer import warm_up
from events.maps import map_tiles
from events.models import City, TweetupDraft
from events.places import choice_from_value, city_for_choice
from events.services import tweetup_cancel, tweetup_create, tweetup_update
from events.views.lookups import organized_tweetup_or_403


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_new(request):
    warm_up()  # for the city field's suggestions
    initial = {}
    if draft := _suggested_draft(request):
        initial = draft_initial(draft)
    elif city_slug := request.GET.get("city"):
        initial["city"] = City.objects.filter(slug=city_slug).first()
    elif choice := choice_from_value(request.GET.get("place", "")):  # from city search
        initial["city_query"] = choice.label
    form = TweetupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # A city new to the site is made with the tweetup, or not at all.
            with transaction.atomic():
                city = city_for_choice(form.cleaned_data["city"])
                tweetup = tweetup_create(organizer=request.user, details=form.details(city=city))
                if draft:
                    draft_publish(user=request.user, draft_id=draft.pk, tweetup=tweetup)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request, "Your tweetup is live. Now share it: post it on X or send the link."
            )
            # The share buttons are the same for everyone (the page is cached); the fragment
            # takes the organizer to them, and CSS (:target) makes them stand out.
            return redirect(tweetup.get_absolute_url() + "#share")
    context = {"draft": draft}
    if draft is None:  # suggestions found in the person's posts, to start from
        context["found_drafts"] = drafts_to_show(request.user)
    return _form_page(request, form, **context)


def _suggested_draft(request) -> TweetupDraft | None:
    """The ?draft= suggestion being published: only its author's, else 404."""
    value = request.GET.get("draft")
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise Http404("No such suggestion.")
    drafts = TweetupDraft.objects.suggested_to(request.user, since=date.min)
    return get_object_or_404(drafts.select_related("city"), pk=int(value))


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_edit(request, slug):
    tweetup = organized_tweetup_or_403(request, slug)
    if tweetup.is_cancelled:
        messages.error(request, "This tweetup is cancelled, so it can't be edited.")
        return redirect(tweetup)
    warm_up()
    form = TweetupForm(request.POST or None, instance=tweetup)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                city = city_for_choice(form.cleaned_data["city"])
                details = form.details(city=city)
                tweetup = tweetup_update(tweetup=tweetup, actor=request.user, details=details)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(tweetup)
    return _form_page(request, form, tweetup=tweetup)


def _form_page(request, form: TweetupForm, **context):
    """The organize or edit form, with what its venue map needs."""
    context |= {"form": form, "map_tiles": map_tiles(), "map_centre": form.map_centre()}
    return render(request, "events/tweetup_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def tweetup_cancel_form(request, slug):
    """Asks why, then cancels: the page says so and everyone coming hears about it."""
    tweetup = organized_tweetup_or_403(request, slug)
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
