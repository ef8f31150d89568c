"""Tweetups found in posts, as their author sees them: a suggestion to publish, or to
dismiss for good (events/found/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from events.found.drafts import draft_dismiss
from tweetups.redirects import safe_next


@require_POST
@login_required
def tweetup_draft_dismiss(request, pk: int):
    """One click: the suggestion goes, and is never made again. Only its author may."""
    if draft_dismiss(user=request.user, draft_id=pk) is None:
        raise Http404("No such suggestion.")
    if request.htmx:
        return HttpResponse("")  # the card swaps out
    messages.success(request, "Dismissed. We won't suggest it again.")
    return redirect(safe_next(request, default="/"))
