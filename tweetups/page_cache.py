"""Pages cached in the shared cache. Visitors who are not signed in (most people who open
a shared tweetup link, and every crawler unfurling one) get whole pages: `for_visitors`
marks a view's, and the `VisitorPages` middleware keeps and serves them.
They are the same bytes for everyone (the CSP has no nonce, and visitor pages have no
CSRF token), so they carry `Cache-Control: public`, an `ETag`, and answer a matching
`If-None-Match` with 304 without rendering: a shared HTTP cache or CDN in front can keep
them too (docs/architecture.md). Signed-in people get their page rendered around cached
`parts` that are the same for everyone: a city's listing, a tweetup's facts, counts,
people going and wall; their responses are private.

A cached page or part belongs to scopes ("home", "city:<slug>", "tweetup:<slug>",
"people:<slug>" for the people going a tweetup shows, and "site"). Each scope has a
version in the cache, a random token; an entry remembers the versions it was rendered
under and is served only while they are current. Writes call
`forget()`, which deletes the scopes' versions once the transaction commits, so the next
visitor renders the page again from committed rows. A reader that was rendering during
the write stores its page under the old token, which nobody asks for any more. What no
write announces (a profile picture changed on X, a tweetup's end passing) is at most
PAGE_CACHE_SECONDS old.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from tweetups import page_copies

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


def forget_tweetup(tweetup, *, moved_from: str | None = None, people: bool = True) -> None:
    """A tweetup's own page, its city's pages (and those of the city it `moved_from`), the
    home page, and search and topic pages ("discovery") show its details. The people going
    it shows are kept apart ("people:<slug>"): a write that can't change who is listed
    (joining the waitlist, a maybe) leaves them be with `people=False`."""
    cities = {tweetup.city.slug, moved_from} - {None}
    forget(
        "home",
        "discovery",
        f"tweetup:{tweetup.slug}",
        *([f"people:{tweetup.slug}"] if people else []),
        *(f"city:{slug}" for slug in cities),
    )


def parts(scope: str, **makers: Callable[[], Any]) -> dict[str, Any]:
    """Parts of a page that are the same for everyone who sees them (rendered HTML, or
    values such as counts), cached like whole pages: one cache round trip for all of them.

    A maker must not use the request: no user, no nonce, no CSRF token.
    """
    return fetch(scope, makers).parts


@dataclass
class Fetched:
    parts: dict[str, Any]
    # Entries asked for with `also` that are current (see `keep`).
    extras: dict[str, Any] = field(default_factory=dict)
    # The scope's versions now; None when the cache is off or away.
    versions: list[str] | None = None
    # What the cache holds under the `plain` keys (None: nothing).
    plain: dict[str, Any] = field(default_factory=dict)


def fetch(
    scope: str,
    makers: dict[str, Callable[[], Any]],
    also: Iterable[str] = (),
    plain: Iterable[str] = (),
) -> Fetched:
    """`parts`, and in the same round trip the entries `keep` stored under `also` keys and
    whatever others stored under `plain` keys.

    A maker may name a scope of its own (`own_scope`): its part is then current while that
    scope is, whatever becomes of the page's. The entries under `also` depend on them all.
    """
    also, plain = list(also), list(plain)
    if settings.PAGE_CACHE_SECONDS <= 0:
        return Fetched({name: make() for name, make in makers.items()})
    part_scopes = {name: getattr(make, "scope", scope) for name, make in makers.items()}
    scopes = [scope, *sorted(set(part_scopes.values()) - {scope})]
    version_keys = _version_keys(scopes)
    keys = {name: f"part:{scope}:{name}" for name in makers}
    names = {key: name for name, key in keys.items()}
    entries, found, copied = page_copies.read([*keys.values(), *also], [*version_keys, *plain])
    versions = [found.get(key) for key in version_keys]

    def versions_of(name: str, versions: list) -> list:
        by_scope = dict(zip([SITE, *scopes], versions, strict=True))
        return [by_scope[SITE], by_scope[part_scopes[name]]]

    def wanted(key: str) -> list:
        return versions_of(names[key], versions) if key in names else versions

    def current(key: str, entry) -> bool:
        return entry is not None and None not in wanted(key) and entry[0] == wanted(key)

    # A copy older than the versions just read: another process may have made it anew.
    stale = [k for k in copied if not current(k, entries[k]) and None not in wanted(k)]
    if stale:
        again = page_copies.read_shared(stale)
        entries = {k: v for k, v in entries.items() if k not in stale} | again
    made, missing = {}, {}
    for name, key in keys.items():
        if current(key, entries.get(key)):
            made[name] = entries[key][1]
        else:
            missing[name] = makers[name]
    extras = {}
    if None not in versions:
        extras = {k: entries[k][1] for k in also if current(k, entries.get(k))}
    else:
        versions = _current_versions(version_keys, found)
    if missing:
        fresh = {name: make() for name, make in missing.items()}
        if versions is not None:
            page_copies.store(
                {keys[name]: (versions_of(name, versions), value) for name, value in fresh.items()}
            )
        made |= fresh
    return Fetched(made, extras, versions, {key: found.get(key) for key in plain})


def own_scope(scope: str, make: Callable[[], Any]) -> Callable[[], Any]:
    """`make`, as a part kept under `scope` rather than its page's (see `fetch`): a tweetup's
    people going change less often than its counts."""
    make.scope = scope
    return make


def keep(fetched: Fetched, key: str, value: Any) -> None:
    """Store `value` under `key` for as long as the versions `fetched` read stay current."""
    if fetched.versions is not None:
        page_copies.store({key: (fetched.versions, value)})


def kept(fetched: Fetched, key: str, make: Callable[[], Any]) -> Any:
    """What `keep` stored under `key` (asked for with `also`) if current, else `make()`,
    kept for next time."""
    if key in fetched.extras:
        return fetched.extras[key]
    value = make()
    keep(fetched, key, value)
    return value


def _cacheable(request, query_keys: frozenset[str] | None, htmx: bool) -> bool:
    """Whether a request may get a page everyone gets (None: whatever its parameters)."""
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and (htmx or "HX-Request" not in request.headers)
        # A session means someone signed in (or on the way); messages are for one reader.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and (query_keys is None or set(request.GET) <= query_keys)
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


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _public(response: HttpResponse, etag: str, vary: tuple[str, ...]) -> HttpResponse:
    """Headers that let browsers and shared caches keep a visitor's page: everyone gets the
    same bytes. Browsers revalidate every time (a change shows at once, and an unchanged
    page costs a 304); a shared cache may serve it for PAGE_CACHE_SHARED_SECONDS."""
    response["ETag"] = etag
    response["Cache-Control"] = (
        f"public, max-age=0, s-maxage={settings.PAGE_CACHE_SHARED_SECONDS}, must-revalidate"
    )
    patch_vary_headers(response, vary)
    return response


def _not_modified(request, etag: str) -> bool:
    match = request.headers.get("If-None-Match")
    return bool(match) and (match.strip() == "*" or etag in parse_etags(match))


@dataclass(frozen=True)
class VisitorPage:
    """How a view's visitor pages are cached: `for_visitors` puts one on the view."""

    scopes: tuple[str, ...]
    query_keys: frozenset[str]
    vary: tuple[str, ...]
    htmx: bool

    def accepts(self, request) -> bool:
        return _cacheable(request, self.query_keys, self.htmx)


