from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer.audit.chain import verify
from cmer.audit.checkpoints import describe_failure
from cmer.privacy.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into a fresh, empty database (refused if not empty "
        "unless --force), then verify the audit chain on the copy."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--input", dest="source", required=True, help="backup file")
        parser.add_argument("--force", action="store_true", help="overwrite a non-empty database")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, source: str, force: bool, database: str, **options: Any) -> None:
        try:
            vendor = restore(Path(source), alias=database, force=force)
        except (BackupError, OSError) as exc:
            raise CommandError(f"Restore refused or failed: {exc}") from exc
        result = verify()
        if not result.ok:
            raise CommandError(f"Restored, but the audit chain does not verify: {describe_failure(result)}")
        self.stdout.write(
            f"Restored ({vendor}) from {source}; audit chain verifies: {result.checked} events, "
            f"head seq={result.head_seq}."
        )
