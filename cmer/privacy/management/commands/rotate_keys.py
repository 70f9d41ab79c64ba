from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer import progress
from cmer.core import crypto
from cmer.privacy.keys import KeyRotationError, pending_by_model, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field of every model (identities, free text, second-factor "
        "secrets) under the current key of CMER_FIELD_KEYS (the first id) and rebuild the persons' "
        "blind index, in atomic batches; resumable; verified at the end. Dry run unless --wet-run. "
        "Keep the old key in CMER_FIELD_KEYS until this has finished."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--wet-run", action="store_true", help="really re-encrypt (default: count)")
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="stop after this many batches (spread the work; the next run continues)",
        )

    def handle(
        self, *args: Any, wet_run: bool, batch_size: int, max_batches: int | None, **options: Any
    ) -> None:
        current = crypto.current_key_id()
        pending = pending_by_model()
        if not wet_run:
            detail = ", ".join(f"{label}: {n}" for label, n in pending.items()) or "none"
            self.stdout.write(
                f"DRY RUN: current key id {current}; records under another key: {detail}. "
                "Use --wet-run to re-encrypt."
            )
            return
        total = sum(pending.values())
        try:
            with progress.bar(
                "re-encryption", total=total, unit="record", stream=progress.stream_of(self)
            ) as records:
                report = rotate_keys(batch_size=batch_size, max_batches=max_batches, on_batch=records.update)
        except (KeyRotationError, ValueError) as exc:
            raise CommandError(f"Key rotation stopped: {exc} (completed batches are kept)") from exc
        done = f"Re-encrypted {report.rotated} records in {report.batches} batches under {current}"
        # One line, whatever happened: off a terminal (cron) it is the whole report.
        if not report.finished:
            self.stdout.write(f"{done}; not finished: run the command again to continue.")
            return
        if report.verify is None or not report.verify.ok:
            failed = report.verify.failed if report.verify else "?"
            raise CommandError(
                f"{done}; verification FAILED: {failed} records not readable under {current}, "
                f"e.g. {', '.join(report.verify.bad[:10]) if report.verify else ''}."
            )
        self.stdout.write(
            f"{done}; verified: all {report.verify.checked} records decrypt under key id {current}."
        )
