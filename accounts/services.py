from django.db import transaction

from accounts.models import User
from accounts.x.formats import x_picture_url


@transaction.atomic
def user_update_from_x(*, user: User, profile: dict) -> User:
    """Copy the X profile (id, handle, name, avatar) onto the user; re-run on every sign-in."""
    user.x_id = str(profile["id"])
    user.x_username = profile.get("username", "")[:50]
    user.display_name = profile.get("name", "")[:100]
    user.avatar_url = x_picture_url(profile.get("profile_image_url", ""))
    if user.pk:
        user.save(update_fields=["x_id", "x_username", "display_name", "avatar_url"])
    return user
