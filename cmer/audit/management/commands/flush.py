from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand


class Command(FlushCommand):
    """Django's flush would empty every table, the append-only audit trail included: refused.

    The database triggers would refuse it anyway (and roll everything back); saying so plainly
    spares the operator Django's generic "couldn't be flushed". The test runner empties the
    database between tests with its own, test-only version (tests/audit_flush.py).
    """

    help = "Refused: the audit trail is append-only (only purge_audit removes old events)."

    def handle(self, **options: Any) -> None:
        raise CommandError(
            "flush is refused: it would erase the append-only audit trail. Nothing was deleted. "
            "Old audit events are removed only by purge_audit; restore a backup to start over."
        )
