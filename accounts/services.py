from django.db import transaction

from accounts.models import User
from accounts.x.formats import x_picture_url


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
