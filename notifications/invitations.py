"""Inviting people to a tweetup by their X handle.

The inviter gets an X post that mentions the handles (events.sharing); whoever of them
has an account here with a verified address, and hasn't turned invitations off, also
gets an invitation by mail with the RSVP buttons. The inviter is told the same thing
whatever the handles are: never whether one has an account or an address.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import User
from accounts.x.formats import X_USERNAME_RE
from events.models import Rsvp, Tweetup
from notifications.models import Invitation, MessageKind
from notifications.outbox import messages_create

# Who may invite: the organizer, and people who said going or maybe.
INVITING_ANSWERS = (Rsvp.Status.GOING, Rsvp.Status.MAYBE)


class InvitationsClosed(ValidationError):
    """The tweetup is cancelled or over."""


class InvitationLimit(ValidationError):
    """The inviter reached a cap on handles invited."""


def may_invite(user, tweetup: Tweetup) -> bool:
    """Whether `user` may invite people to `tweetup` (its state aside)."""
    if not user.is_authenticated:
        return False
    if tweetup.is_organized_by(user):
        return True
    return Rsvp.objects.filter(tweetup=tweetup, user=user, status__in=INVITING_ANSWERS).exists()


@transaction.atomic
def invitations_send(*, tweetup: Tweetup, inviter: User, handles: list[str]) -> list[str]:
    """Invite X handles to a tweetup; returns the handles for the X post, as typed.

    A handle invited to this tweetup before (by anyone) is not invited again. Mail goes
    through the outbox, on commit, to the matching accounts that can and want to get it.
    """
    if not all(isinstance(h, str) and X_USERNAME_RE.fullmatch(h) for h in handles):
        raise ValueError("handles must be X usernames (InviteForm checks what people type)")
    # The inviter's row is the lock: two tabs posting at once can't both pass the caps.
    User.objects.select_for_update().filter(pk=inviter.pk).values_list("pk").first()
    tweetup = Tweetup.objects.select_related("city").get(pk=tweetup.pk)
    if not may_invite(inviter, tweetup):
        raise PermissionDenied("Only the organizer and people going can invite.")
    if not tweetup.accepts_rsvps:
        raise InvitationsClosed("This tweetup is cancelled or over, so it takes no invitations.")
    wanted = {handle.lower(): handle for handle in handles}
    wanted.pop(inviter.x_username.lower(), None)
    already = set(
        Invitation.objects.filter(tweetup=tweetup, handle__in=list(wanted)).values_list(
            "handle", flat=True
        )
    )
    new = [handle for handle in wanted if handle not in already]
    _check_caps(inviter=inviter, tweetup=tweetup, count=len(new))
    accounts = _accounts_by_handle(new)
    Invitation.objects.bulk_create(
        [
            Invitation(
                tweetup=tweetup, inviter=inviter, handle=handle, invitee_id=accounts.get(handle)
            )
            for handle in new
        ],
        ignore_conflicts=True,  # a concurrent invitation of the same handle won
    )
    # Not the people who already answered (the organizer among them), nor the inviter.
    answered = Rsvp.objects.filter(tweetup=tweetup, user_id__in=accounts.values()).values_list(
        "user_id", flat=True
    )
    invitees = set(accounts.values()) - set(answered) - {inviter.pk}
    if invitees:
        # Revision 0: the outbox's own uniqueness makes it one invitation per person, ever.
        messages_create(
            users=sorted(invitees), kind=MessageKind.INVITATION, tweetup=tweetup, revision=0
        )
    return list(wanted.values())


def _check_caps(*, inviter: User, tweetup: Tweetup, count: int) -> None:
    if not count:
        return
    per_day = settings.INVITATIONS_PER_DAY
    per_tweetup = settings.INVITATIONS_PER_TWEETUP
    since = timezone.now() - timedelta(days=1)
    today = Invitation.objects.filter(inviter=inviter, created_at__gt=since).count()
    if today + count > per_day:
        left = max(per_day - today, 0)
        raise InvitationLimit(
            f"You can invite {per_day} people a day, and have {left} left today: "
            "try fewer handles, or again tomorrow."
        )
    here = Invitation.objects.filter(inviter=inviter, tweetup=tweetup).count()
    if here + count > per_tweetup:
        left = max(per_tweetup - here, 0)
        raise InvitationLimit(
            f"You can invite {per_tweetup} people to one tweetup, and have {left} left for "
            "this one."
        )


def _accounts_by_handle(handles: list[str]) -> dict[str, int]:
    """handle (lowercase) → the active account that has it; one query (user_x_username_upper_idx).

    A handle someone gave up on X can still be on the account of its old owner until they
    sign in again: the most recent sign-in holds it.
    """
    if not handles:
        return {}
    rows = (
        User.objects.annotate(handle_upper=Upper("x_username"))
        .filter(handle_upper__in=[handle.upper() for handle in handles], is_active=True)
        .order_by(F("last_login").asc(nulls_first=True), "pk")
        .values_list("handle_upper", "pk")
    )
    return {handle_upper.lower(): pk for handle_upper, pk in rows}  # the last one wins
