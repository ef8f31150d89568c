"""Your X network: whom a person follows on X, read with their consent (issue 12).

Writes only: granting and withdrawing consent, and `follows_refresh`, which reads the
following list and replaces the stored set of X ids once a read is complete. A failed or
paused read never touches what was read before; the consent row says what happened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.crypto import InvalidToken, token_decrypt, token_encrypt
from accounts.models import (
    FollowedXId,
    User,
    XNetworkConsent,
    XUserReadMonth,
    network_consent_cache_key,
)
from accounts.services import users_x_protected_update
from accounts.x.follows import (
    FollowsError,
    FollowsRateLimited,
    FollowsTokenRevoked,
    FollowsUnavailable,
    following_ids,
)

logger = logging.getLogger(__name__)

NETWORK_SCOPE = "follows.read"
# Set at sign-in while "See who you follow" is on offer (accounts.context_processors).
NETWORK_OFFER_SESSION_KEY = "network_offer"
EXPIRY_MARGIN = timedelta(seconds=60)  # refresh a token this close to expiring first
REVOKED_MESSAGE = (
    "X no longer accepts our connection to your account, so we kept what we had. "
    "Connect again to see who you follow."
)
BUDGET_MESSAGE = (
    "We have read as much from X as we can afford this month. Your list will be "
    "refreshed next month; what we had is still shown."
)


class Outcome:
    DONE = "done"
    NOT_DUE = "not_due"
    NO_CONSENT = "no_consent"
    BUSY = "busy"  # another read of the same list is under way
    RATE_LIMITED = "rate_limited"
    OVER_BUDGET = "over_budget"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


@dataclass(frozen=True)
class RefreshResult:
    outcome: str
    read: int = 0  # X user objects read (and billed) by this run
    resume_at: datetime | None = None  # for RATE_LIMITED: when to run again


@transaction.atomic
def network_consent_grant(
    *, user: User, access_token: str, refresh_token: str, expires_at: datetime | None
) -> XNetworkConsent:
    """Keep the tokens X gave with follows.read, encrypted; a new grant starts a fresh read."""
    consent, _ = XNetworkConsent.objects.update_or_create(
        user=user,
        defaults={
            "access_token_enc": token_encrypt(access_token),
            "refresh_token_enc": token_encrypt(refresh_token),
            "expires_at": expires_at,
            "granted_at": timezone.now(),
            "last_read_at": None,
            "status": XNetworkConsent.Status.READY,
            "message": "",
            "resume_token": "",
            "resume_at": None,
            "partial_ids": [],
        },
    )
    _forget_consent(user.pk)
    return consent


def network_offer_due(*, user: User) -> bool:
    """Whether to offer "See who you follow" at sign-in: never after "Not now", nor to
    someone who already agreed."""
    return (
        user.network_offer_declined_at is None
        and not XNetworkConsent.objects.filter(user=user).exists()
    )


def network_offer_decline(*, user: User) -> None:
    """ "Not now": the offer is not made at sign-in again (the account page still has it)."""
    User.objects.filter(pk=user.pk, network_offer_declined_at__isnull=True).update(
        network_offer_declined_at=timezone.now()
    )


@transaction.atomic
def network_disconnect(*, user: User) -> None:
    """Forget the tokens and everything read about whom the person follows."""
    FollowedXId.objects.filter(user=user).delete()
    XNetworkConsent.objects.filter(user=user).delete()
    _forget_consent(user.pk)


def _forget_consent(user_id: int) -> None:
    key = network_consent_cache_key(user_id)
    cache.delete(key)  # now, and again once committed, so no reader caches the old answer
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def network_user_ids_due(*, limit: int) -> list[int]:
    """People whose list is older than NETWORK_REFRESH_DAYS (or never read), oldest first.

    A failed read (revoked, account gone) waits for the person to connect again or press
    "Refresh now"; a read X paused goes on from its own rescheduled task.
    """
    stale = timezone.now() - timedelta(days=settings.NETWORK_REFRESH_DAYS)
    return list(
        XNetworkConsent.objects.exclude(status=XNetworkConsent.Status.FAILED)
        .filter(resume_token="")
        .filter(Q(last_read_at__isnull=True) | Q(last_read_at__lte=stale))
        .order_by(F("last_read_at").asc(nulls_first=True))
        .values_list("user_id", flat=True)[:limit]
    )


def users_read_this_month(now: datetime | None = None) -> int:
    month = (now or timezone.now()).date().replace(day=1)
    row = XUserReadMonth.objects.filter(month=month).first()
    return row.users_read if row else 0


def _count_users_read(count: int) -> None:
    if not count:
        return
    month = timezone.now().date().replace(day=1)
    XUserReadMonth.objects.get_or_create(month=month)
    XUserReadMonth.objects.filter(month=month).update(users_read=F("users_read") + count)


def follows_refresh(*, user: User, force: bool = False) -> RefreshResult:
    """Read whom `user` follows on X (up to NETWORK_MAX_FOLLOWS_READ) and keep the set of ids.

    Not due yet (NETWORK_REFRESH_DAYS) unless `force`; a read X paused with a 429 goes on
    from where it stopped once `resume_at` has passed. X is never called inside a transaction.
    One read per person at a time: a second one meanwhile (the hourly fan-out and "Refresh
    now", a task delivered twice) returns BUSY without calling X.
    """
    if not user.x_id:
        return RefreshResult(Outcome.NO_CONSENT)
    consent, lease = _claim(user)
    if consent is None:  # no consent, or disconnected just now
        return RefreshResult(Outcome.NO_CONSENT)
    if lease is None or consent.reading_until != lease:
        return RefreshResult(Outcome.BUSY)
    try:
        return _refresh(user, consent, force=force)
    finally:
        XNetworkConsent.objects.filter(pk=consent.pk, reading_until=lease).update(
            reading_until=None
        )


def _claim(user: User) -> tuple[XNetworkConsent | None, datetime | None]:
    """Take the read lease on the person's consent row: one conditional UPDATE, so of two
    reads at once exactly one wins (no transaction is held while X is called). Returns the
    consent as it is now, and the lease if this read took it (None if another holds it)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.NETWORK_READ_LEASE_SECONDS)
    claimed = (
        XNetworkConsent.objects.filter(user=user)
        .filter(Q(reading_until__isnull=True) | Q(reading_until__lte=now))
        .update(reading_until=lease)
    )
    if not claimed:  # held by another read, or no consent: the row says which
        return XNetworkConsent.objects.filter(user=user).first(), None
    return XNetworkConsent.objects.filter(user=user).first(), lease


