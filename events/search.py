"""Search over tweetups: titles, descriptions, venues, hashtags, cities, organizer handles.

On PostgreSQL a tweetup's own words are a stored, weighted tsvector (`search_document`, a
generated column with a GIN index): a websearch query matches it and ranks the hits, and
trigram indexes on the title, hashtag and city names catch typos ("Kreuzberg Tech Drinsk"
finds "Kreuzberg Tech Drinks"). Handles match exactly, without case. Every part of the
match is an index condition, so the database gathers candidates with a bitmap scan and
never walks the whole table; the best of at most SEARCH_CANDIDATES of them (the soonest)
are ranked.

On SQLite (`make run` without DATABASE_URL) every word of the query must appear, without
case, in one of the fields: simpler, still correct.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.lookups import TrigramSimilar, TrigramWordSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connections, models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Concat, Lower

# English stemming ("running" finds "run"); words of other languages are stemmed the same
# way in the document and the query, so they still meet.
CONFIG = "english"
MAX_QUERY_LENGTH = 200  # longer queries are cut here (and the page says so)
MAX_TERMS = 12  # words of a query SQLite matches; the rest are dropped
SEARCH_CANDIDATES = 500  # matches ranked per search: the soonest ones
MAX_CITY_MATCHES = 50
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")


class PerVendor(Func):
    """`postgresql` on PostgreSQL, `other` elsewhere: one generated column for both."""

    template = "%(expressions)s"
    output_field = SearchVectorField()

    def __init__(self, postgresql, other, **extra):
        super().__init__(postgresql, other, **extra)

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.get_source_expressions()[1])

    def as_postgresql(self, compiler, connection, **extra):
        return compiler.compile(self.get_source_expressions()[0])


def tweetup_document() -> PerVendor:
    """The generated `Tweetup.search_document`: weighted words on PostgreSQL (title and
    hashtag A, venue B, description C), lower-cased text elsewhere."""
    fields = ["title", "hashtag", "venue_name", "venue_address", "description"]
    postgresql = (
        SearchVector("title", "hashtag", config=CONFIG, weight="A")
        + SearchVector("venue_name", "venue_address", config=CONFIG, weight="B")
        + SearchVector("description", config=CONFIG, weight="C")
    )
    parts = []
    for name in fields:
        parts += [F(name), Value(" ")]
    return PerVendor(postgresql, Lower(Concat(*parts[:-1], output_field=models.TextField())))


@dataclass(frozen=True)
class SearchText:
    """What someone typed, made safe to search with: no control characters (NUL), at most
    MAX_QUERY_LENGTH characters, spaces collapsed."""

    text: str
    truncated: bool = False

    @classmethod
    def parse(cls, raw: str | None) -> "SearchText":
        raw = unicodedata.normalize("NFC", raw or "")
        cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in raw)
        cleaned = " ".join(cleaned.split())
        truncated = len(cleaned) > MAX_QUERY_LENGTH
        return cls(cleaned[:MAX_QUERY_LENGTH].strip(), truncated)

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def words(self) -> list[str]:
        return self.text.split()[:MAX_TERMS]

    @property
    def tag(self) -> str | None:
        """A one-word query as a hashtag, with or without its #."""
        if len(self.words) != 1:
            return None
        tag = self.words[0].lstrip("#")
        return tag if HANDLE.match(tag) else None

    @property
    def handle(self) -> str | None:
        """A one-word query as an X handle, with or without its @."""
        if len(self.words) != 1:
            return None
        handle = self.words[0].lstrip("@")
        return handle if HANDLE.match(handle) else None


def _any_of(field: str, subquery: models.QuerySet) -> Q:
    """`field = ANY(ARRAY(subquery))` on PostgreSQL: unlike IN (subquery) inside an OR, the
    array is computed once and the condition can use the field's index."""
    if connections[subquery.db].vendor != "postgresql":
        return Q(**{f"{field}__in": subquery})
    return Q(
        Func(
            F(field),
            ArraySubquery(subquery),
            template="%(expressions)s)",
            arg_joiner=" = ANY(",
            output_field=models.BooleanField(),
        )
    )


class SearchQuerySet(models.QuerySet):
    def search(self, text: SearchText):
        """The tweetups in this queryset that match `text`, best first (then soonest).

        Call it last but for `for_listing()`: it ranks among at most SEARCH_CANDIDATES of
        this queryset's matches, taken in its order (the soonest, for `upcoming()`).
        """
        if not text:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            return self._search_postgresql(text)
        return self._search_simple(text)

    def _search_postgresql(self, text: SearchText):
        query = SearchQuery(text.text, search_type="websearch", config=CONFIG)
        city_model = self.model._meta.get_field("city").related_model
        user_model = self.model._meta.get_field("organizer").related_model
        cities = city_model.objects.filter(TrigramSimilar(F("name"), Value(text.text)))
        match = (
            Q(search_document=query)
            | Q(TrigramWordSimilar(F("title"), Value(text.text)))
            | _any_of("city_id", cities.order_by().values("id")[:MAX_CITY_MATCHES])
        )
        if text.tag:
            match |= Q(TrigramSimilar(F("hashtag"), Value(text.tag)))
        if text.handle:
            organizers = user_model.objects.filter(x_username__iexact=text.handle)
            match |= _any_of("organizer_id", organizers.order_by().values("id")[:5])
        rank = SearchRank(F("search_document"), query) + TrigramWordSimilarity(
            Value(text.text), "title"
        )
        if text.tag:
            rank += models.Case(
                models.When(hashtag__iexact=text.tag, then=Value(1.0)),
                default=Value(0.0),
            )
        return self._ranked(match, rank)

    def _search_simple(self, text: SearchText):
        match = Q()
        for word in text.words:
            tag, handle = word.lstrip("#"), word.lstrip("@")
            match &= (
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(venue_name__icontains=word)
                | Q(venue_address__icontains=word)
                | Q(hashtag__icontains=tag or word)
                | Q(city__name__icontains=word)
                | Q(organizer__x_username__iexact=handle or word)
            )
        title_hit = models.Case(
            models.When(title__icontains=text.text, then=Value(1.0)), default=Value(0.0)
        )
        return self._ranked(match, title_hit)

    def _ranked(self, match: Q, rank):
        candidates = self.filter(match).values("id")[:SEARCH_CANDIDATES]
        return (
            self.model.objects.filter(id__in=candidates)
            .annotate(rank=rank)
            .order_by("-rank", "starts_at", "id")
        )
