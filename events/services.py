"""Writes for cities, tweetups and RSVPs. Views and tasks call these; nothing else writes."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from events.models import City, Rsvp, Topic, Tweetup
from notifications import services as notifications
from tweetups import page_cache


class RsvpClosed(ValidationError):
    """The tweetup is cancelled or over: it takes no RSVPs."""


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
    capacity: int | None = None
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
    Rsvp.objects.create(tweetup=tweetup, user=organizer, status=Rsvp.Status.GOING)
    _store_going_count(tweetup)
    notifications.notices_for_new_tweetup(tweetup=tweetup)
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
    moved_from = tweetup.city.slug
    going = tweetup.rsvps.going().count()
    if details.capacity is not None and details.capacity < going:
        raise ValidationError(
            {"capacity": f"{going} people are already going; capacity can't be lower than that."}
        )
    for field, value in details.columns().items():
        setattr(tweetup, field, value)
    tweetup.revision += 1
    notifications.notices_for_tweetup_change(tweetup=tweetup)  # compares with the stored row
    tweetup.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            tweetup.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"hashtag": "That hashtag was just taken for overlapping times."}
        ) from exc
    _store_topics(tweetup, details)
    _promote_waitlist(tweetup)
    _store_going_count(tweetup)
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
    notifications.notices_for_cancellation(tweetup=tweetup)
    page_cache.forget_tweetup(tweetup)
    return tweetup


def _store_going_count(tweetup: Tweetup) -> None:
    """Keep the list pages' seat count in step. Caller holds the tweetup lock."""
    tweetup.going_count = tweetup.rsvps.going().count()
    Tweetup.objects.filter(pk=tweetup.pk).update(going_count=tweetup.going_count)


def _promote_waitlist(tweetup: Tweetup) -> list[Rsvp]:
    """Fill free seats from the waitlist, first in line first. Caller holds the tweetup lock
    and stores the going count afterwards."""
    waitlisted = tweetup.rsvps.waitlisted()
    if tweetup.capacity is None:
        free = None
    else:
        free = tweetup.capacity - tweetup.rsvps.going().count()
        if free <= 0:
            return []
    promoted = list(waitlisted[:free] if free is not None else waitlisted)
    now = timezone.now()  # bulk_update skips auto_now: stamp it, or it says when they queued
    for rsvp in promoted:
        rsvp.status = Rsvp.Status.GOING
        rsvp.waitlist_position = None
        rsvp.updated_at = now
    Rsvp.objects.bulk_update(promoted, ["status", "waitlist_position", "updated_at"])
    notifications.notices_for_promotion(tweetup=tweetup, rsvps=promoted)
    return promoted


@transaction.atomic
def rsvp_set(*, user: User, tweetup: Tweetup, status: str) -> Rsvp:
    """Say going / maybe / not going. Going past capacity joins the waitlist.

    The tweetup row is locked for the whole decision, so simultaneous RSVPs queue up
    behind each other and the seat count can never be overshot.
    """
    if status not in {Rsvp.Status.GOING, Rsvp.Status.MAYBE, Rsvp.Status.NOT_GOING}:
        raise ValidationError("Choose going, maybe or not going.")
    # of=("self",): lock the tweetup only. Locking the joined city row too would queue
    # RSVPs to every tweetup in the city, and block new tweetups there, behind this one.
    tweetup = (
        Tweetup.objects.select_for_update(of=("self",)).select_related("city").get(pk=tweetup.pk)
    )
    if not tweetup.accepts_rsvps:
        reason = "was cancelled" if tweetup.is_cancelled else "is over"
        raise RsvpClosed(f"This tweetup {reason}; it takes no more RSVPs.")
    if user.pk == tweetup.organizer_id and status != Rsvp.Status.GOING:
        raise ValidationError("You're organizing this tweetup, so you're going.")

    rsvp = Rsvp.objects.filter(tweetup=tweetup, user=user).first()
    was_going = rsvp is not None and rsvp.status == Rsvp.Status.GOING
    if rsvp is None:
        rsvp = Rsvp(tweetup=tweetup, user=user)

    if status == Rsvp.Status.GOING:
        if was_going or (rsvp.pk and rsvp.status == Rsvp.Status.WAITLISTED):
            return rsvp  # already going, or already in line: keep the place
        going = tweetup.rsvps.going().count()
        if tweetup.capacity is not None and going >= tweetup.capacity:
            last = tweetup.rsvps.aggregate(last=Max("waitlist_position"))["last"] or 0
            rsvp.status = Rsvp.Status.WAITLISTED
            rsvp.waitlist_position = last + 1
        else:
            rsvp.status = Rsvp.Status.GOING
            rsvp.waitlist_position = None
    else:
        if rsvp.pk and rsvp.status == status:
            return rsvp
        rsvp.status = status
        rsvp.waitlist_position = None
    rsvp.save()
    if was_going:
        _promote_waitlist(tweetup)
    if was_going or rsvp.status == Rsvp.Status.GOING:
        _store_going_count(tweetup)
    notifications.notices_for_rsvp(tweetup=tweetup, rsvp=rsvp)
    page_cache.forget_tweetup(tweetup)
    return rsvp


def waitlist_rank(rsvp: Rsvp) -> int | None:
    """1 for the next person to get a seat; None when not waitlisted."""
    if rsvp.status != Rsvp.Status.WAITLISTED:
        return None
    return Rsvp.objects.filter(
        tweetup_id=rsvp.tweetup_id,
        status=Rsvp.Status.WAITLISTED,
        waitlist_position__lte=rsvp.waitlist_position,
    ).count()
