"""The search box and the filters of search, city and topic pages, read from the URL.

A field that doesn't make sense gets a message beside it and is left out; the others still
filter. `query()` is the filters that were applied, in a fixed order: links to other pages
keep them, and it names the cached listing they give.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.http import QueryDict

from events.search import MAX_QUERY_LENGTH, SearchText

MAX_KM = 500
DEFAULT_KM = 25
MAX_YEARS = 5  # how far back or ahead a date may be
NARROW_DAYS = timedelta(days=31)  # a date window this short leaves few tweetups


class When:
    UPCOMING, TODAY, TOMORROW, WEEKEND, WEEK, PAST = (
        "",
        "today",
        "tomorrow",
        "weekend",
        "week",
        "past",
    )
    CHOICES = [
        (UPCOMING, "Any day"),
        (TODAY, "Today"),
        (TOMORROW, "Tomorrow"),
        (WEEKEND, "This weekend"),
        (WEEK, "Next 7 days"),
        (PAST, "Past"),
    ]


def date_span(when: str, today: date) -> tuple[date, date] | None:
    """The days a `when` choice names, counted from `today`; None for no limit."""
    if when == When.TODAY:
        return today, today
    if when == When.TOMORROW:
        return today + timedelta(days=1), today + timedelta(days=1)
    if when == When.WEEKEND:
        # Saturday and Sunday; on a Sunday, what is left of it.
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            return today, today
        return saturday, saturday + timedelta(days=1)
    if when == When.WEEK:
        return today, today + timedelta(days=6)
    return None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float


class View:
    """How a listing shows its tweetups: a list, or a map above the same list."""

    LIST, MAP = "", "map"
    CHOICES = [(LIST, "List"), (MAP, "Map")]


class ListingFilters(forms.Form):
    """Filters on a listing. `topics` are (slug, name) pairs; pass none to leave topic out
    (a topic's own page)."""

    when = forms.ChoiceField(label="When", choices=When.CHOICES, required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    date_to = forms.DateField(
        label="To", required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    topic = forms.ChoiceField(label="Topic", required=False)
    seats = forms.BooleanField(label="Has seats left", required=False)
    lat = forms.FloatField(label="Latitude", required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label="Longitude", required=False, min_value=-180, max_value=180)
    km = forms.FloatField(
        label="Within (km)",
        required=False,
        min_value=1,
        max_value=MAX_KM,
        help_text=f"From 1 to {MAX_KM} km; {DEFAULT_KM} if left empty.",
    )
    # Not a filter: how the results show. Kept in the URL (and in links) like the filters.
    view = forms.ChoiceField(
        label="View",
        choices=View.CHOICES,
        required=False,
        error_messages={"invalid_choice": "Show the tweetups as a list or on a map."},
    )

    ORDER = ("q", "when", "date_from", "date_to", "topic", "seats", "lat", "lon", "km", "view")
    SHOWING = frozenset({"view"})  # parameters that change how, not which

    def __init__(self, data, *, today: date, topics=None):
        super().__init__(data)
        self.today = today
        if topics is None:
            del self.fields["topic"]
        else:
            self.fields["topic"].choices = [("", "Any topic"), *topics]
            self.fields["topic"].error_messages["invalid_choice"] = "There is no such topic."
        self.is_valid()  # fills cleaned_data with the fields that make sense

    def clean_date_from(self):
        return self._within_years(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return self._within_years(self.cleaned_data["date_to"])

    def _within_years(self, value: date | None) -> date | None:
        if value is None:
            return None
        earliest = self.today - timedelta(days=365 * MAX_YEARS)
        latest = self.today + timedelta(days=365 * MAX_YEARS)
        if not earliest <= value <= latest:
            raise forms.ValidationError(
                f"Pick a date between {earliest:%-d %b %Y} and {latest:%-d %b %Y}."
            )
        return value

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", "The end date is before the start date.")
            cleaned.pop("date_to", None)
        lat, lon = cleaned.get("lat"), cleaned.get("lon")
        has_lat, has_lon = (
            self.data.get("lat") not in (None, ""),
            self.data.get("lon") not in (None, ""),
        )
        if (lat is None) != (lon is None) and not (
            self.errors.get("lat") or self.errors.get("lon")
        ):
            missing = "lon" if lat is not None else "lat"
            self.add_error(missing, "Give both a latitude and a longitude.")
        if cleaned.get("km") is not None and not (has_lat or has_lon):
            self.add_error("km", "A distance needs a point: a latitude and a longitude.")
        return cleaned

    # --- what the view and the queries use --------------------------------------------

    def value(self, name: str):
        return self.cleaned_data.get(name) if name not in self.errors else None

    @property
    def past(self) -> bool:
        return self.value("when") == When.PAST

    def days(self, today: date | None = None) -> tuple[date, date] | None:
        """The first and last day asked for, or None for any day. `today` is where "today"
        and "this weekend" count from (the city's date on a city page; UTC's elsewhere)."""
        span = date_span(self.value("when") or "", today or self.today)
        first, last = self.value("date_from"), self.value("date_to")
        if span is None and first is None and last is None:
            return None
        candidates_first = [d for d in (span and span[0], first) if d]
        candidates_last = [d for d in (span and span[1], last) if d]
        earliest = self.today - timedelta(days=365 * MAX_YEARS)
        latest = self.today + timedelta(days=365 * MAX_YEARS)
        return max(candidates_first, default=earliest), min(candidates_last, default=latest)

    def near(self) -> Near | None:
        lat, lon = self.value("lat"), self.value("lon")
        if lat is None or lon is None:
            return None
        return Near(lat, lon, self.value("km") or DEFAULT_KM)

    @property
    def distances_shown(self) -> bool:
        """Whether a listing's rows say how far they are: near a point, nearest first (a
        search ranks by its words instead)."""
        return self.near() is not None and not getattr(self, "text", None)

    @property
    def map_view(self) -> bool:
        return self.value("view") == View.MAP

    def narrowed(self, today: date | None = None) -> bool:
        """Whether the filters leave few rows, read by an index on dates or places: a
        circle, or at most NARROW_DAYS days."""
        days = self.days(today)
        return self.near() is not None or (days is not None and days[1] - days[0] < NARROW_DAYS)

    def apply(self, tweetups, *, today: date | None = None, first: int | None = None):
        """`tweetups` narrowed by every filter that was valid; nearest first when a point
        is given (search's ranking, applied after, comes first there). With `first`, only
        the first that many rows need be right (nothing is applied after: a page of them
        is shown), which near me reads far fewer rows for."""
        days = self.days(today)
        if days:
            tweetups = tweetups.starting_on(*days)
        if topic := self.value("topic"):
            tweetups = tweetups.with_topic(topic)
        if self.value("seats"):
            tweetups = tweetups.with_seats_left()
        # A date window leaves few rows in any circle: sorting them all is cheaper there
        # than a bounded read per city (measured at 100k: 10 ms against 20).
        if (near := self.near()) and first is not None and not days:
            tweetups = tweetups.nearest(near.lat, near.lon, near.km, first=first)
        elif near:
            tweetups = tweetups.within_km(near.lat, near.lon, near.km).nearest_first()
        return tweetups

    def query(self) -> QueryDict:
        """The applied filters as a query string, in a fixed order, values normalized."""
        query = QueryDict(mutable=True)
        for name in self.ORDER:
            value = self.value(name) if name in self.fields else None
            if value in (None, "", False):
                continue
            if name == "km" and self.near() is None:
                continue
            query[name] = (
                "1"
                if value is True
                else (value.isoformat() if isinstance(value, date) else str(value))
            )
        return query

    @property
    def active(self) -> bool:
        """Whether any filter narrows the listing (the view doesn't)."""
        return any(name not in self.SHOWING for name in self.query())

    def key(self) -> str:
        """A short name for this set of filters, for cache keys."""
        return hashlib.blake2b(self.query().urlencode().encode(), digest_size=8).hexdigest()


class SearchField(forms.CharField):
    """Any text: SearchText drops NUL and other control characters instead of refusing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class SearchFilters(ListingFilters):
    """The search page: the words, then the filters."""

    q = SearchField(label="Search", required=False, strip=False)

    field_order = ["q"]

    def clean_q(self) -> str:
        self.search_text = SearchText.parse(self.cleaned_data["q"])
        return self.search_text.text

    @property
    def text(self) -> SearchText:
        return getattr(self, "search_text", SearchText(""))

    @property
    def truncated_message(self) -> str:
        if self.text.truncated:
            return f"That was long: we searched for its first {MAX_QUERY_LENGTH} characters."
        return ""
