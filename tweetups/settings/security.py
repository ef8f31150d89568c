"""Security headers (a CSP with nothing inline), cookies, HTTPS, and logging."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from tweetups.settings.base import DEBUG, env
from tweetups.settings.x_accounts import X_AUTHORIZE_URL


# --- Security -------------------------------------------------------------------
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Map tiles (Leaflet, served from static/vendor/leaflet/): OpenStreetMap's by default. The
# CSP's img-src names this host and no other map server; pages work without tiles.
MAP_TILE_URL = env("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env(
    "MAP_TILE_ATTRIBUTION",
    default="© OpenStreetMap contributors",
)
MAP_TILE_ATTRIBUTION_URL = env(
    "MAP_TILE_ATTRIBUTION_URL", default="https://www.openstreetmap.org/copyright"
)
# X serves profile pictures from these (default pictures from abs.twimg.com).
X_PICTURE_ORIGINS = env.list(
    "X_PICTURE_ORIGINS", default=["https://pbs.twimg.com", "https://abs.twimg.com"]
)


def _tile_origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or "{" in parts.netloc:
        raise ImproperlyConfigured(
            "MAP_TILE_URL must be an https URL on one host, such as "
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png (the CSP allows that host)."
        )
    return f"{parts.scheme}://{parts.netloc}"


SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonce and nothing inline: every script and style is a file under static/, so a
    # visitor's page is the same bytes for everyone and any HTTP cache may keep it.
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Pictures: ours, X's profile pictures and the map's tiles; nothing else.
    "img-src": [CSP.SELF, "data:", *X_PICTURE_ORIGINS, _tile_origin(MAP_TILE_URL)],
    "connect-src": [CSP.SELF],
    # Starting the sign-in is a form POST that redirects to X: the browser checks it too.
    "form-action": [CSP.SELF, _origin(X_AUTHORIZE_URL)],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Sessions live in the database and are read through the shared cache: no query per request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "tweetups.views.csrf_failure"  # in the site's look, not Django's bare page
CSRF_COOKIE_HTTPONLY = True  # forms carry the token, and htmx gets it from <body hx-headers>
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^readyz$"]  # monitors ask the app server directly, over HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; lockouts and failures are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