def _refresh(user: User, consent: XNetworkConsent, *, force: bool) -> RefreshResult:
    now = timezone.now()
    if consent.resume_at and now < consent.resume_at:
        return RefreshResult(Outcome.RATE_LIMITED, resume_at=consent.resume_at)
    resuming = bool(consent.resume_token)
    due = consent.last_read_at is None or (
        now - consent.last_read_at >= timedelta(days=settings.NETWORK_REFRESH_DAYS)
    )
    if not (due or force or resuming):
        return RefreshResult(Outcome.NOT_DUE)
    ids = list(consent.partial_ids) if resuming else []
    room = settings.NETWORK_MONTHLY_USER_READ_BUDGET - users_read_this_month(now)
    cap = min(settings.NETWORK_MAX_FOLLOWS_READ - len(ids), room)
    if room <= 0:
        _record(consent, status=XNetworkConsent.Status.WAITING, message=BUDGET_MESSAGE)
        return RefreshResult(Outcome.OVER_BUDGET)
    try:
        access_token = _fresh_access_token(consent)
    except FollowsError as exc:
        logger.warning("No token to read whom user %s follows: %s", user.pk, exc)
        return _failed(consent, exc, read=0)
    read = 0
    try:
        pages = following_ids(
            access_token,
            user.x_id,
            max_ids=cap,
            pagination_token=consent.resume_token or None,
        )
        for page in pages:
            ids.extend(page.ids)
            read += len(page.ids)
            # X just said which of these accounts are protected: people here follow suit.
            users_x_protected_update(protected=page.protected_ids, public=page.public_ids)
    except FollowsRateLimited as exc:
        _count_users_read(read)
        _record(
            consent,
            status=XNetworkConsent.Status.WAITING,
            message="X asked us to slow down; we will finish reading who you follow shortly.",
            resume_token=exc.resume_token or "",
            resume_at=exc.reset_at,
            partial_ids=ids,
        )
        return RefreshResult(Outcome.RATE_LIMITED, read=read, resume_at=exc.reset_at)
    except FollowsError as exc:
        _count_users_read(read)
        logger.warning(
            "Reading whom user %s follows stopped after %s: %s (%s)",
            user.pk,
            read,
            type(exc).__name__,
            exc,
        )
        # Start over next time: a half-read list with a stale resume token is worth nothing.
        return _failed(consent, exc, read=read)
    _count_users_read(read)
    if not _replace_followed(consent, ids):
        # Disconnected meanwhile, or this read outlived its lease and another took over.
        gone = not XNetworkConsent.objects.filter(pk=consent.pk).exists()
        return RefreshResult(Outcome.NO_CONSENT if gone else Outcome.BUSY, read=read)
    return RefreshResult(Outcome.DONE, read=read)


