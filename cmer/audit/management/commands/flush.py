from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from cmer.audit import triggers


class Command(FlushCommand):
    """Django's flush, which empties every table, audit trail included.

    The append-only triggers would refuse it on SQLite (flush issues DELETE there), so they are
    lifted for the flush and put back. Used by the test runner between transactional tests.
    """

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.execute(connection, create=False)
        try:
            super().handle(**options)
        finally:
            triggers.execute(connection, create=True)
