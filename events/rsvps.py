"""RSVPs: going, maybe, can't go, the waitlist and its order, private RSVPs. Views, tasks
and the email links call these; nothing else writes an RSVP."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts.models import User
from events import signals
from events.models import Rsvp, Tweetup
from tweetups import page_cache


class RsvpClosed(ValidationError):
    """The tweetup is cancelled or over: it takes no RSVPs."""


def store_going_count(tweetup: Tweetup) -> None:
    """Keep the list pages' seat count in step. Caller holds the tweetup lock."""
    tweetup.going_count = tweetup.rsvps.going().count()
    Tweetup.objects.filter(pk=tweetup.pk).update(going_count=tweetup.going_count)


def promote_waitlist(tweetup: Tweetup) -> list[Rsvp]:
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
    signals.waitlist_promoted.send(sender=Tweetup, tweetup=tweetup, rsvps=promoted)
    return promoted


class _LostRace(Exception):
    """The same person's other RSVP request wrote first: decide again on what it wrote."""


def _rsvp_locked(tweetup: Tweetup) -> Tweetup:
    """The tweetup, its row locked until the commit, and still taking RSVPs."""
    # of=("self",): lock the tweetup only. Locking the joined city row too would queue
    # RSVPs to every tweetup in the city, and block new tweetups there, behind this one.
    tweetup = (
        Tweetup.objects.select_for_update(of=("self",)).select_related("city").get(pk=tweetup.pk)
    )
    _rsvp_guard_open(tweetup)
    return tweetup


def _rsvp_guard_open(tweetup: Tweetup) -> None:
    if not tweetup.accepts_rsvps:
        reason = "was cancelled" if tweetup.is_cancelled else "is over"
        raise RsvpClosed(f"This tweetup {reason}; it takes no more RSVPs.")


def _rsvp_take_seat(tweetup: Tweetup) -> bool:
    """One seat more, if one is free and the tweetup still takes RSVPs: one statement."""
    return bool(
        Tweetup.objects.filter(
            Q(capacity__isnull=True) | Q(going_count__lt=F("capacity")),
            pk=tweetup.pk,
            status=Tweetup.Status.SCHEDULED,
            ends_at__gt=timezone.now(),
        ).update(going_count=F("going_count") + 1)
    )


def _rsvp_write(rsvp: Rsvp, *, status: str, position: int | None, was: str | None) -> Rsvp:
    """Store the answer, provided the row still holds what the decision read (`was`)."""
    rsvp.status, rsvp.waitlist_position = status, position
    if rsvp.pk is None:
        try:
            rsvp.save()
        except IntegrityError as exc:  # rsvp_one_per_user: the other request inserted first
            raise _LostRace from exc
        return rsvp
    rsvp.updated_at = timezone.now()
    if not Rsvp.objects.filter(pk=rsvp.pk, status=was).update(
        status=status, waitlist_position=position, updated_at=rsvp.updated_at, private=rsvp.private
    ):
        raise _LostRace
    return rsvp


def _rsvp_join(tweetup: Tweetup, rsvp: Rsvp) -> Tweetup:
    """Going: a seat if one is free, else the next place in line. Returns the tweetup,
    locked if the row had to be read under the lock."""
    was = rsvp.status if rsvp.pk else None
    if _rsvp_take_seat(tweetup):
        _rsvp_write(rsvp, status=Rsvp.Status.GOING, position=None, was=was)
        return tweetup
    # Full, or closed since it was read: decide with the row held, so the line's order is
    # the order of these turns (and a seat freed meanwhile is taken, not queued for).
    tweetup = _rsvp_locked(tweetup)
    if tweetup.capacity is None or tweetup.going_count < tweetup.capacity:
        Tweetup.objects.filter(pk=tweetup.pk).update(going_count=F("going_count") + 1)
        _rsvp_write(rsvp, status=Rsvp.Status.GOING, position=None, was=was)
    else:
        last = tweetup.rsvps.aggregate(last=Max("waitlist_position"))["last"] or 0
        _rsvp_write(rsvp, status=Rsvp.Status.WAITLISTED, position=last + 1, was=was)
    return tweetup


