from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.x.formats import x_picture_url
from tweetups import page_cache


@transaction.atomic
def user_update_from_x(*, user: User, profile: dict) -> User:
    """Copy the X profile (id, handle, name, avatar, protected) onto the user, at each sign-in."""
    user.x_id = str(profile["id"])
    user.x_username = profile.get("username", "")[:50]
    user.display_name = profile.get("name", "")[:100]
    user.avatar_url = x_picture_url(profile.get("profile_image_url", ""))
    # Anything but X's own `true` (absent, null, "yes") counts as not protected: allauth asks
    # for the field (settings.SOCIALACCOUNT_PROVIDERS), an older profile may lack it.
    user.x_protected = profile.get("protected") is True
    if user.pk:
        user.save(update_fields=["x_id", "x_username", "display_name", "avatar_url", "x_protected"])
    return user


def users_x_protected_update(*, protected: Iterable[str], public: Iterable[str] = ()) -> int:
    """What X said about accounts' `protected`, copied onto the people here with those X ids
    (between sign-ins, where it is refreshed too). `protected` went protected, `public` is
    known not to be; ids of nobody here are ignored. Returns how many people changed.

    A batch that changes nothing (the usual case) is one SELECT; a change is one UPDATE, and
    the pages of upcoming tweetups the changed people answered are rendered again.
    """
    protected, public = set(protected), set(public) - set(protected)
    if not protected and not public:
        return 0
    changed = list(
        User.objects.filter(
            Q(x_id__in=protected, x_protected=False) | Q(x_id__in=public, x_protected=True)
        ).values_list("pk", flat=True)
    )
    if not changed:
        return 0
    with transaction.atomic():
        User.objects.filter(pk__in=changed).update(
            x_protected=Case(When(x_id__in=protected, then=Value(True)), default=Value(False))
        )
        slugs = (
            User.objects.filter(pk__in=changed, rsvps__tweetup__ends_at__gte=timezone.now())
            .values_list("rsvps__tweetup__slug", flat=True)
            .distinct()
        )
        # Protected accounts are left off the people listed (and counted instead).
        page_cache.forget(*(f"{scope}:{slug}" for slug in slugs for scope in ("tweetup", "people")))
    return len(changed)
