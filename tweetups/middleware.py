"""Site-wide request and response rules: responses private unless marked otherwise, a 400
for input no view should see, a 503 for a request that waited too long on the database."""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import OperationalError
from django.shortcuts import render
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# PostgreSQL's lock_not_available (lock_timeout) and query_canceled (statement_timeout).
BUSY_SQLSTATES = {"55P03", "57014"}


def database_busy(exc: BaseException) -> bool:
    """Whether `exc` is PostgreSQL giving up on a lock or a statement (settings: DB_*)."""
    cause = exc.__cause__
    return isinstance(exc, OperationalError) and (
        getattr(cause, "pgcode", None) in BUSY_SQLSTATES
        or getattr(cause, "sqlstate", None) in BUSY_SQLSTATES
    )


def with_retry_after(response):
    response["Retry-After"] = str(settings.DB_BUSY_RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """503 with Retry-After, in the site's look, instead of a 500. The transaction that
    timed out was rolled back, so the request changed nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        logger.warning("%s %s: database busy (%s)", request.method, request.path, exception)
        response = with_retry_after(render(request, "errors/503.html", status=503))
        if getattr(request, "htmx", False):
            # htmx swaps 503s (base.html) so a view can answer in place; this page is not
            # the fragment the request asked for.
            response["HX-Reswap"] = "none"
        return response


def reject_nul_in_query(get_response):
    """400 for a NUL byte in the query string: PostgreSQL can't take one in a string, so any
    view that looks the value up would fail with a 500. No real link carries one."""

    def middleware(request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL byte in the query string")
        return get_response(request)

    return middleware


def private_by_default(get_response):
    """A response that didn't say it may be shared is for its reader only: signed-in pages,
    forms with a CSRF token, messages. Only `page_cache.for_visitors` marks pages public."""

    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    return middleware
