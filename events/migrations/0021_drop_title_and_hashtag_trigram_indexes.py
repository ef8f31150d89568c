"""Search matches typos on its word list (migration 0020), not on every title and hashtag:
their trigram indexes have no reader left, and every write to a tweetup kept them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0020_search_words"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="tweetup", name="tweetup_title_trgm_idx"),
        migrations.RemoveIndex(model_name="tweetup", name="tweetup_hashtag_trgm_idx"),
    ]
