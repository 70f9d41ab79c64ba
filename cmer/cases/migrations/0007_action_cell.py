"""Actions carry their case's cell (the dashboard's due-actions card asks by cell; bench P3)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_proconnect_identity"),
        ("cases", "0006_encrypt_free_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="cell",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.cell",
            ),
        ),
        # Plain SQL, valid on SQLite and PostgreSQL: no live model is imported.
        migrations.RunSQL(
            "UPDATE cases_action SET cell_id = "
            "(SELECT cases_case.cell_id FROM cases_case WHERE cases_case.id = cases_action.case_id)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="action",
            name="cell",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.cell",
            ),
        ),
        migrations.AddIndex(
            model_name="action",
            index=models.Index(fields=["cell", "result", "end_on"], name="action_cell_due"),
        ),
    ]
