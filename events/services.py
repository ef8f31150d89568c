"""Writes for cities and tweetups (RSVPs: events/rsvps.py). Views and tasks call these;
nothing else writes."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from events import signals
from events.calendar_feeds import store_vevents
from events.models import City, Rsvp, Topic, Tweetup
from events.rsvps import promote_waitlist, store_going_count
from events.sync.parsing import hashtag_key
from events.sync.wall import wall_keep_hashtag
from tweetups import page_cache


def hashtag_clash(*, hashtag: str, starts_at: datetime, ends_at: datetime, exclude_pk=None):
    """A scheduled tweetup whose dates overlap and uses the same hashtag, if any."""
    qs = Tweetup.objects.scheduled().overlapping(starts_at, ends_at).filter(hashtag__iexact=hashtag)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _hashtag_clash_error(clash: Tweetup) -> ValidationError:
    return ValidationError(
        {"hashtag": f"#{clash.hashtag} is taken by “{clash.title}” at overlapping times."}
    )


def _unique_slug(title: str) -> str:
    base = slugify(title)[:120] or "tweetup"
    return f"{base}-{secrets.token_hex(3)}"


def _guard_organizer(tweetup: Tweetup, actor: User) -> None:
    if tweetup.organizer_id != actor.pk:
        raise PermissionDenied("Only the organizer can change this tweetup.")


@dataclass(frozen=True)
class TweetupDetails:
    city: City
    title: str
    venue_name: str
    starts_at: datetime
    ends_at: datetime
    hashtag: str
    description: str = ""
    venue_address: str = ""
    # The venue's pin on the map; None for none (maps and distances use the city's centre).
    venue_latitude: float | None = None
    venue_longitude: float | None = None
    capacity: int | None = None
    attendees_signed_in_only: bool = False
    # None leaves an edited tweetup's topics as they are (the form asks for one to three).
    topics: Sequence[Topic] | None = None

    def columns(self) -> dict:
        """The details stored on the tweetup's own row (topics are a separate table)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "topics"}


def _store_topics(tweetup: Tweetup, details: TweetupDetails) -> None:
    if details.topics is not None:
        tweetup.topics.set(details.topics)


@transaction.atomic
def tweetup_create(*, organizer: User, details: TweetupDetails) -> Tweetup:
    """Create a scheduled tweetup; the organizer is its first person going."""
    if clash := hashtag_clash(
        hashtag=details.hashtag, starts_at=details.starts_at, ends_at=details.ends_at
    ):
        raise _hashtag_clash_error(clash)
    tweetup = Tweetup(organizer=organizer, slug=_unique_slug(details.title), **details.columns())
    tweetup.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            tweetup.save()
    except IntegrityError as exc:  # the PostgreSQL exclusion constraint lost a race
        raise ValidationError(
            {"hashtag": "That hashtag was just taken for overlapping times."}
        ) from exc
    _store_topics(tweetup, details)
    store_vevents([tweetup])
    Rsvp.objects.create(tweetup=tweetup, user=organizer, status=Rsvp.Status.GOING)
    store_going_count(tweetup)
    signals.tweetup_created.send(sender=Tweetup, tweetup=tweetup)
    page_cache.forget_tweetup(tweetup)
    return tweetup


@transaction.atomic
def tweetup_update(*, tweetup: Tweetup, actor: User, details: TweetupDetails) -> Tweetup:
    """Edit a tweetup (organizer only); raising the capacity promotes the waitlist at once."""
    tweetup = Tweetup.objects.select_for_update().get(pk=tweetup.pk)
    _guard_organizer(tweetup, actor)
    if clash := hashtag_clash(
        hashtag=details.hashtag,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        exclude_pk=tweetup.pk,
    ):
        raise _hashtag_clash_error(clash)
    moved_from, old_hashtag = tweetup.city.slug, tweetup.hashtag
    going = tweetup.rsvps.going().count()
    if details.capacity is not None and details.capacity < going:
        raise ValidationError(
            {"capacity": f"{going} people are already going; capacity can't be lower than that."}
        )
    for field, value in details.columns().items():
        setattr(tweetup, field, value)
    tweetup.revision += 1
    signals.tweetup_changing.send(sender=Tweetup, tweetup=tweetup)  # before the save
    tweetup.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            tweetup.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"hashtag": "That hashtag was just taken for overlapping times."}
        ) from exc
    _store_topics(tweetup, details)
    store_vevents([tweetup])
    promote_waitlist(tweetup)
    store_going_count(tweetup)
    if hashtag_key(tweetup.hashtag) != hashtag_key(old_hashtag):
        wall_keep_hashtag(tweetup=tweetup)  # the sync then reads the new tag from the start
    page_cache.forget_tweetup(tweetup, moved_from=moved_from)
    return tweetup


@transaction.atomic
def tweetup_cancel(*, tweetup: Tweetup, actor: User, reason: str) -> Tweetup:
    """Cancel a tweetup (organizer only) with a reason shown on its page."""
    tweetup = Tweetup.objects.select_for_update().get(pk=tweetup.pk)
    _guard_organizer(tweetup, actor)
    if tweetup.is_cancelled:
        return tweetup
    tweetup.status = Tweetup.Status.CANCELLED
    tweetup.cancel_reason = reason.strip()
    tweetup.cancelled_at = timezone.now()
    tweetup.revision += 1
    tweetup.save(
        update_fields=["status", "cancel_reason", "cancelled_at", "revision", "updated_at"]
    )
    store_vevents([tweetup])
    signals.tweetup_cancelled.send(sender=Tweetup, tweetup=tweetup)
    page_cache.forget_tweetup(tweetup)
    return tweetup
