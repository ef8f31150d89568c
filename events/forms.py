import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from events.gazetteer import MAX_QUERY_CHARS, normalize
from events.models import (
    HASHTAG_NO_LETTER,
    HASHTAG_PATTERN,
    MAX_DURATION,
    City,
    Rsvp,
    Topic,
    Tweetup,
)
from events.places import CityChoice, choice_from_value, city_label, resolve_city
from events.services import TweetupDetails

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
# How far ahead a tweetup may be planned. Also keeps every stored time far from the ends of
# Python's calendar, where converting between zones (or adding the sync's margins) overflows.
MAX_AHEAD = timedelta(days=2 * 365)
MAX_TOPICS = 3
COORDINATE_DECIMALS = 6  # about 10 cm: more is noise from a map click


def coordinate_field(label: str, limit: int) -> forms.FloatField:
    """An optional latitude (limit 90) or longitude (limit 180), with messages that say so."""
    message = f"A {label.lower()} is a number from −{limit} to {limit}."
    return forms.FloatField(
        label=label,
        required=False,
        min_value=-limit,
        max_value=limit,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_INPUT_FORMAT, **kwargs)


class OutOfRange(ValueError):
    """A wall-clock time so close to year 1 or 9999 that it has no UTC instant."""


def city_local(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant a wall-clock time names in `tz`; None when clocks skip over it (DST).

    Raises OutOfRange at the ends of the calendar (0001-01-01 in Berlin is in year 0 UTC).
    """
    aware = naive.replace(tzinfo=tz)
    try:
        round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    except OverflowError as exc:
        raise OutOfRange(naive) from exc
    return aware if round_trip == naive else None


def _still_names(text: str, choice: CityChoice) -> bool:
    """Whether the typed text still fits a city picked earlier (it wasn't changed since)."""
    typed = normalize(text.split(",")[0])
    return (
        not typed
        or normalize(choice.name).startswith(typed)
        or (normalize(text) == normalize(choice.label))
    )


def draft_initial(draft) -> dict:
    """The organize form filled from a suggestion found in posts: what the post told (the
    city, the day, a hashtag); the evening is a guess, the venue and topics are theirs."""
    day = draft.date
    return {
        "title": draft.title,
        "city": draft.city,
        "starts_at": datetime(day.year, day.month, day.day, 19, 0),  # noqa: DTZ001 (city time)
        "ends_at": datetime(day.year, day.month, day.day, 22, 0),  # noqa: DTZ001
        "hashtag": draft.hashtag,
    }


class TweetupForm(forms.Form):
    """Create or edit a tweetup. Times are typed in the city's local time."""

    title = forms.CharField(max_length=120)
    # The city is typed (an autocomplete with JavaScript) and resolved on the server: see
    # _clean_city. `city` is a known row (from ?city=<slug>, or the tweetup being edited)
    # and `place` the candidate picked when the typed name fits several cities.
    city_query = forms.CharField(
        label="City",
        required=False,
        max_length=MAX_QUERY_CHARS,
        help_text="Start typing and pick your city, or type it as “City, Country”.",
        error_messages={"max_length": "That's longer than any city's name."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse_lazy("events:city_search"),
                "hx-trigger": "input changed delay:200ms, typed-early",
                "hx-target": "#city-suggestions",
                "hx-sync": "this:replace",
                "data-city-input": "",
            }
        ),
    )
    city = forms.ModelChoiceField(
        queryset=City.objects.all(), required=False, widget=forms.HiddenInput
    )
    place = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(
        label="Starts", widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT_FORMAT]
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT_FORMAT]
    )
    venue_name = forms.CharField(label="Venue", max_length=120)
    venue_address = forms.CharField(label="Address", max_length=255, required=False)
    # Where the venue is: a pin on the map (static/js/maps.js) or typed. Without them,
    # maps and distances use the city's centre.
    venue_latitude = coordinate_field("Latitude", 90)
    venue_longitude = coordinate_field("Longitude", 180)
    capacity = forms.IntegerField(
        min_value=1,
        max_value=100000,
        required=False,
        help_text="Seats including yours. Leave empty for no limit.",
    )
    hashtag = forms.CharField(
        max_length=101,
        help_text="The tag people post with, e.g. #BerlinTweetup. Letters, digits and _.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="Plain text. Links become clickable.",
    )
    attendees_signed_in_only = forms.BooleanField(
        label="Show who's going only to people signed in",
        required=False,
        help_text="Visitors see how many are going, and a prompt to sign in to see who.",
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one topic, so people can find it."},
        help_text=f"One to {MAX_TOPICS}: what it's about.",
    )

    def __init__(self, *args, instance: Tweetup | None = None, **kwargs):
        self.instance = instance
        if instance is not None and not kwargs.get("initial"):
            kwargs["initial"] = {
                "title": instance.title,
                "city": instance.city_id,
                "city_query": city_label(instance.city),
                "starts_at": instance.local_starts_at.replace(tzinfo=None),
                "ends_at": instance.local_ends_at.replace(tzinfo=None),
                "venue_name": instance.venue_name,
                "venue_address": instance.venue_address,
                "venue_latitude": instance.venue_latitude,
                "venue_longitude": instance.venue_longitude,
                "capacity": instance.capacity,
                "hashtag": f"#{instance.hashtag}",
                "description": instance.description,
                "attendees_signed_in_only": instance.attendees_signed_in_only,
                "topics": list(instance.topics.all()),
            }
        initial_city = kwargs.get("initial", {}).get("city")
        if initial_city is not None and "city_query" not in kwargs["initial"]:
            if not isinstance(initial_city, City):
                initial_city = City.objects.filter(pk=initial_city).first()
            kwargs["initial"]["city_query"] = city_label(initial_city) if initial_city else ""
        super().__init__(*args, **kwargs)
        self.city_candidates: list[CityChoice] = []

    def _clean_city(self, cleaned: dict) -> CityChoice | None:
        """The city: the candidate picked, else the known row if the text still names it,
        else the one city the text names; or an error (with candidates to pick from)."""
        if "city_query" not in cleaned:
            return None  # too long: the field has said so
        # A hidden value that names no city (a city since deleted) gives way to the text.
        self.errors.pop("city", None)
        self.errors.pop("place", None)
        text = cleaned["city_query"].strip()
        picked = choice_from_value(cleaned.get("place") or "")
        if picked is not None and _still_names(text, picked):
            return self._resolved(picked)
        row = cleaned.get("city")
        if row is not None and (
            not text or normalize(text) in (normalize(city_label(row)), normalize(row.name))
        ):
            return self._resolved(CityChoice(city=row))
        if not normalize(text):
            self.add_error("city_query", "Type your city's name and pick it from the list.")
            return None
        choice, self.city_candidates = resolve_city(text)
        if choice is not None:
            return self._resolved(choice)
        if self.city_candidates:
            self.add_error(
                "city_query", f"More than one city fits “{text}”. Pick yours from the list."
            )
        else:
            self.add_error(
                "city_query",
                f"We couldn't find a city called “{text}”. Check the spelling, or pick the "
                "nearest town of over 15,000 people.",
            )
        return None

    def _resolved(self, choice: CityChoice) -> CityChoice:
        # If the form comes back (another field's error), it shows the city as understood.
        self.data = self.data.copy()
        self.data["city_query"], self.data["place"] = choice.label, choice.value
        return choice

    def map_centre(self) -> tuple[float, float] | None:
        """Where the venue map starts when there is no pin: the city as understood so far
        (the one resolved from what was typed, the tweetup's, or the one asked for)."""
        choice = getattr(self, "cleaned_data", {}).get("city")
        if isinstance(choice, CityChoice):
            return choice.point
        if self.instance is not None:
            return CityChoice(city=self.instance.city).point
        city = self.initial.get("city")
        if isinstance(city, City):
            return CityChoice(city=city).point
        return None

    def clean_hashtag(self) -> str:
        tag = self.cleaned_data["hashtag"].strip().removeprefix("#")
        if not re.fullmatch(HASHTAG_PATTERN, tag):
            raise forms.ValidationError(
                "Use letters, digits and underscores only, no spaces (X's hashtag rules)."
            )
        if re.fullmatch(HASHTAG_NO_LETTER, tag):
            raise forms.ValidationError(
                "A hashtag needs at least one letter: X doesn't link #2030 or #_1."
            )
        return tag

    def clean_topics(self):
        topics = self.cleaned_data["topics"]
        if len(topics) > MAX_TOPICS:
            raise forms.ValidationError(f"Pick at most {MAX_TOPICS} topics.")
        return topics

    def _clean_venue_point(self, cleaned: dict) -> None:
        """Both coordinates or neither; rounded to what a map click can mean."""
        if self.has_error("venue_latitude") or self.has_error("venue_longitude"):
            return
        lat, lon = cleaned.get("venue_latitude"), cleaned.get("venue_longitude")
        if (lat is None) != (lon is None):
            missing = "venue_longitude" if lon is None else "venue_latitude"
            self.add_error(missing, "Give both a latitude and a longitude, or leave both empty.")
            return
        if lat is not None:
            cleaned["venue_latitude"] = round(lat, COORDINATE_DECIMALS)
            cleaned["venue_longitude"] = round(lon, COORDINATE_DECIMALS)

    def clean(self):
        cleaned = super().clean()
        self._clean_venue_point(cleaned)
        city = cleaned["city"] = self._clean_city(cleaned)
        if not city:
            return cleaned
        for field in ("starts_at", "ends_at"):
            value = cleaned.get(field)
            if value is None:
                continue
            # The field read the typed wall-clock time in UTC; re-read it in the city's zone.
            naive = timezone.make_naive(value, UTC)
            try:
                local = city_local(naive, city.tzinfo)
            except OutOfRange:
                self.add_error(field, "Pick a date within the next two years.")
                cleaned.pop(field, None)
                continue
            if local is None:
                self.add_error(
                    field,
                    f"{naive:%H:%M} doesn't exist on {naive:%-d %b} in {city.name}: "
                    "the clocks skip that hour. Pick another time.",
                )
            else:
                cleaned[field] = local
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must be after the start.")
        elif starts and ends and ends - starts > MAX_DURATION:
            self.add_error("ends_at", "A tweetup can last at most 3 days.")
        self._check_dates_against_now(starts, ends)
        return cleaned

    def _check_dates_against_now(self, starts: datetime | None, ends: datetime | None) -> None:
        """Within the next two years; and a tweetup that hasn't happened yet can't be moved
        into the past (one under way keeps its start, but can't be ended early)."""
        now = timezone.now()
        if starts and starts > now + MAX_AHEAD:
            self.add_error("starts_at", "Pick a date within the next two years.")
        if self.instance is None:
            if starts and starts <= now:
                self.add_error("starts_at", "Pick a time in the future.")
            return
        if starts and self.instance.starts_at > now and starts <= now:
            self.add_error(
                "starts_at",
                "This tweetup hasn't happened yet, so it can't be moved into the past. "
                "Pick a time in the future, or cancel it.",
            )
        elif ends and self.instance.ends_at > now and ends <= now:
            self.add_error(
                "ends_at",
                "This tweetup hasn't ended yet, so its end must be in the future. "
                "To call it off, cancel it.",
            )

    def details(self, *, city: City) -> TweetupDetails:
        """What to save, in `city`: the row for cleaned_data["city"] (places.city_for_choice)."""
        data = self.cleaned_data
        return TweetupDetails(
            city=city,
            title=data["title"].strip(),
            venue_name=data["venue_name"].strip(),
            venue_address=data["venue_address"].strip(),
            venue_latitude=data["venue_latitude"],
            venue_longitude=data["venue_longitude"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            hashtag=data["hashtag"],
            description=data["description"].strip(),
            attendees_signed_in_only=data["attendees_signed_in_only"],
            topics=list(data["topics"]),
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Shown on the tweetup page so people know why.",
    )


class RsvpForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Rsvp.Status.GOING, "Going"),
            (Rsvp.Status.MAYBE, "Maybe"),
            (Rsvp.Status.NOT_GOING, "Can't go"),
        ]
    )
    # The first answer's "Keep my RSVP private" box (value 1). Absent, it leaves the RSVP as
    # it was; later changes go through RsvpPrivacyForm.
    private = forms.TypedChoiceField(
        choices=[("1", "Private")],
        coerce=lambda value: value == "1",
        required=False,
        empty_value=None,
    )


class RsvpPrivacyForm(forms.Form):
    private = forms.TypedChoiceField(
        choices=[("1", "Private"), ("0", "Listed")], coerce=lambda value: value == "1"
    )
