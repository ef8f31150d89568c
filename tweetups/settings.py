"""Tweetups settings: one module, configured from the environment (django-environ).

Every value a deployment changes is an environment variable; the defaults are the
embedded ones `make run` uses (SQLite, a file-system Celery broker, the X emulator).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-dev-only-key-set-DJANGO_SECRET_KEY-in-production",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.twitter_oauth2",
    "axes",
    "accounts",
    "events",
    "notifications",
    "feeds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tweetups.middleware.private_by_default",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Late, so their 400 and 503 pages have the person and the CSRF token.
    "tweetups.middleware.reject_nul_in_query",
    "tweetups.middleware.DatabaseBusyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: answers locked-out logins
]

ROOT_URLCONF = "tweetups.urls"
WSGI_APPLICATION = "tweetups.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.network_offer",
            ],
            # {% personal %}: the parts of a signed-in page that are one person's.
            "builtins": ["tweetups.page_frames"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server, a worker and beat share the file: wait on locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Bounded waits on PostgreSQL: a web request gives up on a row lock after DB_LOCK_TIMEOUT_MS
# and on any one statement after DB_STATEMENT_TIMEOUT_MS, and answers 503 with Retry-After
# (tweetups/middleware.py) instead of holding a web worker while one row is locked.
# Celery workers allow longer (DB_WORKER_*, applied in tweetups/celery.py). 0 is no limit:
# run a long migration with DB_STATEMENT_TIMEOUT_MS=0.
DB_LOCK_TIMEOUT_MS = env.int("DB_LOCK_TIMEOUT_MS", default=3000)
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=10000)
DB_WORKER_LOCK_TIMEOUT_MS = env.int("DB_WORKER_LOCK_TIMEOUT_MS", default=30000)
DB_WORKER_STATEMENT_TIMEOUT_MS = env.int("DB_WORKER_STATEMENT_TIMEOUT_MS", default=120000)
DB_BUSY_RETRY_AFTER_SECONDS = 5  # what a 503 for a lock or statement timeout asks clients
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: counts failed password logins (only /admin/ takes a password) and refuses
    # a locked-out client before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "events:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# --- Redis, cache, Celery -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Redis is an accelerator, never a dependency of a page: a cache call (tweetups/cache.py) or
# a publish to the broker that gets no answer within this gives up, and the site goes on
# without it (cache misses fall through to the database; mail waits in the outbox).
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.1)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "tweetups.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every process on one machine, so rate limits hold across workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "tweetups.celery:Scheduler"  # creates var/ (the broker folders: ditto)
# At-least-once delivery: a task is acknowledged only once it has finished, goes back to the
# queue if its worker dies, and a worker reserves one task at a time. The hard time limit and
# the longest countdown a task is rescheduled with (X's 15-minute rate window) stay well
# below Redis's visibility timeout, so Redis never hands a task that is still running, or
# still waiting out its countdown, to a second worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    }
# A publish the broker doesn't take is tried once more, at once, then raises: enqueuing on
# commit is robust (notifications/services.py), so the page still answers and the beat
# sweep enqueues the outbox's mail again. Workers reconnect on their own schedule.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}

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
# X bills $0.010 per user object a following page returns (../shared/x-api/): a person read
# up to the cap of 5,000 costs up to $50 a read, 5 requests; every 3 days, up to $500 a month.
NETWORK_MAX_FOLLOWS_READ = env.int("NETWORK_MAX_FOLLOWS_READ", default=5000)
NETWORK_REFRESH_DAYS = env.int("NETWORK_REFRESH_DAYS", default=3)
# User objects read site-wide per calendar month (UTC): 100,000 is $1,000.
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


# --- Email ----------------------------------------------------------------------
def _mailer_from_email_url(config: dict) -> dict:
    """django-environ reads EMAIL_URL into old-style EMAIL_* keys; Django 6.1 wants MAILERS."""
    backend = config["EMAIL_BACKEND"]
    options = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": config.get("EMAIL_HOST") or "localhost",
            "port": config.get("EMAIL_PORT") or None,
            "username": config.get("EMAIL_HOST_USER") or "",
            "password": config.get("EMAIL_HOST_PASSWORD") or "",
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": 10,
        }
    elif backend.endswith("filebased.EmailBackend"):
        options = {"file_path": config.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")}
    return {"BACKEND": backend, "OPTIONS": options}


MAILERS = {"default": _mailer_from_email_url(env.email_url("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Tweetups <hello@tweetups.localhost>")

# --- Site behaviour -------------------------------------------------------------
RSVP_RATE_LIMIT = env.int("RSVP_RATE_LIMIT", default=20)  # posts per user per window
RSVP_RATE_WINDOW_SECONDS = env.int("RSVP_RATE_WINDOW_SECONDS", default=60)
TWEETUPS_PER_PAGE = 20
# Pages served from the cache to visitors who are not signed in (tweetups/page_cache.py);
# writes refresh them at once, this bounds the rest. 0 turns the cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if DEBUG else 60)
# How long a shared HTTP cache or CDN in front (s-maxage) may serve a visitor page without
# asking again; browsers always ask, and an unchanged page costs them a 304.
PAGE_CACHE_SHARED_SECONDS = env.int("PAGE_CACHE_SHARED_SECONDS", default=10)
WALL_POSTS_PER_PAGE = 20
WALL_POLL_SECONDS = env.int("WALL_POLL_SECONDS", default=15)  # how often an open wall asks


# --- Hashtag sync: X recent search into each tweetup's wall (events/sync/) ------------
# Beat starts a sync cycle this often. Tweetups from a day before they start until a day
# after they end are polled every cycle; a week out, hourly; further out, every 6 hours.
X_SYNC_INTERVAL_SECONDS = env.int("X_SYNC_INTERVAL_SECONDS", default=120)
X_SYNC_NEAR_INTERVAL_SECONDS = env.int("X_SYNC_NEAR_INTERVAL_SECONDS", default=3600)
X_SYNC_FAR_INTERVAL_SECONDS = env.int("X_SYNC_FAR_INTERVAL_SECONDS", default=6 * 3600)
# A cycle ends within this many seconds, however slowly X answers: what it didn't reach
# (the rest of a query, or queries not started) is read by the next cycle.
X_SYNC_CYCLE_SECONDS = env.int("X_SYNC_CYCLE_SECONDS", default=X_SYNC_INTERVAL_SECONDS)
# After X refuses a search (401/403, or a 400 for one hashtag) a tweetup is tried again
# after X_SYNC_FAILING_RETRY_MIN_SECONDS, then twice as long each time, up to this.
X_SYNC_FAILING_RETRY_SECONDS = env.int("X_SYNC_FAILING_RETRY_SECONDS", default=3600)
X_SYNC_FAILING_RETRY_MIN_SECONDS = env.int("X_SYNC_FAILING_RETRY_MIN_SECONDS", default=15)
# A cycle reads posts up to this many seconds before it starts: X's search is complete only
# for posts some seconds old (it refuses an end_time less than 10 seconds back).
X_SEARCH_SETTLE_SECONDS = env.int("X_SEARCH_SETTLE_SECONDS", default=15)
# X's index can lag by more than that: each read goes back this far behind where the last
# one ended, so a post indexed that late is still found (read again, stored once).
X_SEARCH_OVERLAP_SECONDS = env.int("X_SEARCH_OVERLAP_SECONDS", default=300)
# 512 on X's self-serve plans, 4096 on higher ones.
X_SEARCH_QUERY_MAX_CHARS = env.int("X_SEARCH_QUERY_MAX_CHARS", default=512)
# Recent-search requests per 15 minutes for the app, shared by every worker through Redis.
X_SEARCH_RATE_LIMIT = env.int("X_SEARCH_RATE_LIMIT", default=450)
# Posts read per calendar month (UTC); polling stops when it is reached. At X's
# $0.005 per post read, 100,000 posts cost $500.
X_MONTHLY_POST_READ_BUDGET = env.int("X_MONTHLY_POST_READ_BUDGET", default=100_000)
# One tweetup's share, so one busy hashtag can't use up the month: at most this many posts
# a cycle, and this fraction of the monthly budget a day. Tweetups not happening within a
# day also wait once the site has read its daily part of the budget (what is left of the
# month, spread over the days left); tweetups happening now come first.
X_SYNC_TWEETUP_POSTS_PER_CYCLE = env.int("X_SYNC_TWEETUP_POSTS_PER_CYCLE", default=300)
X_SYNC_TWEETUP_DAILY_SHARE = env.float("X_SYNC_TWEETUP_DAILY_SHARE", default=0.02)
# The longest one request to X may take, start to end: connecting, the headers and the
# whole body (a body trickled a byte at a time is cut off here, not read for minutes).
X_API_TIMEOUT_SECONDS = env.float("X_API_TIMEOUT_SECONDS", default=20.0)
# 5xx and timeouts: retried this many times, backing off exponentially (with jitter) up to
# X_SYNC_RETRY_BACKOFF_MAX seconds between tries.
X_SYNC_MAX_RETRIES = env.int("X_SYNC_MAX_RETRIES", default=5)
X_SYNC_RETRY_BACKOFF_MAX = env.int("X_SYNC_RETRY_BACKOFF_MAX", default=300)
# Redis keys for the shared rate budget start with this (tests give each run its own).
X_RATE_BUDGET_KEY_PREFIX = "tweetups:x-rate"

# Posts deleted on X, or from accounts gone protected, leave the walls within a day (X's
# developer terms): a check looks up the posts shown on walls of tweetups ending in the future
# or at most X_COMPLIANCE_RECENT_DAYS ago, the newest X_COMPLIANCE_MAX_POSTS of them, at these
# hours (UTC). Twice in one UTC day: one failed run still leaves the day covered, and X
# bills a post read twice in a UTC day once. Each post looked up is a billed read: a wall's
# posts cost about one read a day each while it is live or recent (bench/sync.py).
X_COMPLIANCE_RECENT_DAYS = env.int("X_COMPLIANCE_RECENT_DAYS", default=2)
X_COMPLIANCE_MAX_POSTS = env.int("X_COMPLIANCE_MAX_POSTS", default=10_000)
X_COMPLIANCE_HOURS_UTC = env("X_COMPLIANCE_HOURS_UTC", default="1,13")

CELERY_BEAT_SCHEDULE = {
    "hashtag-sync-cycle": {
        "task": "events.tasks.sync_cycle",
        "schedule": X_SYNC_INTERVAL_SECONDS,
        # A cycle queued while no worker ran is stale once the next one is due.
        "options": {"expires": X_SYNC_INTERVAL_SECONDS},
    },
    "wall-compliance-check": {
        "task": "events.periodic.check_wall_compliance",
        "schedule": crontab(minute=0, hour=X_COMPLIANCE_HOURS_UTC),
        "options": {"expires": 6 * 3600},  # a run still queued by the next is dropped
    },
    "x-network-refresh": {
        "task": "accounts.tasks.read_due_follows",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
}


# --- Email notifications (notifications/) ----------------------------------------------
# Links in mail are absolute: the address people reach the site at.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
NOTIFICATIONS_MAILER = "default"  # the MAILERS alias notifications go through
NOTIFICATIONS_REMINDER_LEAD_HOURS = env.int("NOTIFICATIONS_REMINDER_LEAD_HOURS", default=24)
# Tries per message before it is marked failed; waits of 1, 4, 15, 15 minutes between.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BASE_SECONDS = 60
NOTIFICATIONS_RETRY_MAX_SECONDS = 900  # below Redis's visibility timeout (see Celery above)
# Mail lost with the broker (a flushed Redis) or with a killed worker goes out again: a beat
# job every NOTIFICATIONS_SWEEP_INTERVAL_SECONDS re-enqueues a queued message whose task has
# not run NOTIFICATIONS_SWEEP_GRACE_SECONDS after it was due, and one a worker claimed and
# has not marked sent NOTIFICATIONS_SEND_LEASE_SECONDS later. So it is sent at most
# grace + interval (90 s) or lease + interval (120 s) after the broker is back.
NOTIFICATIONS_SWEEP_INTERVAL_SECONDS = env.int("NOTIFICATIONS_SWEEP_INTERVAL_SECONDS", default=30)
NOTIFICATIONS_SWEEP_GRACE_SECONDS = env.int("NOTIFICATIONS_SWEEP_GRACE_SECONDS", default=60)
NOTIFICATIONS_SWEEP_BATCH = 5000
NOTIFICATIONS_SEND_LEASE_SECONDS = env.int("NOTIFICATIONS_SEND_LEASE_SECONDS", default=90)
# A send is stopped before its lease runs out, so when the sweep hands a message to another
# worker the one that had it is gone: at most one duplicate per message that was in flight
# (notifications/delivery.py). SMTP waits up to 10 s per step (MAILERS above); a send takes
# a handful of steps.
_send_time_limit = NOTIFICATIONS_SEND_LEASE_SECONDS - 15
if _send_time_limit < 30:
    raise ImproperlyConfigured(
        "NOTIFICATIONS_SEND_LEASE_SECONDS must be at least 45: a send needs time to finish "
        "before another worker may take its message."
    )
CELERY_TASK_ANNOTATIONS = {
    "notifications.tasks.send_outgoing_message": {
        "soft_time_limit": _send_time_limit - 10,
        "time_limit": _send_time_limit,
    },
}
NOTIFICATIONS_ORGANIZER_MESSAGES_PER_DAY = env.int(
    "NOTIFICATIONS_ORGANIZER_MESSAGES_PER_DAY", default=3
)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "notifications-sweep-outbox": {
        "task": "notifications.periodic.sweep_outbox",
        "schedule": NOTIFICATIONS_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": NOTIFICATIONS_SWEEP_INTERVAL_SECONDS},
    },
    "notifications-schedule-reminders": {
        "task": "notifications.periodic.schedule_reminders",
        "schedule": 600,
        "options": {"expires": 600},
    },
    # Mondays 08:00 UTC (CELERY_TIMEZONE). One digest per person and week, so a late or
    # repeated run sends nothing twice; one that waited past the morning is dropped.
    "notifications-weekly-digest": {
        "task": "notifications.periodic.send_weekly_digests",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
        "options": {"expires": 6 * 3600},
    },
}


# --- Security -------------------------------------------------------------------
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonce and nothing inline: every script and style is a file under static/, so a
    # visitor's page is the same bytes for everyone and any HTTP cache may keep it.
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "https:", "data:"],
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
