from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer import progress
from cmer.audit import checkpoints
from cmer.audit.chain import verify


class Command(BaseCommand):
    help = (
        "Verify the audit hash chain in bounded memory (from the latest purge anchor), then check "
        "that the latest checkpoint's head is still in it; name the first broken event."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="ranges of the chain verified in parallel (PostgreSQL); default: one per core",
        )
        parser.add_argument(
            "--checkpoint-file", default="", help="default: settings.CMER_AUDIT_CHECKPOINT_PATH"
        )
        parser.add_argument(
            "--require-checkpoint",
            action="store_true",
            help="fail when there is no checkpoint to compare with (production)",
        )

    def handle(
        self,
        *args: Any,
        batch: int,
        processes: int,
        checkpoint_file: str,
        require_checkpoint: bool,
        **options: Any,
    ) -> None:
        try:
            result = verify_with_progress(self, batch=batch, processes=processes)
        except BrokenProcessPool as exc:
            raise CommandError(
                "Verification stopped: a worker process ended before its range was verified "
                "(out of memory?). The chain is neither confirmed nor found broken: run again, "
                "with --processes 1 to verify in this process alone."
            ) from exc
        if not result.ok:
            raise CommandError(checkpoints.describe_failure(result))
        path = Path(checkpoint_file) if checkpoint_file else checkpoints.default_path()
        try:
            latest = checkpoints.read_latest(path)
        except checkpoints.CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if latest is None:
            if require_checkpoint:
                raise CommandError(f"No audit checkpoint in {path}: truncation cannot be ruled out.")
            note = f"no checkpoint in {path} (run audit_checkpoint regularly)"
        else:
            problem = checkpoints.check_against(latest)
            if problem:
                raise CommandError(f"Audit chain fails its checkpoint: {problem}.")
            note = f"checkpoint of {latest.at} (seq={latest.seq}) matches"
        start = f", from purge anchor seq={result.anchor_seq}" if result.anchor_seq else ""
        self.stdout.write(
            f"Audit chain intact: {result.checked} events{start}, head seq={result.head_seq}, "
            f"head hash={result.head_hash}; {note}"
        )


def verify_with_progress(command: BaseCommand, *, batch: int = 5000, processes: int = 1) -> Any:
    """verify() with a bar of events on a terminal (the count is only asked for then)."""
    from cmer.audit.models import AuditEvent

    stream = progress.stream_of(command)
    total = AuditEvent.objects.count() if progress.on_terminal(stream) else None
    with progress.bar("audit chain", total=total, unit="event", stream=stream) as events:
        return verify(batch=batch, on_batch=events.update, processes=processes)
