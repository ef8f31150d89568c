"""Signed-in pages from a cached frame with personal holes.

What a signed-in person sees is mostly what everyone signed in sees: only the parts in
`{% personal "name" %}…{% endpersonal %}` differ (their handle in the header, their RSVP,
the follow button, messages, CSRF tokens). `frame_page` renders such a page once with a
random mark in place of each hole and keeps that frame in the cache under the page's scope,
so every write that refreshes the page (tweetups/page_cache.py) refreshes its frame too.
Later requests render only the holes and put them in.

The rule that makes this safe: outside a `personal` block a template may not depend on who
is signed in (only on being signed in). tests/test_page_frames.py renders each framed page
for two people to hold it. Visitors never get frames: their pages are cached whole.
"""

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django import template
from django.conf import settings
from django.http import HttpResponse
from django.template.context import make_context
from django.template.loader import get_template

from tweetups import page_cache

register = template.Library()

# Cache keys of a signed-in person's own that their pages' holes read (whether they opted
# in to their X network, the cities they follow), by name, each made from a user's id:
# each app names its own here from its AppConfig.ready(), and frame_page reads them in
# the parts' round trip, for `read_ahead` to answer.
PERSONAL_KEYS: dict[str, Callable[[int], str]] = {}

# name -> (template it was found in, node): rendering a hole needs its node, found by name.
_HOLES: dict[str, tuple[str, "PersonalNode"]] = {}
_FRAME = "page_frame"


class PersonalNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList):
        self.name, self.nodelist = name, nodelist

    def render(self, context) -> str:
        html = self.nodelist.render(context)
        frame = context.get(_FRAME)
        return html if frame is None else frame.hole(self.name, html)