def for_visitors(
    *scopes: str, query: Iterable[str] = (), vary: Iterable[str] = (), htmx: bool = False
):
    """Cache the decorated page whole for visitors who are not signed in, with headers that
    let any HTTP cache in front keep it, and 304s for a matching ETag (VisitorPages).

    `scopes` are formatted with the view's keyword arguments ("city:{slug}"); `query` names
    the GET parameters the page understands; `vary` names request headers (besides Cookie)
    the view answers differently to, such as HX-Request. With `htmx`, htmx requests are
    cached too (apart from the others): the view's htmx answer depends on nothing else of
    the request. Any other request goes to the view, and its response stays private
    (tweetups.middleware.private_by_default).
    """
    config = VisitorPage(tuple(scopes), frozenset(query), ("Cookie", *vary), htmx)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if not config.accepts(request):
                return response
            if hasattr(response, "render"):
                response.render()
            if response.streaming or response.status_code != 200 or response.cookies:
                return response  # error pages and anything personal stay private
            response["X-Cache"] = "miss"
            return _public(response, _etag(response.content), config.vary)

        wrapper.visitor_page = config  # copied onto decorators outside this one (wraps)
        return wrapper

    return decorator


# Headers a kept page is served with: those of the response as it left the views and the
# middleware inside VisitorPages. SecurityMiddleware, outside, adds its own to every answer.
_NOT_KEPT = {"x-cache", "content-length", "set-cookie"}


class VisitorPages:
    """Serves the pages `for_visitors` marks from the shared cache, before the rest of the
    middleware and the view run: a visitor's page is the same bytes, and headers, for
    everyone. On a miss the page is rendered as usual and kept as it was sent.

    The page's scopes' versions are read before it is rendered: a page rendered during a
    write is kept under versions that write made stale, and never served.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable(request, None, True):
            return self.get_response(request)
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return self.get_response(request)
        config = getattr(match.func, "visitor_page", None)
        if config is None or not config.accepts(request):
            return self.get_response(request)
        version_keys = _version_keys(scope.format(**match.kwargs) for scope in config.scopes)
        address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        if request.headers.get("HX-Request") == "true":  # what django-htmx goes by
            address += " htmx"
        page_key = "visitor-page:" + hashlib.sha256(address.encode()).hexdigest()
        entries, found, copied = page_copies.read([page_key], version_keys)
        versions_now = [found.get(key) for key in version_keys]
        entry = entries.get(page_key)
        if copied and entry[0] != versions_now and None not in versions_now:
            # Made anew since it was copied (by another process, after a write).
            entry = page_copies.read_shared([page_key]).get(page_key)
        if entry and entry[0] == versions_now:
            etag, headers, body = entry[1:4]
            if _not_modified(request, etag):
                response = HttpResponseNotModified()
                for name in ("ETag", "Cache-Control", "Vary"):
                    response[name] = headers[name]
            else:
                response = HttpResponse(body)
                for name, value in headers.items():
                    response[name] = value
                response["Content-Length"] = str(len(body))
            response["X-Cache"] = "hit"
            return response

        versions = _current_versions(version_keys, found)
        response = self.get_response(request)
        etag = response.get("ETag")
        if response.get("X-Cache") != "miss" or response.status_code != 200 or not etag:
            return response
        if response.cookies:  # set on the way out (a CSRF cookie): not the same for everyone
            response["Cache-Control"] = "private, no-cache"
            return response
        if versions is not None:
            headers = {k: v for k, v in response.items() if k.lower() not in _NOT_KEPT}
            page_copies.store({page_key: (versions, etag, headers, response.content)})
        if _not_modified(request, etag):
            not_modified = HttpResponseNotModified()
            for name in ("ETag", "Cache-Control", "Vary", "X-Cache"):
                not_modified[name] = response[name]
            return not_modified
        return response


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
