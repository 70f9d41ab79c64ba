"""Cases opened by an urgent signalement before cases knew about urgency become urgent cases.

Their deadline is the received time plus the default 24 hours (docs/rules.md §3.1); the cases
app cannot do this itself because referrals are built on cases, not the other way round.
"""

from datetime import timedelta

from django.db import migrations

URGENT_HOURS = 24  # frozen: the default of CMER_URGENT_PREQUALIFICATION_HOURS when this ran


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Referral = apps.get_model("referrals", "Referral")
    Case = apps.get_model("cases", "Case")
    for referral in Referral.objects.filter(urgent=True).only("case_id", "received_at"):
        Case.objects.filter(pk=referral.case_id, urgent=False).update(
            urgent=True, prequalification_due_at=referral.received_at + timedelta(hours=URGENT_HOURS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_urgent"),
        ("referrals", "0002_submission_key"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