@register.tag
def personal(parser, token):
    """{% personal "name" %}…{% endpersonal %}: the part of a page that is one person's."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][:1] not in ("'", '"') or bits[1][-1:] != bits[1][:1]:
        raise template.TemplateSyntaxError('Use {% personal "name" %}.')
    name = bits[1][1:-1]
    nodelist = parser.parse(("endpersonal",))
    parser.delete_first_token()
    origin = parser.origin.name if parser.origin else ""
    known = _HOLES.get(name)
    if known is not None and known[0] != origin:
        raise template.TemplateSyntaxError(f"A personal block {name!r} is in {known[0]} too.")
    node = PersonalNode(name, nodelist)
    _HOLES[name] = (origin, node)
    return node


class _Frame:
    def __init__(self):
        self.marks: dict[str, str] = {}
        self.holes: dict[str, str] = {}

    def hole(self, name: str, html: str) -> str:
        if name in self.marks:
            raise template.TemplateSyntaxError(f"The personal block {name!r} rendered twice.")
        self.marks[name] = f"<!--hole:{secrets.token_hex(16)}-->"
        self.holes[name] = html
        return self.marks[name]


def read_ahead(request, key: str):
    """What the cache held under `key` when this request's page read its parts (None: it
    held nothing, or the key wasn't read ahead): a hole's read with no round trip."""
    return getattr(request, "cache_read_ahead", {}).get(key)


# Where a kept hole's CSRF token goes (frame_page): each response gets a freshly masked one.
_CSRF_SLOT = "<!--csrf-token-->"


def _fill(body: str, marks: dict[str, str], holes: dict[str, str]) -> str:
    for name, mark in marks.items():
        body = body.replace(mark, holes[name], 1)
    return body


def frame_page(
    request,
    template_name: str,
    *,
    scope: str,
    parts: dict[str, Callable[[], Any]],
    page: Callable[[dict], dict],
    personal: Callable[[dict], dict],
    framed: Callable[[dict], bool] = lambda parts: True,
    mine: dict[str, Callable[[dict], Any]] | None = None,
    kept_holes: dict[str, tuple[str, ...]] | None = None,
) -> HttpResponse:
    """Render `template_name` for a signed-in person from its cached frame.

    `parts` are the page's shared parts (page_cache.parts); `page(parts)` is the rest of
    the context a whole render needs, `personal(parts)` what the holes need. A page for
    which `framed(parts)` is false is rendered whole (an organizer's own tweetup page).

    `mine` are values of the signed-in person's own (their RSVP), each made from the parts
    by `mine[name](parts)` and kept per person under the page's scope, so they are as fresh
    as the page: a write that changes one forgets the scope. They are read in the parts'
    round trip, with the PERSONAL_KEYS (see `read_ahead`), and reach `personal` as
    parts["mine"][name].

    `kept_holes` are holes kept rendered per person the same way (a tweetup's RSVP panel),
    each named with the PERSONAL_KEYS it reads: it is kept while the page is current and
    what the cache holds under those keys is unchanged (and known: an entry missing says
    nothing of what changed). What such a hole shows must come from the parts, `mine`
    and those keys alone; its CSRF token is put in fresh for each response (a token is
    masked anew every time).
    """
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    frame_key = "frame:" + hashlib.sha256(f"{address} {template_name}".encode()).hexdigest()
    use_frame = (
        settings.PAGE_CACHE_SECONDS > 0
        and request.user.is_authenticated  # visitors get whole pages (page_cache)
        and len(address) <= page_cache.MAX_PATH_LENGTH
    )
    mine_keys, hole_keys = {}, {}
    if request.user.is_authenticated:
        mine_keys = {name: f"mine:{scope}:{request.user.pk}:{name}" for name in mine or {}}
        # Per address as the frame is: a hole may link back to the page it is on.
        page_id = frame_key.removeprefix("frame:")[:32]
        hole_keys = {
            name: f"hole:{scope}:{request.user.pk}:{name}:{page_id}" for name in kept_holes or {}
        }
    plain = []
    if request.user.is_authenticated:
        plain = [key(request.user.pk) for key in PERSONAL_KEYS.values()]
    also = [*([frame_key] if use_frame else []), *mine_keys.values(), *hole_keys.values()]
    fetched = page_cache.fetch(scope, parts, also=also, plain=plain)
    fetched.parts = fetched.parts | {
        "mine": {
            name: page_cache.kept(fetched, key, lambda make=mine[name]: make(fetched.parts))
            for name, key in mine_keys.items()
        },
    }
    request.cache_read_ahead = fetched.plain
    use_frame = use_frame and framed(fetched.parts)
    entry = fetched.extras.get(frame_key) if use_frame else None
    if entry is not None and all(name in _HOLES for name in entry[1]):
        body, marks = entry
        read = {  # what each kept hole's keys hold now (None: not known)
            name: [fetched.plain[PERSONAL_KEYS[key](request.user.pk)] for key in kept_holes[name]]
            for name in hole_keys
        }
        kept = {
            name: fetched.extras[key][1]
            for name, key in hole_keys.items()
            if key in fetched.extras and fetched.extras[key][0] == read[name]
        }
        context = make_context(personal(fetched.parts), request)
        with context.bind_template(get_template(template_name).template):
            token = str(context.get("csrf_token", ""))
            holes = {}
            for name in marks:
                if name in kept:
                    holes[name] = kept[name].replace(_CSRF_SLOT, token)
                    continue
                holes[name] = _HOLES[name][1].nodelist.render(context)
                if name in hole_keys and token and None not in read[name]:
                    stored = (read[name], holes[name].replace(token, _CSRF_SLOT))
                    page_cache.keep(fetched, hole_keys[name], stored)
        response = HttpResponse(_fill(body, marks, holes))
        response["X-Cache"] = "frame-hit"
        return response

    context = page(fetched.parts) | personal(fetched.parts)
    if not use_frame:
        return HttpResponse(get_template(template_name).render(context, request))
    frame = _Frame()
    body = get_template(template_name).render(context | {_FRAME: frame}, request)
    page_cache.keep(fetched, frame_key, (body, frame.marks))
    response = HttpResponse(_fill(body, frame.marks, frame.holes))
    response["X-Cache"] = "frame-miss"
    return response
