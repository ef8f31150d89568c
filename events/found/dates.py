"""The day a post about a tweetup names: “Friday”, “tomorrow”, “on Dec 12”, read in the
city's time zone from the day the post was made. Only simple, unambiguous forms: “12/11”
could be either month first, so it is not read."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?P<{0}>[0-3]?[0-9])(?:st|nd|rd|th)?"
PATTERNS = [
    ("relative", re.compile(r"\b(?P<word>today|tonight|this evening|tomorrow|tmrw)\b")),
    (
        "weekday",
        re.compile(r"\b(?P<next>next |this )?(?P<weekday>" + "|".join(WEEKDAYS) + r")s?\b"),
    ),
    # "Dec 12", "December 12th", "Dec. 12"
    ("month_day", re.compile(r"\b(?P<month>" + _MONTH + r")\.? " + _DAY.format("day") + r"\b")),
    # "12 Dec", "12th of December"
    (
        "day_month",
        re.compile(r"\b" + _DAY.format("day") + r" (?:of )?(?P<month>" + _MONTH + r")\b"),
    ),
]


def named_day(text: str, posted_at: datetime, tz: zoneinfo.ZoneInfo) -> date | None:
    """The first day the text names, counted from the post's day in `tz`; None if none."""
    lowered = " ".join(text.casefold().split())
    today = posted_at.astimezone(tz).date()
    found: list[tuple[int, date]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(lowered):
            day = _resolve(kind, match, today)
            if day is not None:
                found.append((match.start(), day))
                break
    return min(found)[1] if found else None


def _resolve(kind: str, match: re.Match, today: date) -> date | None:
    if kind == "relative":
        return today + timedelta(days=1 if match["word"] in ("tomorrow", "tmrw") else 0)
    if kind == "weekday":
        ahead = (WEEKDAYS.index(match["weekday"]) - today.weekday()) % 7
        if match["next"] == "next " and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    month, day = MONTHS[match["month"]], int(match["day"])
    for year in (today.year, today.year + 1):  # "Dec 12" said in January is next December
        try:
            candidate = date(year, month, day)
        except ValueError:  # "Feb 30"
            return None
        if candidate >= today:
            return candidate
    return None
