"""Signing in with X (django-allauth), reading whom a person follows, and the limits on
sign-ins and admin passwords (django-axes)."""

from datetime import timedelta

from tweetups.settings.base import env

# --- Sign in with X (django-allauth) ------------------------------------------
X_CLIENT_ID = env("X_CLIENT_ID", default="tweetups-dev")
X_CLIENT_SECRET = env("X_CLIENT_SECRET", default="tweetups-dev-secret")
X_BEARER_TOKEN = env("X_BEARER_TOKEN", default="tweetups-dev-bearer")
# The development client and token above work only with the X emulator that `make run`
# starts, so while they are in use the X URLs default to it: a `manage.py sync_hashtags` in
# another terminal reaches the same emulator as the site. Your own X app's credentials make
# them default to X.
X_EMULATOR_URL = "http://127.0.0.1:8010"
if (X_CLIENT_ID, X_BEARER_TOKEN) == ("tweetups-dev", "tweetups-dev-bearer"):
    _x_site, _x_api = X_EMULATOR_URL, X_EMULATOR_URL
else:
    _x_site, _x_api = "https://x.com", "https://api.x.com"
X_AUTHORIZE_URL = env("X_AUTHORIZE_URL", default=f"{_x_site}/i/oauth2/authorize")
X_API_BASE_URL = env("X_API_BASE_URL", default=_x_api).rstrip("/")

# Not SOCIALACCOUNT_ONLY: allauth's email management (add, verify, remove an address) needs
# its account URLs. The site stays password-free: signup is closed (AccountAdapter), our
# own /accounts/login/ has only the X button, and tweetups/urls.py answers 404 for
# allauth's signup, password and reauthentication pages.
SOCIALACCOUNT_ONLY = False
ACCOUNT_EMAIL_VERIFICATION = "optional"  # verified before mail is sent; sign-in never waits
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # the link shows a page with a button: scanners GET links
ACCOUNT_REAUTHENTICATION_REQUIRED = False  # reauthenticating would need a password
ACCOUNT_MAX_EMAIL_ADDRESSES = 3
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Tweetups: "
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "/email/"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting the sign-in takes a POST with a CSRF token
# Nothing reads X on a user's behalf yet: keep no access or refresh token. A feature that
# needs one stores it encrypted at rest (accounts/migrations/0002 dropped the old rows).
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "twitter_oauth2": {
        "provider_class": "accounts.x.provider.XProvider",
        "APPS": [{"client_id": X_CLIENT_ID, "secret": X_CLIENT_SECRET, "key": ""}],
        "SCOPE": ["users.read", "tweet.read", "offline.access"],
        # allauth's default user.fields, plus `protected`: a protected account is listed as
        # going only to people who follow it (User.x_protected).
        "FIELDS": [
            "id",
            "name",
            "username",
            "verified",
            "profile_image_url",
            "created_at",
            "protected",
        ],
    }
}
# --- Your X network (issue 12): whom a person follows, read only with their consent ------
# Tokens are encrypted with this key (default: derived from SECRET_KEY).
NETWORK_TOKEN_KEY = env("NETWORK_TOKEN_KEY", default="")
# X bills $0.010 per user object a following page returns (../shared/x-api/): one page of
# up to 1,000 ids is one request and at most $10. bench/network.py, 10,000 people with a
# heavy-tailed spread of follows (median 373): with a cap of 1,000 read every 30 days a
# person costs about $4.70 a month; a cap of 5,000 every 3 days would cost about $72.
# A read sooner than this happens only when the person asks ("Refresh now", rate-limited).
NETWORK_MAX_FOLLOWS_READ = env.int("NETWORK_MAX_FOLLOWS_READ", default=1000)
NETWORK_REFRESH_DAYS = env.int("NETWORK_REFRESH_DAYS", default=30)
# User objects read site-wide per calendar month (UTC): 100,000 is $1,000, the monthly
# refreshes of about 200 such people. When it is reached, refreshes wait for next month
# and the account page says so.
NETWORK_MONTHLY_USER_READ_BUDGET = env.int("NETWORK_MONTHLY_USER_READ_BUDGET", default=100_000)
# Lists queued for a refresh per hourly beat run (X allows 15 requests / 15 min per person).
NETWORK_REFRESH_BATCH = env.int("NETWORK_REFRESH_BATCH", default=2000)
# "Refresh now" presses per person per window.
NETWORK_REFRESH_NOW_LIMIT = env.int("NETWORK_REFRESH_NOW_LIMIT", default=3)
NETWORK_REFRESH_NOW_WINDOW_SECONDS = env.int("NETWORK_REFRESH_NOW_WINDOW_SECONDS", default=3600)
# How long one read of a person's list may hold its lease before another may start (a
# worker that died mid-read): longer than a read of NETWORK_MAX_FOLLOWS_READ takes.
NETWORK_READ_LEASE_SECONDS = env.int("NETWORK_READ_LEASE_SECONDS", default=900)
# Sign-in starts per client address per window (accounts/x/views.py): each writes a
# session row. People at one venue share a network, so a window allows a room's worth.
SIGN_IN_RATE_LIMIT = env.int("SIGN_IN_RATE_LIMIT", default=30)
SIGN_IN_RATE_WINDOW_SECONDS = env.int("SIGN_IN_RATE_WINDOW_SECONDS", default=60)
# Proxies in front of the site that append to X-Forwarded-For (0: use REMOTE_ADDR); read
# by allauth's client address, which the sign-in limit and django-axes both use.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-axes: password guesses on /admin/login/. Attempts live in the database, so a
# Redis outage neither opens nor closes the door; a lock lifts after the cool-off, or at
# once with `manage.py axes_reset_ip IP`.
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_ONLY_ADMIN_SITE = True  # X sign-ins take no password and are limited by allauth
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins (every X sign-in) need no row
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_CLIENT_IP_CALLABLE = "accounts.adapters.client_ip"  # the address allauth limits
