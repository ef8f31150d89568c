"""Search over tweetups: titles, descriptions, venues, hashtags, cities, organizer handles.

On PostgreSQL a tweetup's own words are a stored, weighted tsvector (`search_document`, a
generated column with a GIN index): a websearch query matches it and ranks the hits. Typos
are caught on the list of words tweetups use (`SearchWord`, with a trigram index): each
word of the query is also tried as the known words close to it ("Kreuzberg Tech Drinsk"
finds "Kreuzberg Tech Drinks"; a hashtag is one of a tweetup's words, "#KreuzbergDrnks"
finds #KreuzbergDrinks); a query close to a city's name means that city: by trigrams, or
one letter off (added, dropped or changed: "Lisbn", "Berln", "Reykjavk", whose trigrams
are too few to be close). Handles match exactly, without case. Each way of matching is its
own index scan, cut at SEARCH_CANDIDATES rows (the soonest), or, once filters have left
few rows, one pass over those; the candidates they give are ranked together.

On SQLite (`make run` without DATABASE_URL) every word of the query must appear, without
case, in one of the fields: simpler, still correct.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connections, models
from django.db.models import Exists, F, Func, Q, Subquery, Value
from django.db.models.functions import Concat, Lower

from events.models.words import SearchWord

# English stemming ("running" finds "run"); words of other languages are stemmed the same
# way in the document and the query, so they still meet.
CONFIG = "english"
MAX_QUERY_LENGTH = 200  # longer queries are cut here (and the page says so)
MAX_TERMS = 12  # words of a query SQLite matches; the rest are dropped
SEARCH_CANDIDATES = 100  # matches ranked per way of matching: the soonest ones
CITY_SIMILARITY = 0.6  # how close to a city's name a query must be to mean that city
# ...or this many letters off it, once the query is long enough that one letter off a city
# is a typo rather than another word ("Bonn" and "born" stay apart).
CITY_TYPO_EDITS = 1
CITY_TYPO_MIN_LENGTH = 5
RANKED = ("-rank", "starts_at", "id")
MAX_FUZZY_LENGTH = 60  # longer queries are matched by their words only
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
        """The first MAX_TERMS words, each once (in any case): "tech tech tech…" is a
        query for "tech", not twelve index lookups of it. Within quotes (a phrase) a word
        may follow itself."""
        words = self.text.split()
        if '"' not in self.text:
            first = {}
            for word in words:
                first.setdefault(word.casefold(), word)
            words = list(first.values())
        return words[:MAX_TERMS]

    @property
    def tag(self) -> str | None:
        """A one-word query as a hashtag, with or without its #."""
        if len(self.words) != 1:
            return None
        tag = self.words[0].lstrip("#")
        return tag if HANDLE.match(tag) else None

    @property
    def exact(self) -> bool:
        """Whether the words are meant as typed: a handle, a "phrase", a -word, or."""
        words = self.text.split()
        return (
            self.text.startswith("@")
            or '"' in self.text
            or any(word.startswith("-") or word.casefold() == "or" for word in words)
        )

    @property
    def handle(self) -> str | None:
        """A one-word query as an X handle, with or without its @."""
        if len(self.words) != 1:
            return None
        handle = self.words[0].lstrip("@")
        return handle if HANDLE.match(handle) else None


