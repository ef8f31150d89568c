"""Search's word list (`SearchWord`): the words of scheduled tweetups, each with how many
use it, where a query's typo is matched by trigrams (events/search.py) instead of every
title being.

On PostgreSQL statement-level triggers on events_tweetup keep it in step, in the same
transaction as the write, whatever makes it (a service, the admin, bulk_create, a bulk
update, TRUNCATE): a word comes with the first scheduled tweetup that uses it and goes with
the last. Only rows whose words or status changed cost anything: an RSVP's seat count
update is one join of one row. On SQLite (which searches without it) the table stays
empty.
"""

import django.contrib.postgres.indexes
from django.db import migrations, models

import events.indexes

# What a tweetup says, as events.search.tweetup_document reads it; the words are split as
# full-text search splits them ('simple': lower-cased, unstemmed).
TEXT = "concat_ws(' ', {0}.title, {0}.hashtag, {0}.venue_name, {0}.venue_address, {0}.description)"
CHANGED = (
    "(n.title, n.hashtag, n.venue_name, n.venue_address, n.description, n.status)"
    " IS DISTINCT FROM (o.title, o.hashtag, o.venue_name, o.venue_address, o.description, o.status)"
)

FUNCTIONS = f"""
CREATE FUNCTION events_search_word_kept(word text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT length(word) BETWEEN 3 AND 40 AND word ~ '[[:alpha:]]' $$;

CREATE FUNCTION events_search_words(document text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT word FROM unnest(tsvector_to_array(to_tsvector('simple', document))) AS word
    WHERE events_search_word_kept(word)
$$;

CREATE FUNCTION events_searchword_count() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    words text[];
    amounts int[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM events_searchword;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, amounts
        FROM (
            SELECT w AS word, count(*)::int AS n
            FROM new_rows n, events_search_words({TEXT.format("n")}) AS w
            WHERE n.status = 'scheduled'
            GROUP BY w
        ) AS delta;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, amounts
        FROM (
            SELECT w AS word, -count(*)::int AS n
            FROM old_rows o, events_search_words({TEXT.format("o")}) AS w
            WHERE o.status = 'scheduled'
            GROUP BY w
        ) AS delta;
    ELSE
        -- The rows whose words or status changed, first: most updates (an RSVP's seat
        -- count) change neither, and cost no word splitting.
        WITH changed AS MATERIALIZED (
            SELECT n.status AS new_status, {TEXT.format("n")} AS new_text,
                   o.status AS old_status, {TEXT.format("o")} AS old_text
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE {CHANGED}
        )
        SELECT array_agg(word ORDER BY word), array_agg(n ORDER BY word) INTO words, amounts
        FROM (
            SELECT word, sum(n)::int AS n
            FROM (
                SELECT w AS word, 1 AS n
                FROM changed c, events_search_words(c.new_text) AS w
                WHERE c.new_status = 'scheduled'
                UNION ALL
                SELECT w AS word, -1 AS n
                FROM changed c, events_search_words(c.old_text) AS w
                WHERE c.old_status = 'scheduled'
            ) AS each_word
            GROUP BY word
            HAVING sum(n) <> 0
        ) AS delta;
    END IF;
    IF words IS NULL THEN
        RETURN NULL;
    END IF;
    -- In the words' order: two writers that share words lock them in the same order.
    INSERT INTO events_searchword AS s (word, tweetups)
    SELECT word, n FROM unnest(words, amounts) AS delta(word, n)
    ON CONFLICT (word) DO UPDATE SET tweetups = s.tweetups + EXCLUDED.tweetups;
    DELETE FROM events_searchword WHERE word = ANY(words) AND tweetups <= 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_searchword_insert AFTER INSERT ON events_tweetup
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_searchword_count();
CREATE TRIGGER events_searchword_update AFTER UPDATE ON events_tweetup
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_searchword_count();
CREATE TRIGGER events_searchword_delete AFTER DELETE ON events_tweetup
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION events_searchword_count();
CREATE TRIGGER events_searchword_truncate AFTER TRUNCATE ON events_tweetup
    FOR EACH STATEMENT EXECUTE FUNCTION events_searchword_count();

INSERT INTO events_searchword (word, tweetups)
SELECT w, count(*) FROM events_tweetup t, events_search_words({TEXT.format("t")}) AS w
WHERE t.status = 'scheduled'
GROUP BY w;
"""

REVERSE = """
DROP TRIGGER events_searchword_insert ON events_tweetup;
DROP TRIGGER events_searchword_update ON events_tweetup;
DROP TRIGGER events_searchword_delete ON events_tweetup;
DROP TRIGGER events_searchword_truncate ON events_tweetup;
DROP FUNCTION events_searchword_count();
DROP FUNCTION events_search_words(text);
DROP FUNCTION events_search_word_kept(text);
"""


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0019_earth_points_for_near_me"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("tweetups", models.IntegerField()),
            ],
            options={
                "indexes": [
                    events.indexes.PostgresGinIndex(
                        django.contrib.postgres.indexes.OpClass("word", name="gin_trgm_ops"),
                        name="searchword_trgm_idx",
                    )
                ],
            },
        ),
        PostgresOnlySQL(sql=FUNCTIONS, reverse_sql=REVERSE),
    ]
