"""What X's ids, usernames and profile pictures look like: one home for the sign-in and the
hashtag sync."""

import re
from urllib.parse import urlsplit

# Decimal strings of a 64-bit snowflake.
X_ID_RE = re.compile(r"^[0-9]{1,19}$")
X_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")

PICTURE_URL_MAX = 500  # the URLField columns that keep them


def x_picture_url(value: object) -> str:
    """A profile picture's URL as we keep it: https, or "" (the initials show instead).

    Rendered as <img src>: only a web URL that fits the column, never javascript: or data:.
    X serves every picture over https too, and the CSP's img-src blocks http: pictures.
    """
    if not isinstance(value, str):
        return ""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return ""
    secure = parts._replace(scheme="https").geturl()
    return secure if len(secure) <= PICTURE_URL_MAX else ""
