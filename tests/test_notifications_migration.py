"""Moving Notification from core to notifications keeps the table and its rows, and turns the
stored URLs into targets. Run on a scratch SQLite file through manage.py, like a real upgrade."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UPGRADE = """
from django.core.management import call_command
from django.db import connection
from cmer.accounts.models import User
# The schema as it was before the move: the model still in core, with its URL column.
call_command("migrate", "core", "0003", verbosity=0)
call_command("migrate", "accounts", verbosity=0)
u = User.objects.create(email="m@example.test", first_name="A", last_name="B")
with connection.cursor() as c:
    for kind, url in [
        ("referral_to_qualify", "/situations/12/qualifier/"),
        ("meeting_convened", "/reunions/3/"),
        ("action_due", "/accompagnement/actions/7/"),
        ("feedback_overdue", "/echanges/transmissions/"),
        ("certification_expiring", "/formation/"),
    ]:
        c.execute(
            "INSERT INTO core_notification (recipient_id, cell_id, kind, url, created_at, email_due, "
            "email_attempts) VALUES (%s, NULL, %s, %s, CURRENT_TIMESTAMP, 0, 0)",
            [u.pk, kind, url],
        )
call_command("migrate", "notifications", verbosity=0)
"""


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


def test_upgrade_keeps_the_rows_and_derives_targets_from_the_old_urls(tmp_path):
    db = tmp_path / "upgrade.sqlite3"
    env = {**os.environ, "CMER_DEBUG": "1", "DATABASE_URL": f"sqlite:///{db}", "CMER_TESTING": "0"}
    _manage(env, "shell", "-c", UPGRADE)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind, target_type, target_id FROM core_notification ORDER BY id"
        ).fetchall()
        columns = {r[1] for r in conn.execute("PRAGMA table_info(core_notification)")}
    assert rows == [
        ("referral_to_qualify", "cases.case", 12),
        ("meeting_convened", "meetings.meeting", 3),
        ("action_due", "cases.action", 7),
        ("feedback_overdue", "", None),
        ("certification_expiring", "", None),
    ]
    assert "url" not in columns
