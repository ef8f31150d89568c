import re
import zoneinfo
from datetime import UTC, datetime

from django import forms
from django.utils import timezone

from events.models import (
    HASHTAG_NO_LETTER,
    HASHTAG_PATTERN,
    MAX_DURATION,
    City,
    Rsvp,
    Topic,
    Tweetup,
)
from events.services import TweetupDetails

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
MAX_TOPICS = 3


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_INPUT_FORMAT, **kwargs)


def city_local(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """The instant a wall-clock time names in `tz`; None when clocks skip over it (DST)."""
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return aware if round_trip == naive else None


class TweetupForm(forms.Form):
    """Create or edit a tweetup. Times are typed in the city's local time."""

    title = forms.CharField(max_length=120)
    city = forms.ModelChoiceField(queryset=City.objects.all(), empty_label="Choose a city")
    starts_at = forms.DateTimeField(
        label="Starts", widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT_FORMAT]
    )
    ends_at = forms.DateTimeField(
        label="Ends", widget=LocalDateTimeInput(), input_formats=[LOCAL_INPUT_FORMAT]
    )
    venue_name = forms.CharField(label="Venue", max_length=120)
    venue_address = forms.CharField(label="Address", max_length=255, required=False)
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
                "starts_at": instance.local_starts_at.replace(tzinfo=None),
                "ends_at": instance.local_ends_at.replace(tzinfo=None),
                "venue_name": instance.venue_name,
                "venue_address": instance.venue_address,
                "capacity": instance.capacity,
                "hashtag": f"#{instance.hashtag}",
                "description": instance.description,
                "topics": list(instance.topics.all()),
            }
        super().__init__(*args, **kwargs)

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

    def clean(self):
        cleaned = super().clean()
        city = cleaned.get("city")
        if not city:
            return cleaned
        for field in ("starts_at", "ends_at"):
            value = cleaned.get(field)
            if value is None:
                continue
            # The field read the typed wall-clock time in UTC; re-read it in the city's zone.
            naive = timezone.make_naive(value, UTC)
            local = city_local(naive, city.tzinfo)
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
        if starts and self.instance is None and starts <= timezone.now():
            self.add_error("starts_at", "Pick a time in the future.")
        return cleaned

    def details(self) -> TweetupDetails:
        data = self.cleaned_data
        return TweetupDetails(
            city=data["city"],
            title=data["title"].strip(),
            venue_name=data["venue_name"].strip(),
            venue_address=data["venue_address"].strip(),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            hashtag=data["hashtag"],
            description=data["description"].strip(),
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
