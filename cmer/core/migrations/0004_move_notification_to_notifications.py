# The Notification model now belongs to the `notifications` app (its migration 0001 takes over
# the same table): core forgets it in Django's state only, the table stays.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_alter_notification_kind"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
