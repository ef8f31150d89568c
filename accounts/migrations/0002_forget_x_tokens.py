"""Forget the X access and refresh tokens kept at sign-in: nothing uses them.

SOCIALACCOUNT_STORE_TOKENS is now off; a feature that needs a user's token will ask for
it again and keep it encrypted at rest.
"""

from django.db import migrations


def forget_x_tokens(apps, schema_editor):
    apps.get_model("socialaccount", "SocialToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [migrations.RunPython(forget_x_tokens, migrations.RunPython.noop)]
