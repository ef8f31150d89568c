"""Your X network on listings and on its own page (issue 12): reads only.

Whom a person follows stays in the database (accounts.FollowedXId), so every read here is
one query whatever the size of their graph: a semi-join of the followed ids on
`User.x_id` (unique) and RSVPs by (tweetup, status) or (user, status).

Shared listings (events/discovery.py, the home page) carry an HTML comment per row where a
badge may go: `fill_badges` puts in each signed-in person's own counts, or takes the marks
out for everyone else, so no visitor page and no cached frame holds anyone's network.
"""

import re
from collections.abc import Iterable

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from accounts.models import FollowedXId, XNetworkConsent, network_consent_cache_key
from events.models import Rsvp, Tweetup

SORT_NETWORK = "network"  # ?sort=network: most people you follow going first
FACES_PER_TWEETUP = 6  # faces on the network page; the rest are counted
# Where a row's badge goes in a shared listing: an HTML comment (events/_tweetup_row.html,
# when the context has `network_slot`). Escaped third-party text can't make one.
_MARK = re.compile(r"<!--network:(\d+)-->")
# One person in a tweetup's shared attendee list (tweetup_detail.html#attendee_items).
_ATTENDEE = re.compile(r"<!--attendee:(\d+)-->(.*?)<!--/attendee-->", re.DOTALL)


def has_network(user, *, cached: bool | None = None) -> bool:
    """Whether `user` opted in to "See who you follow" (their listings get badges and a sort).
    `cached`: what the cache says under `consent_key(user)`, if the caller read it already."""
    if not user.is_authenticated:
        return False
    return cached if cached is not None else XNetworkConsent.objects.granted_by(user.pk)


def consent_key(user) -> str:
    """Where the cache keeps whether `user` opted in (read with a page's parts)."""
    return network_consent_cache_key(user.pk)


def wants_network_sort(request) -> bool:
    return request.GET.get("sort") == SORT_NETWORK


def _followed_x_ids(user) -> QuerySet:
    return FollowedXId.objects.filter(user=user).values("x_id")


def _going_followed(user) -> QuerySet:
    """RSVPs of people `user` follows who are going (not maybe, not waitlisted), not their
    own, and never a private RSVP: that is hidden from followers too. (A protected X
    account is shown to the people who follow it: everyone counted here does.)"""
    return Rsvp.objects.filter(
        status=Rsvp.Status.GOING, private=False, user__x_id__in=_followed_x_ids(user)
    ).exclude(user=user)


def network_counts(user, tweetup_ids: Iterable[int]) -> dict[int, int]:
    """{tweetup id: people `user` follows who are going}, for the listed tweetups: one
    aggregate query. Tweetups nobody they follow is going to are left out."""
    ids = list(tweetup_ids)
    if not ids or not user.is_authenticated:
        return {}
    rows = (
        _going_followed(user)
        .filter(tweetup_id__in=ids)
        .order_by()
        .values("tweetup_id")
        .annotate(going=Count("id"))
    )
    return {row["tweetup_id"]: row["going"] for row in rows}


def with_network_count(tweetups: QuerySet, user) -> QuerySet:
    """`tweetups` annotated with `network_count`.

    The count is correlated, but asked only of the rows in the set of tweetups the people
    `user` follows go to: that set is read once from their side (followed ids → users →
    RSVPs by (user, status)), a few hundred rows, so sorting a city's thousand upcoming
    tweetups costs a hash probe each, not a count each.
    """
    going = (
        _going_followed(user)
        .filter(tweetup=OuterRef("pk"))
        .order_by()
        .values("tweetup")
        .annotate(going=Count("id"))
        .values("going")
    )
    count = Case(
        When(id__in=network_tweetup_ids(user), then=Coalesce(Subquery(going), Value(0))),
        default=Value(0),
    )
    return tweetups.annotate(network_count=count)


def sorted_by_network(tweetups: QuerySet, user) -> QuerySet:
    """`tweetups`, most people `user` follows going first, then in their own order."""
    order = list(tweetups.query.order_by) or ["starts_at", "id"]
    return with_network_count(tweetups, user).order_by(F("network_count").desc(), *order)


def network_tweetup_ids(user) -> QuerySet:
    """The ids of tweetups (any date) people `user` follows are going to, as a subquery."""
    return _going_followed(user).values("tweetup_id")


