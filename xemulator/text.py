"""A post's text as X treats it: t.co links, entities with code-point offsets, HTML escaping.

X keeps the text the author typed, with every link replaced by a t.co short link, and finds
hashtags, mentions and links in it (twitter-text's rules, simplified). Entity offsets count
Unicode code points of that text before escaping, so an emoji is one position, as in Python;
the API then sends the text with `&`, `<` and `>` escaped (and nothing else).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

MAX_TEXT_LENGTH = 280
# A long post (X Premium): `text` carries its first 280 characters, `note_tweet` all of it.
MAX_NOTE_LENGTH = 25_000
HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
TCO_PREFIX = "https://t.co/"
DISPLAY_URL_MAX = 26

# A link as twitter-text finds one: scheme, a host with a dot, then URL characters (no
# spaces, no emoji); trailing punctuation is the sentence's, not the link's.
_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\""
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MENTION_CHARS = re.compile(r"[A-Za-z0-9_]{1,20}")
# Characters that glue onto a hashtag or mention from the left and so stop it being one.
_NOT_BEFORE_MENTION = set("!#$%&*@＠_")
_TOKEN_RE = re.compile(r"\w+")
_HASH_RE = re.compile("[#＃]")
_AT_RE = re.compile("[@＠]")


def escape(text: str) -> str:
    """X's escaping of a post's text: only &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ParsedText:
    """The text X stores (links shortened) and the entities found in it."""

    text: str
    hashtags: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    urls: list[dict] = field(default_factory=list)

    def entities(self) -> dict:
        """The `entities` object: only the kinds present, as X leaves empty ones out."""
        found = {"hashtags": self.hashtags, "mentions": self.mentions, "urls": self.urls}
        return {kind: items for kind, items in found.items() if items}


def tco_link(expanded_url: str) -> str:
    """A t.co short link, the same for the same URL, 23 characters like X's."""
    number = int.from_bytes(hashlib.sha256(expanded_url.encode()).digest()[:8])
    code = ""
    for _ in range(10):
        number, digit = divmod(number, 62)
        code += _BASE62[digit]
    return TCO_PREFIX + code


def display_url(expanded_url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", expanded_url, flags=re.IGNORECASE)
    return shown if len(shown) <= DISPLAY_URL_MAX else shown[: DISPLAY_URL_MAX - 1] + "…"


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _URL_TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


def _is_link(url: str) -> bool:
    host = re.sub(r"^https?://", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0]
    host = host.rsplit("@", 1)[-1].split(":")[0]
    labels = host.split(".")
    return len(labels) >= 2 and all(labels) and labels[-1].isalpha()


def _shorten_links(typed: str) -> tuple[str, list[dict]]:
    """Replace each link with its t.co link; return the new text and the URL entities."""
    pieces: list[str] = []
    urls: list[dict] = []
    position = 0  # in `typed`
    length = 0  # of the text built so far
    for match in _URL_RE.finditer(typed):
        before = typed[match.start() - 1] if match.start() else " "
        expanded = _trim_url(match.group())
        if before.isalnum() or before in "@$#_" or not _is_link(expanded):
            continue
        pieces.append(typed[position : match.start()])
        length += match.start() - position
        short = tco_link(expanded)
        urls.append(
            {
                "start": length,
                "end": length + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": display_url(expanded),
            }
        )
        pieces.append(short)
        length += len(short)
        position = match.start() + len(expanded)
    pieces.append(typed[position:])
    return "".join(pieces), urls


def _is_hashtag_char(char: str) -> bool:
    # Letters, digits, combining marks (Devanagari, Thai, ...), underscore, and the joiners
    # and middle dot some scripts use inside words.
    return (
        char.isalnum()
        or char == "_"
        or char in "\u200c\u00b7"
        or unicodedata.category(char).startswith("M")
    )


def _hashtags(text: str, taken: list[range]) -> list[dict]:
    found = []
    for sign in _HASH_RE.finditer(text):
        index = sign.start()
        if any(index in span for span in taken):
            continue
        if index and (_is_hashtag_char(text[index - 1]) or text[index - 1] == "&"):
            continue
        end = index + 1
        while end < len(text) and _is_hashtag_char(text[end]):
            end += 1
        tag = text[index + 1 : end]
        has_letter = any(c.isalpha() or unicodedata.category(c).startswith("M") for c in tag)
        followed_by = text[end : end + 3]
        if not has_letter or followed_by[:1] in ("#", "＃") or followed_by == "://":
            continue
        found.append({"start": index, "end": end, "tag": tag})
    return found


def _mentions(text: str, taken: list[range], user_ids: dict[str, str]) -> list[dict]:
    found = []
    for sign in _AT_RE.finditer(text):
        index = sign.start()
        if any(index in span for span in taken):
            continue
        if index and (text[index - 1].isalnum() or text[index - 1] in _NOT_BEFORE_MENTION):
            continue
        match = _MENTION_CHARS.match(text, index + 1)
        if match is None or len(match.group()) > 15:
            continue
        after = text[match.end() : match.end() + 3]
        if after[:1] in ("@", "＠") or after == "://":
            continue
        username = match.group()
        mention = {"start": index, "end": match.end(), "username": username}
        user_id = user_ids.get(username.lower())
        if user_id:
            mention["id"] = user_id
        found.append(mention)
    return found


def parse_text(typed: str, user_ids: dict[str, str] | None = None) -> ParsedText:
    """Shorten links and find entities; `user_ids` maps lowercased handles to ids."""
    text, urls = _shorten_links(typed)
    taken = [range(u["start"], u["end"]) for u in urls]
    return ParsedText(
        text=text,
        hashtags=_hashtags(text, taken),
        mentions=_mentions(text, taken, user_ids or {}),
        urls=urls,
    )


def tokens(text: str, urls: list[dict]) -> list[str]:
    """The words keyword search matches against: casefolded, links left out."""
    for url in sorted(urls, key=lambda u: u["start"], reverse=True):
        text = text[: url["start"]] + " " + text[url["end"] :]
    return _TOKEN_RE.findall(text.casefold())