class LevenshteinLessEqual(Func):
    """fuzzystrmatch's edit distance, given up on past `most` (migration 0017)."""

    function = "levenshtein_less_equal"
    output_field = models.IntegerField()

    def __init__(self, a, b, most: int, **extra):
        super().__init__(a, b, Value(most), **extra)


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
    def search(self, text: SearchText, *, narrowed: bool = False):
        """The tweetups in this queryset that match `text`, best first (then soonest).

        Call it last but for `for_listing()`: it ranks among at most SEARCH_CANDIDATES of
        this queryset's matches, taken in its order (the soonest, for `upcoming()`).
        `narrowed`: this queryset is already down to few rows (a date window, a circle):
        they are matched in one pass, every way at once, rather than one pass a way.
        """
        if not text:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            return self._search_postgresql(text, narrowed=narrowed)
        return self._search_simple(text)

    def _search_postgresql(self, text: SearchText, *, narrowed: bool):
        # Each way to match is its own index scan stopping at SEARCH_CANDIDATES rows in
        # this queryset's order: a city or an organizer with thousands of tweetups costs a
        # short walk along (city, starts_at) or (organizer, starts_at), not a heap scan of
        # them all. Once filters have narrowed the rows (an index on dates or places reads
        # them), one pass checks every way on those rows: the filters are planned, and
        # read, once rather than once a way.
        query = SearchQuery(" ".join(text.words), search_type="websearch", config=CONFIG)
        ways = [Q(search_document=query)]
        if len(text.text) <= MAX_FUZZY_LENGTH:
            # Typos are looked for in short queries: a long one has enough words that are
            # spelled right.
            ways += self._fuzzy_ways(text, query)
        if text.handle:
            user_model = self.model._meta.get_field("organizer").related_model
            organizer = user_model.objects.filter(x_username__iexact=text.handle)
            organized = Q(organizer_id=Subquery(organizer.values("id")[:1]))
            ways.append(organized)
        if narrowed:
            either = Q()
            for way in ways:
                either |= way
            match = _any_of("id", self.filter(either).values("id")[:SEARCH_CANDIDATES])
        else:
            match = Q()
            for way in ways:
                match |= _any_of("id", self.filter(way).values("id")[:SEARCH_CANDIDATES])
        rank = SearchRank(F("search_document"), query)
        if len(text.text) <= MAX_FUZZY_LENGTH:
            rank += TrigramWordSimilarity(Value(text.text), "title")
        if text.tag:
            rank += models.Case(
                models.When(hashtag__iexact=text.tag, then=Value(1.0)),
                default=Value(0.0),
            )
        if text.handle:  # the organizer named comes before words merely close to it
            rank += models.Case(models.When(organized, then=Value(1.0)), default=Value(0.0))
        return self.model.objects.filter(match).annotate(rank=rank).order_by(*RANKED)

    def _fuzzy_ways(self, text: SearchText, query: SearchQuery) -> list:
        """Tweetups whose words are close to the query's, and those of the one city it names.

        Close words come from the word list (`SearchWord`: every word scheduled tweetups
        use): for each word of the query, the few known words one letter off it or close by
        trigrams ("drinsk": "drinks"). Tweetups that have, for every word of the query, it
        or one close to it are a full-text match like the words' own, on the same index:
        the trigram match is over the word list, which does not grow with the tweetups.

        They are looked for only when the words as typed match fewer than
        SEARCH_CANDIDATES tweetups: then there is room among the candidates for a typo's.
        Otherwise the scan is skipped (a one-time filter in PostgreSQL's plan).
        """
        ways = [Q(city_id=Subquery(self._named_city(text)))]
        # "@…" is a handle, matched exactly: no words are close to it. Nor are words said
        # with websearch's operators (a "phrase", -not, or): they mean those words.
        close = None if text.exact else self._close_words_query(text)
        if close is not None:
            typed = self.filter(search_document=query).order_by().values("id")
            room = ~Exists(typed[SEARCH_CANDIDATES - 1 :])
            ways.append(Q(room, search_document=close))
        return ways

    def _close_words_query(self, text: SearchText) -> SearchQuery | None:
        """Every word of `text`, or a known word close to it (None: no word has one)."""
        near = SearchWord.objects.using(self.db).near(text.text, most=MAX_TERMS)
        if not any(close for _, close in near):
            return None
        query = None
        for word, close in near:
            either = SearchQuery(word, config=CONFIG)
            for other in close:
                either |= SearchQuery(other, config=CONFIG)
            query = either if query is None else query & either
        return query

    def _named_city(self, text: SearchText) -> models.QuerySet:
        """The id of the city the whole query names: close by trigrams, or one letter off."""
        city_model = self.model._meta.get_field("city").related_model
        close = Q(similarity__gte=CITY_SIMILARITY)
        if len(text.text) >= CITY_TYPO_MIN_LENGTH:
            close |= Q(edits__lte=CITY_TYPO_EDITS)
        # The trigram operator (pg_trgm's 0.3) picks the few candidates from the name
        # index; the edit distance is counted on those only.
        return (
            city_model.objects.filter(TrigramSimilar(F("name"), Value(text.text)))
            .annotate(
                similarity=TrigramSimilarity("name", Value(text.text)),
                edits=LevenshteinLessEqual(
                    Lower("name"), Value(text.text.lower()), CITY_TYPO_EDITS + 1
                ),
            )
            .filter(close)
            .order_by("-similarity", "edits", "-population", "id")
            .values("id")[:1]
        )

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
        return self.model.objects.filter(id__in=candidates).annotate(rank=rank).order_by(*RANKED)
