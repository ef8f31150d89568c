"""A post's text as safe HTML: the author's characters escaped once, with links,
hashtags and mentions made clickable from the entities X returned."""

from dataclasses import dataclass
from urllib.parse import quote

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    html: str


def _locate(text: str, token: str, start: object, taken: list[_Span]) -> int | None:
    """Where `token` stands in `text`: at X's offset if that checks out, else its first
    free occurrence (offsets are code points, and a malformed post may carry wrong ones)."""
    if isinstance(start, int) and text[start : start + len(token)].lower() == token.lower():
        candidates = [start]
    else:
        lowered, needle, found, at = text.lower(), token.lower(), [], 0
        while (at := lowered.find(needle, at)) != -1:
            found.append(at)
            at += 1
        candidates = found
    for at in candidates:
        if all(at + len(token) <= s.start or at >= s.end for s in taken):
            return at
    return None


def tweet_html(text: str, entities: dict | None) -> SafeString:
    entities = entities if isinstance(entities, dict) else {}
    spans: list[_Span] = []

    def add(token: str, start: object, href: str, shown: str | None = None) -> None:
        if token and (at := _locate(text, token, start, spans)) is not None:
            end = at + len(token)
            html = format_html(
                '<a href="{}" rel="nofollow noopener noreferrer">{}</a>',
                href,
                shown if shown is not None else text[at:end],
            )
            spans.append(_Span(at, end, html))

    for url in entities.get("urls") or []:
        if not isinstance(url, dict) or not isinstance(url.get("url"), str):
            continue
        target = url.get("expanded_url") or url["url"]
        if not isinstance(target, str) or not target.startswith(("https://", "http://")):
            continue
        shown = url.get("display_url") if isinstance(url.get("display_url"), str) else target
        add(url["url"], url.get("start"), target, shown)
    for tag in entities.get("hashtags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("tag"), str):
            add(f"#{tag['tag']}", tag.get("start"), f"https://x.com/hashtag/{quote(tag['tag'])}")
    for mention in entities.get("mentions") or []:
        if isinstance(mention, dict) and isinstance(mention.get("username"), str):
            name = mention["username"]
            add(f"@{name}", mention.get("start"), f"https://x.com/{quote(name)}")

    out, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(escape(text[at : span.start]))
        out.append(span.html)
        at = span.end
    out.append(escape(text[at:]))
    return mark_safe("".join(str(part) for part in out).replace("\n", "<br>"))  # noqa: S308
