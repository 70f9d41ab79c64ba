"""Data migration: the approved catalogue v1 (cmer/training/catalogue_v1.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from cmer.training import catalogue_v1

    catalogue_v1.load(
        apps.get_model("training", "CatalogueVersion"),
        apps.get_model("training", "Domain"),
        apps.get_model("training", "Indicator"),
        apps.get_model("training", "Caveat"),
    )


def backwards(apps, schema_editor):
    apps.get_model("training", "CatalogueVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
