"""The words tweetups use, for search to find what a typo meant (events/search.py)."""

from django.contrib.postgres.indexes import OpClass
from django.db import connections, models

from events.indexes import PostgresGinIndex

# Words shorter than this have too few trigrams to tell a typo from another word; words
# without a letter (numbers, hashtags' numeric tails) are not worth correcting. (Migration
# 0020's events_search_word_kept() says the same in SQL.)
MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 40
NEAR_WORDS = 3  # close words tried for each word of a query
# Words this long (or shorter) one letter off a word are close even when they share
# few trigrams ("bokk" and "book": 0.25, under pg_trgm's 0.3).
EDIT_MAX_LENGTH = 7

# Its letters in order: two words of the same letters with two edits between them are the
# same word with two letters swapped ("tehc", "tech"), one slip of the fingers.
LETTERS = "array_to_string(ARRAY(SELECT unnest(regexp_split_to_array({0}, '')) ORDER BY 1), '')"

# The word with each two neighbouring letters swapped, one swap a word: "wlak" gives
# "lwak", "walk", "wlka".
SWAPPED = (
    "ARRAY(SELECT overlay({0} PLACING substr({0}, i + 1, 1) || substr({0}, i, 1) FROM i FOR 2)"
    " FROM generate_series(1, length({0}) - 1) AS i)"
)

# Constants only are put in it; the text comes as a parameter.
NEAR_SQL = f"""
SELECT typed.token, ARRAY(
    SELECT near.word FROM (
        SELECT w.word, w.tweetups, levenshtein_less_equal(w.word, typed.token, 2) AS edits
        FROM events_searchword w
        WHERE typed.kept AND w.word %% typed.token
        UNION ALL
        SELECT w.word, w.tweetups, 1 AS edits
        FROM events_searchword w
        WHERE typed.kept AND length(typed.token) BETWEEN 4 AND {EDIT_MAX_LENGTH}
          AND (w.word LIKE typed.head || '%%' OR w.word LIKE '%%' || typed.tail)
          AND length(w.word) BETWEEN length(typed.token) - 1 AND length(typed.token) + 1
          AND (
            levenshtein_less_equal(w.word, typed.token, 1) <= 1
            OR length(w.word) = length(typed.token)
               AND levenshtein_less_equal(w.word, typed.token, 2) = 2
               AND {LETTERS.format("w.word")} = typed.letters
          )
        UNION ALL
        -- Two letters side by side swapped, a one-edit slip as Damerau counts it. Those in
        -- the middle of a four-letter word ("wlak") keep neither its first two letters nor
        -- its last two, so the lookup above can't find them: each word the typed one
        -- makes with two neighbours swapped (a few) is looked up by the list's key.
        SELECT w.word, w.tweetups, 1 AS edits
        FROM events_searchword w
        WHERE typed.kept AND length(typed.token) BETWEEN 4 AND {EDIT_MAX_LENGTH}
          AND w.word = ANY(typed.swapped)
    ) AS near
    WHERE near.word <> typed.token
    GROUP BY near.word, near.tweetups
    ORDER BY min(near.edits), similarity(near.word, typed.token) DESC, near.tweetups DESC,
             near.word
    LIMIT {NEAR_WORDS}
)
FROM (
    SELECT t.lexeme AS token, t.positions[1] AS first,
           events_search_word_kept(t.lexeme) AS kept,
           {LETTERS.format("t.lexeme")} AS letters,
           {SWAPPED.format("t.lexeme")} AS swapped,
           -- One slip in a word of four letters or more leaves its first two letters or its
           -- last two as they were: the trigram index finds the words that start or end so.
           replace(replace(replace(left(t.lexeme, 2), '\\', '\\\\'), '%%', '\\%%'), '_', '\\_')
               AS head,
           replace(replace(replace(right(t.lexeme, 2), '\\', '\\\\'), '%%', '\\%%'), '_', '\\_')
               AS tail
    FROM unnest(to_tsvector('simple', %s)) AS t
) AS typed
ORDER BY typed.first
LIMIT %s
"""  # noqa: S608


class SearchWordQuerySet(models.QuerySet):
    def near(self, text: str, *, most: int) -> list[tuple[str, list[str]]]:
        """Each word of `text` (at most `most`, split as full-text search splits them), with
        the known words closest to it: one letter off first, then by trigram similarity,
        then the more used. One query, each word a trigram index lookup. PostgreSQL only."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(NEAR_SQL, [text, most])
            return [(token, list(words)) for token, words in cursor.fetchall()]


class SearchWord(models.Model):
    """A word of scheduled tweetups' titles, hashtags, venues and descriptions, as full-text
    search splits them, lower-cased and unstemmed, and how many tweetups use it.

    On PostgreSQL triggers keep it in step with every write to tweetups, in the same
    transaction: created, edited, cancelled, deleted, bulk-created or truncated (migration
    0020). It grows with the vocabulary, not with the tweetups: a trigram match over it
    stays small where one over every title grew with them.
    """

    word = models.CharField(max_length=MAX_WORD_LENGTH, primary_key=True)
    # A plain integer: a trigger adds each write's changes (some negative) and then drops
    # the words no tweetup uses any more.
    tweetups = models.IntegerField()

    objects = SearchWordQuerySet.as_manager()

    class Meta:
        indexes = [
            PostgresGinIndex(OpClass("word", name="gin_trgm_ops"), name="searchword_trgm_idx"),
        ]

    def __str__(self):
        return self.word
