from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer.audit import checkpoints


class Command(BaseCommand):
    help = (
        "Verify the audit chain and append its head (seq, hash, count, time) as a JSON line to the "
        "checkpoint file outside the database. Run it daily (cron/timer)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default="", help="default: settings.CMER_AUDIT_CHECKPOINT_PATH")

    def handle(self, *args: Any, output: str, **options: Any) -> None:
        path = Path(output) if output else checkpoints.default_path()
        try:
            checkpoint = checkpoints.write_checkpoint(path)
        except checkpoints.CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Checkpoint written to {path}: seq={checkpoint.seq} hash={checkpoint.hash} "
            f"count={checkpoint.count}"
        )
