from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer.audit.chain import verify


class Command(BaseCommand):
    help = "Verify the audit hash chain in bounded memory; name the first broken event."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        result = verify(batch=batch)
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN at event seq={result.first_bad_seq} (id={result.first_bad_id}): "
                f"{result.reason}. {result.checked} events verified before it."
            )
        self.stdout.write(
            f"Audit chain intact: {result.checked} events, head seq={result.head_seq}, "
            f"head hash={result.head_hash}"
        )
