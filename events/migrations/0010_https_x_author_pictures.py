"""Post authors' pictures stored as http: URLs are blocked by the CSP's img-src; X serves
them over https (accounts/migrations/0003_https_avatars.py did the same for people)."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr


def upgrade_pictures(apps, schema_editor):
    insecure = (
        apps.get_model("events", "XAuthor")
        .objects.filter(profile_image_url__istartswith="http://")
        .annotate(length=Length("profile_image_url"))
    )
    # One character longer: a URL already at the column's 500 can't grow, so it goes (the
    # initials show, and the author's next post brings a fresh one).
    insecure.filter(length__gte=500).update(profile_image_url="")
    insecure.update(
        profile_image_url=Concat(Value("https://"), Substr("profile_image_url", len("http://") + 1))
    )


class Migration(migrations.Migration):
    dependencies = [("events", "0009_places")]

    operations = [migrations.RunPython(upgrade_pictures, migrations.RunPython.noop)]
