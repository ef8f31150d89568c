"""Hashtags of scheduled tweetups whose times overlap are unique, case-insensitively.

An exclusion constraint is PostgreSQL-only; on SQLite (the `make run` default) the
service's own check is the guard, so these operations do nothing there.
"""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                """
                ALTER TABLE events_tweetup ADD CONSTRAINT tweetup_hashtag_no_overlap
                EXCLUDE USING gist (
                    lower(hashtag) WITH =,
                    tstzrange(starts_at, ends_at) WITH &&
                ) WHERE (status = 'scheduled')
                """,
            ],
            reverse_sql=["ALTER TABLE events_tweetup DROP CONSTRAINT tweetup_hashtag_no_overlap"],
        ),
    ]