# A newcomer's "going" in one statement: a seat if one is free, in the same statement as
# the answer. Times are the database's clock once the row's lock is held (clock_timestamp),
# so the seats and the line are in the order of their turns, as in rsvp_set. Nothing when
# they have answered before, the tweetup is full or closed, or their other request
# inserted first (the seat is then given back): rsvp_set decides those.
_NEWCOMER_SEAT = """
WITH seat AS (
    UPDATE {tweetups} SET going_count = going_count + 1
    WHERE id = %(tweetup)s AND status = %(scheduled)s AND ends_at > %(now)s
      AND (capacity IS NULL OR going_count < capacity)
      AND NOT EXISTS (
          SELECT 1 FROM {rsvps} WHERE tweetup_id = %(tweetup)s AND user_id = %(user)s
      )
    RETURNING id
), answer AS (
    INSERT INTO {rsvps}
        (tweetup_id, user_id, status, waitlist_position, private, created_at, updated_at)
    SELECT id, %(user)s, %(going)s, NULL, %(private)s, clock_timestamp(), clock_timestamp()
    FROM seat
    ON CONFLICT (tweetup_id, user_id) DO NOTHING
    RETURNING id, created_at
)
SELECT (SELECT count(*) FROM seat), id, created_at FROM (SELECT 1) one LEFT JOIN answer ON true
"""

# A newcomer's place at the end of the line, decided with the tweetup's row locked (the
# statement before this one), so the line's order is the order of those turns. Nothing if
# a seat is free again, the tweetup closed, or they have answered before.
_NEWCOMER_LINE = """
INSERT INTO {rsvps}
    (tweetup_id, user_id, status, waitlist_position, private, created_at, updated_at)
SELECT t.id, %(user)s, %(waitlisted)s,
       COALESCE((SELECT max(waitlist_position) FROM {rsvps} WHERE tweetup_id = t.id), 0) + 1,
       %(private)s, clock_timestamp(), clock_timestamp()
FROM {tweetups} t
WHERE t.id = %(tweetup)s AND t.status = %(scheduled)s AND t.ends_at > %(now)s
  AND t.going_count >= t.capacity
  AND NOT EXISTS (SELECT 1 FROM {rsvps} WHERE tweetup_id = t.id AND user_id = %(user)s)
ON CONFLICT (tweetup_id, user_id) DO NOTHING
RETURNING id, created_at, waitlist_position,
    -- Their rank: the line as this statement found it (without them), plus them.
    (SELECT count(*) FROM {rsvps} WHERE tweetup_id = %(tweetup)s AND status = %(waitlisted)s) + 1
"""
_LOCK = "SELECT 1 FROM {tweetups} WHERE id = %s FOR UPDATE"
_TABLES = {"tweetups": Tweetup._meta.db_table, "rsvps": Rsvp._meta.db_table}
_NEWCOMER_SEAT, _NEWCOMER_LINE, _LOCK = (
    sql.format(**_TABLES) for sql in (_NEWCOMER_SEAT, _NEWCOMER_LINE, _LOCK)
)
_STATUSES = {
    "scheduled": Tweetup.Status.SCHEDULED.value,
    "going": Rsvp.Status.GOING.value,
    "waitlisted": Rsvp.Status.WAITLISTED.value,
}


def _rsvp_newcomer_going(tweetup: Tweetup, user: User, *, private: bool) -> Rsvp | None:
    """Going, for someone who hasn't answered: the hot path of a popular tweetup, in one
    statement (two when it is full) instead of the read-decide-write of rsvp_set. Caller
    is in a transaction. None: rsvp_set decides the general way."""
    if private and user.pk == tweetup.organizer_id:
        return None  # refused with its message by the general path
    now = timezone.now()
    params = {"tweetup": tweetup.pk, "user": user.pk, "private": private, "now": now}
    params |= _STATUSES
    status, position, rank = Rsvp.Status.GOING, None, None
    with connection.cursor() as cursor:
        if tweetup.capacity is None or tweetup.going_count < tweetup.capacity:
            cursor.execute(_NEWCOMER_SEAT, params)
            seats, pk, created_at = cursor.fetchone()
            if seats and pk is None:  # their other request answered first: seat back
                Tweetup.objects.filter(pk=tweetup.pk).update(going_count=F("going_count") - 1)
        else:
            cursor.execute(_LOCK, [tweetup.pk])
            cursor.execute(_NEWCOMER_LINE, params)
            row = cursor.fetchone()
            pk, created_at, position, rank = row if row else (None, None, None, None)
            status = Rsvp.Status.WAITLISTED
    if pk is None:
        return None
    rsvp = Rsvp(
        pk=pk,
        tweetup=tweetup,
        user=user,
        status=status,
        waitlist_position=position,
        private=private,
        created_at=created_at,
        updated_at=created_at,
    )
    rsvp._state.adding, rsvp._state.db = False, connection.alias
    rsvp._waitlist_rank = rank  # known already: waitlist_rank needn't ask
    return rsvp


