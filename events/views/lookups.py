"""How views find the tweetup a URL names, and who may change it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from events.models import Tweetup
from tweetups.compiled import CompiledGet


def tweetup_or_404(slug: str) -> Tweetup:
    """The tweetup, its city and its organizer."""
    return get_object_or_404(Tweetup.objects.select_related("city", "organizer"), slug=slug)


# The RSVP views' read of their tweetup: everyone RSVPing to a popular tweetup makes it.
tweetup_with_city_or_404 = CompiledGet(
    lambda: Tweetup.objects.select_related("city"), "slug", missing="No tweetup with that address."
)


def organized_tweetup_or_403(request, slug: str) -> Tweetup:
    """The tweetup, if the signed-in person organizes it."""
    tweetup = tweetup_or_404(slug)
    if not tweetup.is_organized_by(request.user):
        raise PermissionDenied
    return tweetup
