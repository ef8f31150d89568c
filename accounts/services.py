from urllib.parse import urlsplit

from django.db import transaction

from accounts.models import User


def _avatar_url(value: object) -> str:
    # Rendered as <img src>: only a web URL that fits the column, never javascript: or data:.
    # X serves every picture over https too, and the CSP's img-src blocks http: pictures.
    if not isinstance(value, str):
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return ""
    secure = parts._replace(scheme="https").geturl()
    return secure if len(secure) <= 500 else ""


@transaction.atomic
def user_update_from_x(*, user: User, profile: dict) -> User:
    """Copy the X profile (id, handle, name, avatar) onto the user; re-run on every sign-in."""
    user.x_id = str(profile["id"])
    user.x_username = profile.get("username", "")[:50]
    user.display_name = profile.get("name", "")[:100]
    user.avatar_url = _avatar_url(profile.get("profile_image_url", ""))
    if user.pk:
        user.save(update_fields=["x_id", "x_username", "display_name", "avatar_url"])
    return user
