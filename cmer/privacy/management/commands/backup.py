from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer import progress
from cmer.core.health import BACKUP, beat
from cmer.privacy.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database: SQLite online backup API, or pg_dump -Fc for "
        "PostgreSQL. The file holds (encrypted) personal data: it is created mode 0600."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", required=True, help="file to write (replaced if present)")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, output: str, database: str, **options: Any) -> None:
        try:
            with progress.bar("backup", total=None, unit="step", stream=progress.stream_of(self)) as steps:
                info = backup(Path(output), alias=database, on_step=progress.follow(steps))
        except (BackupError, OSError) as exc:
            raise CommandError(f"Backup failed: {exc}") from exc
        # The DPIA reads this time to state whether backups are actually made.
        beat(BACKUP)
        self.stdout.write(f"Backup written ({info.vendor}, {info.size} bytes): {info.path}")
