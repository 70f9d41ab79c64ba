from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cmer.audit.services import audit_purge


class Command(BaseCommand):
    help = (
        "Delete audit events older than the retention (CMER_AUDIT_RETENTION_DAYS, default 365) "
        "while keeping the chain verifiable from a keyed anchor. Dry run unless --wet-run."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--wet-run", action="store_true", help="really delete (default: count only)")
        parser.add_argument("--retention-days", type=int, default=None)

    def handle(self, *args: Any, wet_run: bool, retention_days: int | None, **options: Any) -> None:
        days = retention_days if retention_days is not None else settings.CMER_AUDIT_RETENTION_DAYS
        try:
            report = audit_purge(retention_days=days, wet_run=wet_run)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not wet_run:
            self.stdout.write(
                f"DRY RUN: {report.due} audit events older than {report.cutoff.isoformat()} would be "
                f"deleted; the chain would start at seq={report.first_seq}. Use --wet-run to act."
            )
            return
        self.stdout.write(
            f"Deleted {report.deleted} audit events older than {report.cutoff.isoformat()}; "
            f"the chain now starts at seq={report.first_seq}."
        )
