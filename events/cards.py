"""A tweetup's Open Graph / X card: a 1200x630 PNG drawn with Pillow in the site's colours.

The card shows the title, the date and time in city time with its zone, the venue and
city, the hashtag and the organizer's handle. `CardFacts.digest` names exactly what is
drawn, so an edit, a cancellation or the organizer's new handle makes a new card, and the
digest is both its cache key and its ETag.
"""

import hashlib
import io
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from events.local_time import local_when
from events.models import Tweetup

WIDTH, HEIGHT = 1200, 630
CARD_FORMAT = "1"  # bump when the drawing changes, so every card is drawn again
# DejaVu Sans (free licence, static/fonts/LICENSE-DejaVu.txt): shipped with the code, so
# cards look the same on every machine and need no system font.
FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"

# static/css/site.css
BRAND = "#1d4ed8"
BRAND_DARK = "#1e3a8a"
BRAND_SOFT = "#eff4ff"
ACCENT = "#e8590c"
INK = "#111827"
MUTED = "#4b5563"
BAD = "#b91c1c"
WHITE = "#ffffff"

MARGIN = 72
TITLE_LINES = 3


@dataclass(frozen=True)
class CardFacts:
    title: str
    when: str
    where: str
    hashtag: str
    organizer: str
    cancelled: bool

    @classmethod
    def of(cls, tweetup: Tweetup) -> "CardFacts":
        handle = tweetup.organizer.x_username
        return cls(
            title=tweetup.title,
            when=f"{local_when(tweetup)} · {tweetup.city.timezone}",
            where=f"{tweetup.venue_name} · {tweetup.city.name}, {tweetup.city.country}",
            hashtag=f"#{tweetup.hashtag}",
            organizer=f"Organized by @{handle}"
            if handle
            else f"Organized by {tweetup.organizer.name}",
            cancelled=tweetup.is_cancelled,
        )

    @property
    def digest(self) -> str:
        seed = "\x1f".join([CARD_FORMAT, *map(str, astuple(self))])
        return hashlib.blake2b(seed.encode(), digest_size=16).hexdigest()


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines`, the last one cut with an ellipsis; a word
    longer than a line is split where it overflows."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while draw.textlength(line, font=font) > width:  # one very long word
            cut = len(line)
            while cut > 1 and draw.textlength(line[:cut], font=font) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _fit(draw, lines[-1] + "…", font, width)
    return lines


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """`text` on one line, cut with an ellipsis if it is too long."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text.rstrip("…") + "…", font=font) > width:
        text = text.rstrip("…")[:-1]
    return text.rstrip("…").rstrip() + "…"


def card_png(facts: CardFacts) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN

    # The site's header: brand blue, the "T" mark and the name.
    draw.rectangle([0, 0, WIDTH, 96], fill=BRAND)
    draw.rounded_rectangle([MARGIN, 24, MARGIN + 48, 72], radius=12, fill=WHITE)
    draw.text((MARGIN + 24, 48), "T", font=_font(32, bold=True), fill=BRAND, anchor="mm")
    draw.text((MARGIN + 64, 48), "Tweetups", font=_font(34, bold=True), fill=WHITE, anchor="lm")
    if facts.cancelled:
        label = "CANCELLED"
        font = _font(28, bold=True)
        right = WIDTH - MARGIN
        left = right - draw.textlength(label, font=font) - 36
        draw.rounded_rectangle([left, 26, right, 70], radius=22, fill=BAD)
        draw.text(((left + right) / 2, 48), label, font=font, fill=WHITE, anchor="mm")

    # The title: as large as fits in three lines.
    for size in (68, 60, 52, 46):
        font = _font(size, bold=True)
        lines = _wrap(draw, facts.title, font, inner, TITLE_LINES)
        if len(lines) <= 2 or size == 46:
            break
    y = 140
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=INK)
        y += int(size * 1.18)

    # When and where, then the hashtag and the organizer along the bottom.
    y = max(y + 24, 360)
    draw.text(
        (MARGIN, y),
        _fit(draw, facts.when, _font(34, bold=True), inner),
        font=_font(34, bold=True),
        fill=BRAND_DARK,
    )
    draw.text(
        (MARGIN, y + 54), _fit(draw, facts.where, _font(32), inner), font=_font(32), fill=MUTED
    )
    draw.rectangle([0, HEIGHT - 96, WIDTH, HEIGHT], fill=BRAND_SOFT)
    tag_font = _font(32, bold=True)
    tag = _fit(draw, facts.hashtag, tag_font, inner // 2)
    draw.text((MARGIN, HEIGHT - 48), tag, font=tag_font, fill=ACCENT, anchor="lm")
    who_font = _font(30)
    who = _fit(draw, facts.organizer, who_font, inner // 2 - 24)
    draw.text((WIDTH - MARGIN, HEIGHT - 48), who, font=who_font, fill=INK, anchor="rm")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