def _failed(consent: XNetworkConsent, exc: FollowsError, *, read: int) -> RefreshResult:
    """X down or slow is worth another try (the task retries, then the hourly fan-out picks
    the list up again: WAITING); anything else waits for the person (FAILED)."""
    if isinstance(exc, FollowsUnavailable):
        _record(consent, status=XNetworkConsent.Status.WAITING, message=_plain(exc))
        return RefreshResult(Outcome.UNAVAILABLE, read=read)
    _record(consent, status=XNetworkConsent.Status.FAILED, message=_plain(exc))
    return RefreshResult(Outcome.FAILED, read=read)


def _plain(exc: FollowsError) -> str:
    if isinstance(exc, FollowsTokenRevoked):
        return REVOKED_MESSAGE
    return f"{exc.message} We kept what we had."


def _record(consent: XNetworkConsent, **fields) -> None:
    """Note how a read went, unless the person disconnected meanwhile (then nothing is kept),
    or this read's lease ran out and another read took over (it writes instead)."""
    fields.setdefault("resume_token", "")
    fields.setdefault("resume_at", None)
    fields.setdefault("partial_ids", [])
    XNetworkConsent.objects.filter(
        pk=consent.pk, granted_at=consent.granted_at, reading_until=consent.reading_until
    ).update(**fields)


@transaction.atomic
def _replace_followed(consent: XNetworkConsent, ids: list[str]) -> bool:
    # The lock orders this after a disconnect or a new grant that started meanwhile.
    current = (
        XNetworkConsent.objects.select_for_update()
        .filter(pk=consent.pk, granted_at=consent.granted_at, reading_until=consent.reading_until)
        .first()
    )
    if current is None:
        return False
    FollowedXId.objects.filter(user_id=consent.user_id).delete()
    FollowedXId.objects.bulk_create(
        [FollowedXId(user_id=consent.user_id, x_id=x_id) for x_id in dict.fromkeys(ids)],
        batch_size=1000,
    )
    current.last_read_at = timezone.now()
    current.status = XNetworkConsent.Status.READY
    current.message = ""
    current.resume_token, current.resume_at, current.partial_ids = "", None, []
    current.save()
    # Pages keep a person's RSVP panel while what was read ahead for it is unchanged
    # (tweetups.page_frames): the consent entry, gone and made again, says the follows moved.
    _forget_consent(consent.user_id)
    return True


def _fresh_access_token(consent: XNetworkConsent) -> str:
    """The access token, refreshed first when it is about to expire (X rotates the refresh
    token: the new one is stored at once, since the old one no longer works)."""
    try:
        access_token = token_decrypt(consent.access_token_enc)
        refresh_token = token_decrypt(consent.refresh_token_enc)
    except InvalidToken as exc:  # the key changed: these tokens can't be used any more
        raise FollowsTokenRevoked("stored tokens can't be decrypted") from exc
    if consent.expires_at is None or consent.expires_at - EXPIRY_MARGIN > timezone.now():
        return access_token
    if not refresh_token:
        raise FollowsTokenRevoked("expired, and no refresh token")
    try:
        response = requests.post(
            f"{settings.X_API_BASE_URL}/2/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": settings.X_CLIENT_ID,
            },
            auth=(settings.X_CLIENT_ID, settings.X_CLIENT_SECRET),
            timeout=settings.X_API_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise FollowsUnavailable("Could not reach X to renew the connection") from exc
    if response.status_code >= 500:
        raise FollowsUnavailable(f"X had a problem ({response.status_code})")
    try:
        tokens = response.json()
    except ValueError:
        tokens = None
    if (
        response.status_code != 200
        or not isinstance(tokens, dict)
        or not isinstance(tokens.get("access_token"), str)
    ):
        raise FollowsTokenRevoked("X refused to renew the connection")
    expires_in = tokens.get("expires_in")
    updated = XNetworkConsent.objects.filter(pk=consent.pk, granted_at=consent.granted_at).update(
        access_token_enc=token_encrypt(tokens["access_token"]),
        refresh_token_enc=token_encrypt(tokens.get("refresh_token") or refresh_token),
        expires_at=(
            timezone.now() + timedelta(seconds=expires_in) if isinstance(expires_in, int) else None
        ),
    )
    if not updated:
        raise FollowsTokenRevoked("disconnected meanwhile")
    return tokens["access_token"]
