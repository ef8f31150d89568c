"""Each tweetup's VEVENT kept beside it (`TweetupVevent`), so a calendar feed with nothing
cached puts texts together instead of writing every event (events/calendar_feeds.py).

The existing rows' texts are written here, read and written a thousand tweetups at a time,
by today's `events.calendar_feeds` (a VEVENT is its code's output) into this migration's table. A feed
checks every text against what it would be written from now, so one written by older or
newer code is never served: it costs that event a write. Elidable: a squash may drop it, and
`manage.py store_vevents` does the same.
"""

import django.db.models.deletion
from django.db import migrations, models


def store_vevents(apps, schema_editor):
    from events.calendar_feeds import store_all_vevents
    from events.models import Tweetup

    TweetupVevent = apps.get_model("events", "TweetupVevent")
    store_all_vevents(Tweetup.objects.using(schema_editor.connection.alias), model=TweetupVevent)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0021_drop_title_and_hashtag_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TweetupVevent",
            fields=[
                (
                    "tweetup",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="vevent",
                        serialize=False,
                        to="events.tweetup",
                    ),
                ),
                ("fields_key", models.CharField(max_length=64)),
                (
                    "tzids",
                    models.CharField(
                        blank=True, help_text="Zones it names, by spaces.", max_length=200
                    ),
                ),
                ("ical", models.TextField()),
            ],
        ),
        migrations.RunPython(store_vevents, migrations.RunPython.noop, elidable=True),
    ]
