"""fuzzystrmatch (PostgreSQL contrib, like pg_trgm): `levenshtein_less_equal` lets search
take a query one letter off a city's name ("Lisbn") for that city (events/search.py).
CreateExtension does nothing on SQLite."""

import django.contrib.postgres.operations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0016_merge_upcoming_index"),
    ]

    operations = [
        django.contrib.postgres.operations.CreateExtension("fuzzystrmatch"),
    ]
