# A notification points at an object (model label + id) instead of storing a URL. Existing rows
# get their target from the URL they stored; the patterns below are frozen copies of the paths
# in use when this migration was written (a migration never imports live URL configuration).

import re

from django.db import migrations, models

URL_TARGETS = [
    (re.compile(r"^/situations/(\d+)/"), "cases.case"),
    (re.compile(r"^/signalements/(\d+)/"), "referrals.referral"),
    (re.compile(r"^/reunions/(\d+)/"), "meetings.meeting"),
    (re.compile(r"^/echanges/transmissions/(\d+)/"), "exchange.transmission"),
    (re.compile(r"^/accompagnement/actions/(\d+)/"), "cases.action"),
]


def url_to_target(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Charter = apps.get_model("accounts", "Charter")
    for n in Notification.objects.exclude(url="").iterator():
        for pattern, target_type in URL_TARGETS:
            match = pattern.match(n.url)
            if match:
                n.target_type, n.target_id = target_type, int(match.group(1))
                n.save(update_fields=["target_type", "target_id"])
                break
    # The charter reminder finds what it sent by target: give the existing reminders the charter
    # version in force when they were sent, so nobody is reminded twice of the same version.
    for n in Notification.objects.filter(kind="charter_to_accept", target_id__isnull=True).iterator():
        charter = (
            Charter.objects.filter(cell_id=n.cell_id, effective_date__lte=n.created_at.date())
            .order_by("-version")
            .first()
        )
        if charter is not None:
            n.target_type, n.target_id = "accounts.charter", charter.pk
            n.save(update_fields=["target_type", "target_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_cell_meeting_cadence_weeks_and_more"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="target_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="notification",
            name="target_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(url_to_target, migrations.RunPython.noop),
        migrations.RemoveField(model_name="notification", name="url"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["target_type", "target_id"], name="notif_target_idx"),
        ),
    ]
