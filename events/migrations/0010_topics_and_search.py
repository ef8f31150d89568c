"""Topics (seeded with a curated list admins can edit) and search.

The GIN indexes (the stored search document, trigrams on titles, hashtags and city names)
and pg_trgm exist on PostgreSQL only; on SQLite those operations do nothing and search
falls back to a simpler match (events/search.py).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.contrib.postgres.search
import django.db.models.functions.text
import events.indexes
import events.search
from django.conf import settings
from django.db import migrations, models


class AddIndexOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


TOPICS = [
    ("Tech", "tech", "Code, gadgets and the people who make them."),
    ("Startups", "startups", "Founders, builders and the ones thinking about it."),
    ("Design", "design", "Product, graphic and type design."),
    ("Books", "books", "Book clubs, readings and literary drinks."),
    ("Running", "running", "Group runs, from easy 5k to long Sundays."),
    ("Gaming", "gaming", "Video, board and tabletop games."),
    ("Music", "music", "Gigs, listening parties and jam sessions."),
    ("Photography", "photography", "Photo walks and camera talk."),
    ("Food & drink", "food-and-drink", "Dinners, coffee, beers and tastings."),
    ("Art", "art", "Galleries, museums and making things."),
    ("Science", "science", "Science, space, nature and the curious."),
    ("Media & journalism", "media", "Reporters, writers and podcasters."),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("events", "Topic")
    for name, slug, description in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})


def remove_topics(apps, schema_editor):
    apps.get_model("events", "Topic").objects.filter(slug__in=[t[1] for t in TOPICS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0009_places'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        django.contrib.postgres.operations.TrigramExtension(),
        migrations.CreateModel(
            name='Topic',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, unique=True)),
                ('slug', models.SlugField(unique=True)),
                ('description', models.CharField(blank=True, help_text="One line for the topic's page.", max_length=200)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        AddIndexOnPostgres(
            model_name='city',
            index=events.indexes.PostgresGinIndex(django.contrib.postgres.indexes.OpClass('name', name='gin_trgm_ops'), name='city_name_trgm_idx'),
        ),
        migrations.AddIndex(
            model_name='city',
            index=models.Index(fields=['latitude', 'longitude'], name='city_point_idx'),
        ),
        migrations.AddField(
            model_name='tweetup',
            name='topics',
            field=models.ManyToManyField(blank=True, related_name='tweetups', to='events.topic'),
        ),
        migrations.AddIndex(
            model_name='tweetup',
            index=models.Index(fields=['venue_latitude', 'venue_longitude', 'starts_at'], name='tweetup_venue_idx'),
        ),
        migrations.AddField(
            model_name='tweetup',
            name='search_document',
            field=models.GeneratedField(db_persist=True, expression=events.search.PerVendor(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('title', 'hashtag', config='english', weight='A'), '||', django.contrib.postgres.search.SearchVector('venue_name', 'venue_address', config='english', weight='B'), django.contrib.postgres.search.SearchConfig('english')), '||', django.contrib.postgres.search.SearchVector('description', config='english', weight='C'), django.contrib.postgres.search.SearchConfig('english')), django.db.models.functions.text.Lower(django.db.models.functions.text.Concat(models.F('title'), models.Value(' '), models.F('hashtag'), models.Value(' '), models.F('venue_name'), models.Value(' '), models.F('venue_address'), models.Value(' '), models.F('description'), output_field=models.TextField()))), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        AddIndexOnPostgres(
            model_name='tweetup',
            index=events.indexes.PostgresGinIndex(fields=['search_document'], name='tweetup_search_idx'),
        ),
        AddIndexOnPostgres(
            model_name='tweetup',
            index=events.indexes.PostgresGinIndex(django.contrib.postgres.indexes.OpClass('title', name='gin_trgm_ops'), name='tweetup_title_trgm_idx'),
        ),
        AddIndexOnPostgres(
            model_name='tweetup',
            index=events.indexes.PostgresGinIndex(django.contrib.postgres.indexes.OpClass('hashtag', name='gin_trgm_ops'), name='tweetup_hashtag_trgm_idx'),
        ),
        migrations.RunPython(add_topics, remove_topics),
    ]
