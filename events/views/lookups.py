"""How views find the tweetup a URL names, and who may change it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from events.models import Tweetup


def tweetup_or_404(slug: str, *, with_organizer: bool = True) -> Tweetup:
    """The tweetup and its city (and organizer: the RSVP views, which don't show them,
    save the join)."""
    related = ("city", "organizer") if with_organizer else ("city",)
    return get_object_or_404(Tweetup.objects.select_related(*related), slug=slug)


def organized_tweetup_or_403(request, slug: str) -> Tweetup:
    """The tweetup, if the signed-in person organizes it."""
    tweetup = tweetup_or_404(slug)
    if not tweetup.is_organized_by(request.user):
        raise PermissionDenied
    return tweetup
