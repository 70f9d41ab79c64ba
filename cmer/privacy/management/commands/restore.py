from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer import progress
from cmer.audit.checkpoints import describe_failure
from cmer.audit.management.commands.verify_audit import verify_with_progress
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
            with progress.bar("restore", total=None, unit="step", stream=progress.stream_of(self)) as steps:
                vendor = restore(Path(source), alias=database, force=force, on_step=progress.follow(steps))
        except (BackupError, OSError) as exc:
            raise CommandError(f"Restore refused or failed: {exc}") from exc
        result = verify_with_progress(self)
        if not result.ok:
            raise CommandError(f"Restored, but the audit chain does not verify: {describe_failure(result)}")
        self.stdout.write(
            f"Restored ({vendor}) from {source}; audit chain verifies: {result.checked} events, "
            f"head seq={result.head_seq}."
        )
