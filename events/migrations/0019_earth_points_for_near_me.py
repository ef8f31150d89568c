"""Near me on PostgreSQL: the `cube` and `earthdistance` contrib extensions, and GiST
indexes of venues' and cities' points on the Earth (`ll_to_earth(lat, lon)`; a venue's with
its start, through btree_gist from migration 0002), which
"within N km" asks for a box around the circle (events/queries.py).

On SQLite CreateExtension does nothing and the indexes are plain ones of the same columns
(events/indexes.py): distances there keep to latitude/longitude boxes.
"""

import django.contrib.postgres.operations
import events.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0018_atom_feed_indexes"),
    ]

    operations = [
        django.contrib.postgres.operations.CreateExtension("cube"),
        django.contrib.postgres.operations.CreateExtension("earthdistance"),
        migrations.AddIndex(
            model_name="city",
            index=events.indexes.PostgresGistIndex(
                events.indexes.LlToEarth("latitude", "longitude"), name="city_earth_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="tweetup",
            index=events.indexes.PostgresGistIndex(
                events.indexes.LlToEarth("venue_latitude", "venue_longitude"),
                models.F("starts_at"),
                condition=models.Q(("venue_latitude__isnull", False)),
                name="tweetup_venue_earth_idx",
            ),
        ),
    ]