@transaction.atomic
def rsvp_set(
    *,
    user: User,
    tweetup: Tweetup,
    status: str,
    private: bool | None = None,
    just_read: bool = False,
) -> Rsvp:
    """Say going / maybe / not going. Going past capacity joins the waitlist. `private`
    (None: as it was) keeps the person off the attendee list: they are only counted.

    `just_read`: the caller read `tweetup` (with its city) in this request, so the first
    attempt decides on it instead of reading the row again.

    Everything is read first, without a lock; then one conditional UPDATE of the tweetup's
    seat count takes a seat, so its row is locked from that statement to the commit, not
    across the whole decision, and RSVPs to a hot tweetup wait less on each other. A full
    tweetup, and a seat given up (it goes to the first in line), lock the row before they
    decide: the waitlist is in the order of those turns, and the count is never overshot
    (a CHECK constraint backs it). Each write checks the row still holds what was read.
    """
    if status not in {Rsvp.Status.GOING, Rsvp.Status.MAYBE, Rsvp.Status.NOT_GOING}:
        raise ValidationError("Choose going, maybe or not going.")
    if status == Rsvp.Status.GOING and just_read and connection.vendor == "postgresql":
        _rsvp_guard_open(tweetup)
        rsvp = _rsvp_newcomer_going(tweetup, user, private=bool(private))
        if rsvp is not None:
            signals.rsvp_changed.send(sender=Rsvp, tweetup=tweetup, rsvp=rsvp)
            page_cache.forget_tweetup(tweetup, people=rsvp.status == Rsvp.Status.GOING)
            return rsvp
    for attempt in range(3):
        if attempt or not just_read:
            tweetup = Tweetup.objects.select_related("city").get(pk=tweetup.pk)
        _rsvp_guard_open(tweetup)
        if user.pk == tweetup.organizer_id and status != Rsvp.Status.GOING:
            raise ValidationError("You're organizing this tweetup, so you're going.")
        rsvp = Rsvp.objects.filter(tweetup=tweetup, user=user).first()
        was_going = rsvp is not None and rsvp.status == Rsvp.Status.GOING
        if rsvp is not None and (
            rsvp.status == status
            or (status == Rsvp.Status.GOING and rsvp.status == Rsvp.Status.WAITLISTED)
        ):
            if private is not None and private != rsvp.private:
                return rsvp_privacy_set(user=user, tweetup=tweetup, private=private)
            return rsvp  # the same answer, or already in line: keep the place
        rsvp = rsvp or Rsvp(tweetup=tweetup, user=user)
        if private is not None:
            if private and user.pk == tweetup.organizer_id:
                raise ValidationError(ORGANIZER_NOT_PRIVATE)
            rsvp.private = private
        try:
            with transaction.atomic():  # a savepoint: losing a race gives the seat back
                if status == Rsvp.Status.GOING:
                    tweetup = _rsvp_join(tweetup, rsvp)
                else:
                    if was_going:  # the seat goes to the first in line: a locked turn
                        tweetup = _rsvp_locked(tweetup)
                    was = rsvp.status if rsvp.pk else None
                    _rsvp_write(rsvp, status=status, position=None, was=was)
            break
        except _LostRace as exc:
            if attempt == 2:
                raise ValidationError("Your answers crossed. Please try again.") from exc
    if was_going:
        promote_waitlist(tweetup)
        store_going_count(tweetup)
    signals.rsvp_changed.send(sender=Rsvp, tweetup=tweetup, rsvp=rsvp)
    # Who is listed changes only with a seat taken or given up.
    page_cache.forget_tweetup(tweetup, people=was_going or rsvp.status == Rsvp.Status.GOING)
    return rsvp


ORGANIZER_NOT_PRIVATE = "You're organizing this tweetup: the page names you as its organizer."


@transaction.atomic
def rsvp_privacy_set(*, user: User, tweetup: Tweetup, private: bool) -> Rsvp:
    """Make one's own RSVP private (counted, never listed) or listed again, at any time."""
    rsvp = Rsvp.objects.select_for_update().filter(tweetup=tweetup, user=user).first()
    if rsvp is None:
        raise ValidationError("Answer first; then you can choose who sees it.")
    if private and user.pk == tweetup.organizer_id:
        raise ValidationError(ORGANIZER_NOT_PRIVATE)
    if rsvp.private != private:
        rsvp.private = private
        rsvp.save(update_fields=["private", "updated_at"])
        page_cache.forget_tweetup(tweetup, people=rsvp.status == Rsvp.Status.GOING)
    return rsvp


def waitlist_rank(rsvp: Rsvp) -> int | None:
    """1 for the next person to get a seat; None when not waitlisted."""
    if rsvp.status != Rsvp.Status.WAITLISTED:
        return None
    if getattr(rsvp, "_waitlist_rank", None) is not None:
        return rsvp._waitlist_rank
    return Rsvp.objects.filter(
        tweetup_id=rsvp.tweetup_id,
        status=Rsvp.Status.WAITLISTED,
        waitlist_position__lte=rsvp.waitlist_position,
    ).count()
