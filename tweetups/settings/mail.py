"""Mail: how it is sent (EMAIL_URL), and the notifications sent through it (notifications/)."""

from django.core.exceptions import ImproperlyConfigured

from tweetups.settings.base import VAR_DIR, env


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
# Invitations by X handle (notifications/invitations.py). The caps count handles in the
# database, so they hold with Redis down; the rate limit counts form posts in Redis.
INVITATIONS_PER_DAY = env.int("INVITATIONS_PER_DAY", default=40)  # handles per person per 24 h
INVITATIONS_PER_TWEETUP = env.int("INVITATIONS_PER_TWEETUP", default=20)  # per person, per tweetup
INVITE_RATE_LIMIT = env.int("INVITE_RATE_LIMIT", default=10)  # invite posts per person per window
INVITE_RATE_WINDOW_SECONDS = env.int("INVITE_RATE_WINDOW_SECONDS", default=600)
