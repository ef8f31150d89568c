"""The live hashtag wall: the big-screen view, the posts htmx polls for, hiding a post."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from events.models import Tweet
from events.parts import wall_page
from events.sync.wall import wall_post_hide, wall_post_show
from events.views.lookups import organized_tweetup_or_403, tweetup_or_404
from tweetups import page_cache


def _post_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 20 else None


@page_cache.for_visitors(
    "tweetup:{slug}", query=("after", "before", "big", "since"), vary=("HX-Request",), htmx=True
)
@require_safe
def tweetup_wall(request, slug):
    """The big-screen wall; with htmx, the posts newer or older than a given one.

    A poll (`after`) also names the posts the wall still shows back to its oldest (`since`):
    the wall drops the others (deleted on X, gone protected, off a renamed hashtag, hidden).
    What a visitor's poll gets depends on the address alone, so it is cached like a page.
    """
    tweetup = tweetup_or_404(slug)
    before, after = _post_id(request.GET.get("before")), _post_id(request.GET.get("after"))
    since = _post_id(request.GET.get("since"))
    public = not request.htmx or request.GET.get("big") == "1"
    organizer = not public and tweetup.is_organized_by(request.user)
    context = wall_page(
        tweetup, organizer=organizer, big=public, before=before, after=after, since=since
    )
    if request.htmx and "after" in request.GET:
        context["newest_id"] = context["newest_id"] or after  # nothing new: same place
        return render(request, "events/wall_parts.html#wall_newer", context)
    if request.htmx and before is not None:
        return render(request, "events/wall_parts.html#wall_older", context)
    return render(request, "events/wall.html", {**context, "before": before})


@require_POST
@login_required
def tweetup_wall_hide(request, slug, x_id):
    tweetup = organized_tweetup_or_403(request, slug)
    tweet = get_object_or_404(Tweet.objects.filter(tweetup_links__tweetup=tweetup), x_id=x_id)
    if request.POST.get("hidden") == "1":
        wall_post_hide(tweetup=tweetup, tweet=tweet, actor=request.user)
    else:
        wall_post_show(tweetup=tweetup, tweet=tweet, actor=request.user)
    if not request.htmx:
        return redirect(tweetup.get_absolute_url() + "#wall")
    post = Tweet.objects.for_wall(tweetup, include_hidden=True).get(x_id=x_id)
    return render(
        request,
        "events/wall_parts.html#post",
        {"tweetup": tweetup, "post": post, "is_organizer": True},
    )
