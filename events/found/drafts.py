"""Drafts suggested from posts: made by the daily search, published or dismissed by their
author (and only them: matched by the X id they signed in with)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.models import HASHTAG_NO_LETTER, HASHTAG_PATTERN, City, Tweetup, TweetupDraft
from tweetups import page_cache

# Tags too general to be one tweetup's: the suggestion is then <City>Tweetup.
GENERIC_TAGS = frozenset({"tweetup", "tweetups", "meetup", "meetups"})


@dataclass(frozen=True)
class Candidate:
    """A post that looks like someone planning a tweetup in `city` on `date`."""

    author_x_id: str
    author_username: str
    city: City
    date: date
    post_x_id: int
    post_text: str
    tags: tuple[str, ...]  # the post's hashtags as written, in order


def suggested_hashtag(city: City, tags: tuple[str, ...]) -> str:
    """The post's own tag if it names one that fits a tweetup, else <City>Tweetup."""
    city_tag = re.sub(r"\W+", "", city.name).casefold()
    for tag in tags:
        key = tag.casefold()
        if key in GENERIC_TAGS or key == city_tag:
            continue
        if re.match(HASHTAG_PATTERN, tag) and not re.match(HASHTAG_NO_LETTER, tag):
            return tag
    ascii_name = unicodedata.normalize("NFKD", city.name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    return ("".join(w[:1].upper() + w[1:] for w in words) + "Tweetup")[:100]


@transaction.atomic
def drafts_store(candidates: list[Candidate]) -> list[Candidate]:
    """One draft per author and day (the first candidate wins); none made again for an
    author and day that already has one, whatever became of it. Returns those made."""
    first: dict[tuple[str, date], Candidate] = {}
    for candidate in candidates:
        first.setdefault((candidate.author_x_id, candidate.date), candidate)
    if not first:
        return []
    known = Q()
    for author, day in first:
        known |= Q(author_x_id=author, date=day)
    existing = set(TweetupDraft.objects.filter(known).values_list("author_x_id", "date"))
    new = [c for key, c in first.items() if key not in existing]
    TweetupDraft.objects.bulk_create(
        [
            TweetupDraft(
                author_x_id=c.author_x_id,
                author_username=c.author_username,
                city=c.city,
                date=c.date,
                hashtag=suggested_hashtag(c.city, c.tags),
                post_x_id=c.post_x_id,
                post_text=c.post_text,
            )
            for c in new
        ],
        ignore_conflicts=True,  # a concurrent run made it: one draft all the same
    )
    if new:
        page_cache.forget("home")  # it keeps each person's suggestions
    return new


@transaction.atomic
def draft_dismiss(*, user, draft_id: int) -> TweetupDraft | None:
    """Dismiss one's own suggestion for good; None if it is not theirs (or already decided)."""
    draft = (
        TweetupDraft.objects.suggested_to(user, since=date.min)
        .select_for_update()
        .filter(pk=draft_id)
        .first()
    )
    if draft is None:
        return None
    draft.status = TweetupDraft.Status.DISMISSED
    draft.decided_at = timezone.now()
    draft.save(update_fields=["status", "decided_at"])
    page_cache.forget("home")  # it keeps each person's suggestions (events/views/listings.py)
    return draft


@transaction.atomic
def draft_publish(*, user, draft_id: int, tweetup: Tweetup) -> TweetupDraft | None:
    """Mark one's own suggestion published as `tweetup`; None if it is not theirs."""
    draft = (
        TweetupDraft.objects.suggested_to(user, since=date.min)
        .select_for_update()
        .filter(pk=draft_id)
        .first()
    )
    if draft is None or tweetup.organizer_id != user.pk:
        return None
    draft.status = TweetupDraft.Status.PUBLISHED
    draft.decided_at = timezone.now()
    draft.tweetup = tweetup
    draft.save(update_fields=["status", "decided_at", "tweetup"])
    page_cache.forget("home")  # it keeps each person's suggestions
    return draft


def drafts_to_show(user, *, now=None, limit: int = 3) -> list[TweetupDraft]:
    """The person's suggestions for days still ahead in their city, soonest first, each with
    `when_text` ("on Friday"); one query."""
    now = now or timezone.now()
    rows = (
        TweetupDraft.objects.suggested_to(user, since=now.date() - timedelta(days=1))
        .select_related("city")
        .order_by("date", "pk")[: limit + 2]
    )
    shown = []
    for draft in rows:
        local_today = now.astimezone(draft.city.tzinfo).date()
        if draft.date >= local_today:
            draft.when_text = draft.when(local_today)
            shown.append(draft)
    return shown[:limit]