def network_going_changed(user):
    """Per tweetup (an OuterRef), the newest change among the going RSVPs of people `user`
    follows: a feed's stamp moves when one of them joins."""
    return Subquery(
        _going_followed(user)
        .filter(tweetup=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )


def network_tweetups(user, now=None) -> QuerySet:
    """Upcoming tweetups anywhere where people `user` follows are going, soonest first,
    each with `network_count`."""
    tweetups = Tweetup.objects.scheduled().upcoming(now).filter(id__in=network_tweetup_ids(user))
    return with_network_count(tweetups, user).for_listing()


def network_faces(user, tweetup_ids: Iterable[int], per_tweetup: int = FACES_PER_TWEETUP):
    """{tweetup id: [users]}: up to `per_tweetup` people `user` follows who are going to
    each tweetup, first come first. One query (a window numbers them per tweetup)."""
    ids = list(tweetup_ids)
    if not ids:
        return {}
    numbered = (
        _going_followed(user)
        .filter(tweetup_id__in=ids)
        .select_related("user")
        .only(
            "tweetup_id",
            "user__username",
            "user__x_username",
            "user__display_name",
            "user__avatar_url",
        )
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("tweetup_id")], order_by=[F("created_at"), F("id")]
            )
        )
        .order_by("tweetup_id", "created_at", "id")
    )
    faces: dict[int, list] = {}
    # PostgreSQL can't filter on a window in the same SELECT: Django wraps it (QUALIFY).
    for rsvp in numbered.filter(place__lte=per_tweetup):
        faces.setdefault(rsvp.tweetup_id, []).append(rsvp.user)
    return faces


def badge(count: int) -> str:
    if count <= 0:
        return ""
    return render_to_string("events/_network_badge.html", {"count": count}).strip()


def listed_ids(html: str) -> list[int]:
    return [int(found) for found in _MARK.findall(html)]


def fill_badges(html: str, counts: dict[int, int] | None) -> str:
    """The shared listing `html` with each row's badge from `counts`; None takes the marks
    out (visitors, and people who did not opt in)."""
    if counts is None:
        filled = _MARK.sub("", html)
    else:
        filled = _MARK.sub(lambda found: badge(counts.get(int(found.group(1)), 0)), html)
    # Our own rendered HTML with our own badges in it: nothing here came from a request.
    return mark_safe(filled)  # noqa: S308


def personal_listing(html: str, user, *, network: bool) -> str:
    """A shared listing as `user` sees it: their badges (one query) if they have a network."""
    if not network:
        return fill_badges(html, None)
    return fill_badges(html, network_counts(user, listed_ids(html)))


def network_where_going(user, *, shown: int, now=None) -> tuple[list[Tweetup], int]:
    """The first `shown` of `network_tweetups(user)` (soonest first, each with
    `network_count`) and how many there are in all, as the network page lists them.

    Two queries: a window count riding along would make PostgreSQL build the whole set
    with its per-tweetup counts before the limit (bench/network.py: 98 ms against 11 + 6 ms
    for a person following 1,000 with 200 here).
    """
    tweetups = list(network_tweetups(user, now)[:shown])
    upcoming = Tweetup.objects.scheduled().upcoming(now)
    return tweetups, upcoming.filter(id__in=network_tweetup_ids(user)).order_by().count()


def network_followers(tweetups: QuerySet) -> QuerySet:
    """The ids of people who follow on X someone going to one of `tweetups`, by the rules
    of `_going_followed` (no private RSVP, not their own), and not to a tweetup they
    organize: the weekly digest's fan-out, as a subquery.

    Set-based from the followed ids' side, so one query whatever the size of the graph:
    PostgreSQL hashes the X ids of the few people going and reads FollowedXId once, rather
    than probing each person's own set.
    """
    going = (
        Rsvp.objects.filter(
            tweetup__in=tweetups,
            status=Rsvp.Status.GOING,
            private=False,
            user__x_id=OuterRef("x_id"),
        )
        .exclude(user_id=OuterRef("user_id"))
        .exclude(tweetup__organizer_id=OuterRef("user_id"))
    )
    return FollowedXId.objects.filter(Exists(going)).values("user_id")


def attendees_shown(html: str, *, shown_above: Iterable[int] = ()) -> tuple[str, int]:
    """A tweetup's shared attendee list without the people whose ids are in `shown_above`
    (the viewer's "people you follow are going", just above it), and how many it left out.

    Every viewer's panel goes through here, so the marks never reach a page: a visitor's or
    a non-follower's list is the shared one, marks taken out.
    """
    skip = set(shown_above)
    left_out = 0

    def entry(found: re.Match) -> str:
        nonlocal left_out
        if int(found.group(1)) in skip:
            left_out += 1
            return ""
        return found.group(2)

    kept = _ATTENDEE.sub(entry, html)
    # Our own rendered list with entries taken out: nothing here came from a request.
    return mark_safe(kept if kept.strip() else ""), left_out  # noqa: S308
