import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch
from django.views import csrf
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tweetups import heartbeat

logger = logging.getLogger(__name__)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("readyz: the database does not answer", exc_info=True)
        return False
    return True


def _cache_ok() -> bool:
    token = secrets.token_hex(8)
    try:
        cache.set("tweetups:readyz", token, timeout=30)
        return cache.get("tweetups:readyz") == token
    except Exception:
        logger.warning("readyz: the cache does not answer", exc_info=True)
        return False


def _sync_state() -> tuple[dict, bool]:
    pulse = heartbeat.sync_pulse()
    interval = settings.X_SYNC_INTERVAL_SECONDS
    if pulse is None:
        return {"status": "unknown", "detail": "the cache holding its heartbeat is away"}, True
    seconds = int(pulse.quiet_for.total_seconds())
    if pulse.last_cycle_at is None:
        detail = f"no sync cycle recorded in the {seconds} s since this was first asked"
    else:
        detail = f"last sync cycle {seconds} s ago"
    state = {
        "status": "stalled" if pulse.stalled else "ok",
        "detail": detail,
        "last_cycle_at": pulse.last_cycle_at.isoformat() if pulse.last_cycle_at else None,
        "seconds_since_last_cycle": seconds if pulse.last_cycle_at else None,
        "interval_seconds": interval,
        "stalled_after_seconds": int(heartbeat.stalled_after().total_seconds()),
    }
    return state, not pulse.stalled


@require_GET
@never_cache
def readyz(request):
    """For monitoring: the database, the cache, and whether sync cycles still run.

    503 when the database is away or no sync cycle ran for several intervals (beat or the
    worker is down). The cache being away is reported but is not fatal: the site runs
    without Redis.
    """
    database = _database_ok()
    sync, sync_ok = _sync_state()
    ready = database and sync_ok
    body = {
        "status": "ok" if ready else "unavailable",
        "database": "ok" if database else "unavailable",
        "cache": "ok" if _cache_ok() else "unavailable",
        "sync": sync,
    }
    return JsonResponse(body, status=200 if ready else 503)


def bad_request(request, exception=None):
    # Not Django's default, which is wrapped in requires_csrf_token: that runs the CSRF check
    # again, and reads the body that just failed to parse (a form POST in UTF-16), so a 500.
    return render(request, "errors/400.html", status=400)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form was sent without its token (usually a lost cookie)."""
    try:
        return render(request, "errors/403_csrf.html", status=403)
    except NoReverseMatch:  # served under a URLconf without the site's pages (a test's own)
        return csrf.csrf_failure(request, reason)
