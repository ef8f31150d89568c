"""A post's text as safe HTML: the author's characters escaped once, with links,
hashtags and mentions made clickable from the entities X returned."""

import re
from bisect import bisect_right
from collections import defaultdict
from urllib.parse import quote

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# (token as it stands in the text, X's start offset, link target, text shown or None)
Entity = tuple[str, object, str, str | None]


def _entities(entities: dict) -> list[Entity]:
    """The entities worth linking, URLs first, then hashtags, then mentions."""
    found: list[Entity] = []
    for url in entities.get("urls") or []:
        if not isinstance(url, dict) or not isinstance(url.get("url"), str):
            continue
        target = url.get("expanded_url") or url["url"]
        if not isinstance(target, str) or not target.startswith(("https://", "http://")):
            continue
        shown = url.get("display_url") if isinstance(url.get("display_url"), str) else target
        found.append((url["url"], url.get("start"), target, shown))
    for tag in entities.get("hashtags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("tag"), str):
            href = f"https://x.com/hashtag/{quote(tag['tag'])}"
            found.append((f"#{tag['tag']}", tag.get("start"), href, None))
    for mention in entities.get("mentions") or []:
        if isinstance(mention, dict) and isinstance(mention.get("username"), str):
            name = mention["username"]
            found.append((f"@{name}", mention.get("start"), f"https://x.com/{quote(name)}", None))
    return [entity for entity in found if entity[0]]


def _at_offset(text: str, token: str, start: object) -> bool:
    return (
        isinstance(start, int)
        and not isinstance(start, bool)
        and start >= 0
        and text[start : start + len(token)].lower() == token.lower()
    )


def _occurrences(text: str, tokens: set[str]) -> dict[str, list[int]]:
    """Where each (lower-cased) token stands in the text, in order, read in one pass: at
    each character some token starts with, the text's next few characters are looked up.

    The lookups are capped at a few per character of text; tokens not found by then are
    left as plain text.
    """
    lengths: dict[str, set[int]] = defaultdict(set)
    for token in tokens:
        lengths[token[0]].add(len(token))
    found: dict[str, list[int]] = defaultdict(list)
    if not tokens:
        return found
    budget = 4 * len(text) + 1000
    firsts = re.compile("[" + "".join(re.escape(c) for c in lengths) + "]", re.IGNORECASE)
    for first in firsts.finditer(text):
        at = first.start()
        for length in lengths.get(text[at].lower(), ()):
            if (key := text[at : at + length].lower()) in tokens:
                found[key].append(at)
        budget -= 1 + len(lengths.get(text[at].lower(), ()))
        if budget <= 0:
            break
    return found


def _place(text: str, wanted: list[Entity]) -> list[tuple[int, int, Entity]]:
    """Where each entity stands, without overlaps, in text order: at X's offset if that
    checks out, else at its token's first free occurrence (offsets are code points, and a
    malformed post may carry wrong ones).

    Linear in the entities: the ones at their offsets are sorted once and scanned (on an
    overlap the one starting first wins, then URLs over hashtags over mentions). The rest
    are looked up in an index of where their tokens stand, made in one pass over the text.
    """
    exact, elsewhere = [], []
    for order, entity in enumerate(wanted):
        if _at_offset(text, entity[0], entity[1]):
            exact.append((entity[1], order, entity))
        else:
            elsewhere.append(entity)
    exact.sort(key=lambda item: (item[0], item[1]))
    starts: list[int] = []
    ends: list[int] = []
    placed: list[Entity] = []
    for start, _, entity in exact:
        if not ends or start >= ends[-1]:
            starts.append(start)
            ends.append(start + len(entity[0]))
            placed.append(entity)

    occurrences = _occurrences(text, {entity[0].lower() for entity in elsewhere})
    cursors: dict[str, int] = {}
    for entity in elsewhere:
        key = entity[0].lower()
        found, i = occurrences.get(key, []), cursors.get(key, 0)
        while i < len(found):
            at, end = found[i], found[i] + len(entity[0])
            i += 1
            slot = bisect_right(starts, at)
            if (slot and ends[slot - 1] > at) or (slot < len(starts) and starts[slot] < end):
                continue  # taken: try the next occurrence
            starts.insert(slot, at)
            ends.insert(slot, end)
            placed.insert(slot, entity)
            break
        cursors[key] = i
    return list(zip(starts, ends, placed, strict=True))


def tweet_html(text: str, entities: dict | None) -> SafeString:
    entities = entities if isinstance(entities, dict) else {}
    out, at = [], 0
    for start, end, (_, _, href, shown) in _place(text, _entities(entities)):
        out.append(escape(text[at:start]))
        out.append(
            format_html(
                '<a href="{}" rel="nofollow noopener noreferrer">{}</a>',
                href,
                shown if shown is not None else text[start:end],
            )
        )
        at = end
    out.append(escape(text[at:]))
    return mark_safe("".join(str(part) for part in out).replace("\n", "<br>"))  # noqa: S308
