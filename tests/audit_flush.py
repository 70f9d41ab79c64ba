"""Test-only: let `flush` empty the audit tables between transactional tests.

pytest-django ends every transactional test with `flush`. Production's `flush` is refused
(cmer/audit/management/commands/flush.py) and the append-only triggers would refuse Django's own
(DELETE on SQLite, TRUNCATE on PostgreSQL). The way around both lives here, in the test runner
only: drop the triggers, run Django's flush, put the triggers back.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from cmer.audit import triggers
from cmer.audit.management.commands.flush import Command as RefusingFlush


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_audit_triggers():  # type: ignore[no-untyped-def]
    def handle(self: RefusingFlush, **options: Any) -> None:
        connection = connections[options["database"]]
        triggers.execute(connection, create=False)
        try:
            FlushCommand.handle(self, **options)
        finally:
            triggers.execute(connection, create=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RefusingFlush, "handle", handle)
        yield
