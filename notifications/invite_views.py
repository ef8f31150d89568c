"""The invite page: X handles in, a prefilled X post out (and invitations by mail)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from events.local_time import local_when
from events.models import Tweetup
from events.sharing import invite_intent_url
from notifications.forms import InviteForm, handles_parse
from notifications.invitations import InvitationLimit, invitations_send, may_invite
from tweetups import ratelimit


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def tweetup_invite(request, slug):
    tweetup = get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)
    if not may_invite(request.user, tweetup):
        raise PermissionDenied
    if not tweetup.accepts_rsvps:
        messages.error(request, "This tweetup is cancelled or over, so nobody can be invited.")
        return redirect(tweetup)
    form = InviteForm(request.POST or None, inviter_handle=request.user.x_username)
    status = 200
    if request.method == "POST":
        allowed = ratelimit.hit(
            scope="invite",
            key=str(request.user.pk),
            limit=settings.INVITE_RATE_LIMIT,
            window_seconds=settings.INVITE_RATE_WINDOW_SECONDS,
        )
        if not form.is_valid():
            status = 400
        elif not allowed:
            status = 429
            form.add_error(None, "That's a lot of invitations at once. Try again in a few minutes.")
        else:
            try:
                handles = invitations_send(
                    tweetup=tweetup, inviter=request.user, handles=form.cleaned_data["handles"]
                )
            except InvitationLimit as exc:
                status = 429
                form.add_error("handles", exc)
            except ValidationError as exc:
                status = 409
                form.add_error(None, exc)
            else:
                # The same words whoever the handles are: never who has an account here.
                messages.success(request, "Your invitation is ready: post it on X.")
                query = urlencode({"sent": " ".join(handles)})
                return redirect(f"{reverse('notifications:invite', args=[slug])}?{query}")
    return render(
        request,
        "notifications/invite.html",
        {
            "tweetup": tweetup,
            "when": local_when(tweetup),
            "form": form,
            **_invited(request, tweetup),
        },
        status=status,
    )


def _invited(request, tweetup: Tweetup) -> dict:
    """The X post for the handles just invited (the `sent` of the redirect), if any."""
    try:
        handles = handles_parse(request.GET.get("sent", ""))
    except ValidationError:
        return {}
    url = request.build_absolute_uri(tweetup.get_absolute_url())
    return {"sent": handles, "intent_url": invite_intent_url(tweetup, url, handles)}
