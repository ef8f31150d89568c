"""Avatars stored as http: URLs are blocked by the CSP's img-src; X serves them over https."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr


def upgrade_avatars(apps, schema_editor):
    insecure = (
        apps.get_model("accounts", "User")
        .objects.filter(avatar_url__istartswith="http://")
        .annotate(length=Length("avatar_url"))
    )
    # One character longer: a URL already at the column's 500 can't grow, so it goes (the
    # initials show, and the next sign-in brings a fresh one).
    insecure.filter(length__gte=500).update(avatar_url="")
    insecure.update(avatar_url=Concat(Value("https://"), Substr("avatar_url", len("http://") + 1)))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_forget_x_tokens")]

    operations = [migrations.RunPython(upgrade_avatars, migrations.RunPython.noop)]
