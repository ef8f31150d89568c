"""Pages cached in the shared cache. Visitors who are not signed in (most people who open
a shared tweetup link, and every crawler unfurling one) get whole pages: `for_visitors`.
Signed-in people get their page rendered around cached `parts` that are the same for
everyone: a city's listing, a tweetup's facts, counts, people going and wall.

A cached page or part belongs to scopes ("home", "city:<slug>", "tweetup:<slug>", and
"site"). Each scope has a version in the cache, a random token; an entry remembers the
versions it was rendered under and is served only while they are current. Writes call
`forget()`, which deletes the scopes' versions once the transaction commits, so the next
visitor renders the page again from committed rows. A reader that was rendering during
the write stores its page under the old token, which nobody asks for any more. What no
write announces (a profile picture changed on X, a tweetup's end passing) is at most
PAGE_CACHE_SECONDS old.

The CSP nonce and the CSRF token differ on every response. A page is rendered with random
marks in their places (the `marks` context processor) and each response gets its own
values substituted. The marks are made after the page's data is read, so no stored text
can contain them.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

VERSION_SECONDS = 24 * 3600
MAX_PATH_LENGTH = 300


# Every page belongs to this scope too: forgetting it (after an edit in the admin, which
# goes around the services) refreshes every cached page and part.
SITE = "site"


def _version_key(scope: str) -> str:
    return f"page-version:{scope}"


def _version_keys(scopes: Iterable[str]) -> list[str]:
    return [_version_key(SITE), *(_version_key(scope) for scope in scopes)]


def forget(*scopes: str) -> None:
    """Stop serving the scopes' cached pages once the current transaction commits."""
    keys = [_version_key(scope) for scope in scopes]
    if not keys:  # e.g. a sync page that added no posts
        return

    def delete():
        try:
            cache.delete_many(keys)
        except Exception:  # the write has committed: stale pages expire on their own
            logger.exception("Could not forget cached pages %s", scopes)

    transaction.on_commit(delete)


def forget_tweetup(tweetup, *, moved_from: str | None = None) -> None:
    """A tweetup's own page, its city's pages (and those of the city it `moved_from`) and
    the home page show its details."""
    cities = {tweetup.city.slug, moved_from} - {None}
    forget("home", f"tweetup:{tweetup.slug}", *(f"city:{slug}" for slug in cities))


def parts(scope: str, **makers: Callable[[], Any]) -> dict[str, Any]:
    """Parts of a page that are the same for everyone who sees them (rendered HTML, or
    values such as counts), cached like whole pages: one cache round trip for all of them.

    A maker must not use the request: no user, no nonce, no CSRF token.
    """
    if settings.PAGE_CACHE_SECONDS <= 0:
        return {name: make() for name, make in makers.items()}
    version_keys = _version_keys([scope])
    keys = {name: f"part:{scope}:{name}" for name in makers}
    found = cache.get_many([*version_keys, *keys.values()])
    versions = [found.get(key) for key in version_keys]
    made, missing = {}, {}
    for name, key in keys.items():
        entry = found.get(key)
        if entry is not None and None not in versions and entry[0] == versions:
            made[name] = entry[1]
        else:
            missing[name] = makers[name]
    if missing:
        versions = _current_versions(version_keys, found)
        fresh = {name: make() for name, make in missing.items()}
        if versions is not None:
            cache.set_many(
                {keys[name]: (versions, value) for name, value in fresh.items()},
                settings.PAGE_CACHE_SECONDS,
            )
        made |= fresh
    return made


def marks(request) -> dict:
    """Context processor: the marks standing in for per-response values while a page is
    rendered for the cache. Listed last, so it overrides the csp and csrf processors."""
    return getattr(request, "page_cache_marks", {})


def _cacheable(request, query_keys: frozenset[str]) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "HX-Request" not in request.headers
        # A session means someone signed in (or on the way); messages are for one reader.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and set(request.GET) <= query_keys
        and len(request.get_full_path()) <= MAX_PATH_LENGTH
    )


def _current_versions(keys: list[str], found: dict) -> list[str] | None:
    """The scopes' versions, making any that are missing; None if one can't be made."""
    versions = []
    for key in keys:
        version = found.get(key)
        if version is None:
            version = secrets.token_hex(8)
            if not cache.add(key, version, VERSION_SECONDS):
                version = cache.get(key)  # another process made it first
                if version is None:
                    return None
        versions.append(version)
    return versions


def _personalize(request, body: bytes, entry_marks: dict[str, str]) -> bytes:
    nonce_mark = entry_marks["csp_nonce"].encode()
    csrf_mark = entry_marks["csrf_token"].encode()
    if nonce_mark in body:
        body = body.replace(nonce_mark, str(get_nonce(request)).encode())
    if csrf_mark in body:  # get_token also sets the CSRF cookie on the response
        body = body.replace(csrf_mark, get_token(request).encode())
    return body


def for_visitors(*scopes: str, query: Iterable[str] = ()):
    """Serve the decorated page from the cache to visitors who are not signed in.

    `scopes` are formatted with the view's keyword arguments ("city:{slug}"); `query` names
    the GET parameters the page understands. Any other request goes to the view.
    """
    query_keys = frozenset(query)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _cacheable(request, query_keys):
                return view(request, *args, **kwargs)
            version_keys = _version_keys(scope.format(**kwargs) for scope in scopes)
            address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
            page_key = "page:" + hashlib.sha256(address.encode()).hexdigest()
            found = cache.get_many([page_key, *version_keys])
            entry = found.get(page_key)
            if entry and entry["versions"] == [found.get(key) for key in version_keys]:
                response = HttpResponse(
                    _personalize(request, entry["body"], entry["marks"]),
                    content_type=entry["content_type"],
                )
                response["X-Cache"] = "hit"
                patch_vary_headers(response, ["Cookie"])
                return response

            versions = _current_versions(version_keys, found)
            entry_marks = {"csp_nonce": secrets.token_hex(16), "csrf_token": secrets.token_hex(32)}
            request.page_cache_marks = entry_marks
            try:
                response = view(request, *args, **kwargs)
                if hasattr(response, "render"):
                    response.render()
            finally:
                del request.page_cache_marks  # error pages render with the real values
            if response.streaming:
                return response
            body = response.content
            if versions is not None and response.status_code == 200 and not response.cookies:
                cache.set(
                    page_key,
                    {
                        "versions": versions,
                        "body": body,
                        "marks": entry_marks,
                        "content_type": response["Content-Type"],
                    },
                    settings.PAGE_CACHE_SECONDS,
                )
            response.content = _personalize(request, body, entry_marks)
            response["X-Cache"] = "miss"
            patch_vary_headers(response, ["Cookie"])
            return response

        return wrapper

    return decorator


class ForgetPagesAdmin:
    """For ModelAdmins of what pages show: an edit there goes around the services, so it
    refreshes every cached page (inlines included: it happens once the admin commits)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget(SITE)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget(SITE)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        forget(SITE)
