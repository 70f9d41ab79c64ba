"""Test-only: `flush` puts back the rows every test starts from, audit triggers lifted meanwhile.

pytest-django ends every transactional test with `flush`. Production's `flush` is refused
(cmer/audit/management/commands/flush.py) and the append-only triggers would refuse Django's own
(DELETE on SQLite, TRUNCATE on PostgreSQL). The way around both lives here, in the test runner
only.

Django's flush cost about 5 s per transactional test on PostgreSQL (measured under load): TRUNCATE
of the ~80 tables (each one gets new files on disk, ~3 s), content types and permissions created
again (post_migrate, ~1 s), then the personas world committed again (~1 s). Instead, the rows the
session starts from (migrations' data, content types and permissions, the catalogue, the personas
world: ~450 rows) are read once, right after the world is committed (`take_snapshot`); the flush
then deletes every row of every table and inserts those rows back with the same ids, in one
transaction, foreign keys checked at commit, the audit triggers dropped and created again inside
it (~0.15 s). Every test, transactional or not, starts from the same rows; sequences are not
reset (as with Django's flush between tests).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections, transaction

from cmer.audit import triggers
from cmer.audit.management.commands.flush import Command as RefusingFlush

# Per database alias: (table, columns, rows) of every table that has rows at the session's start.
_snapshots: dict[str, list[tuple[str, list[str], list[tuple[Any, ...]]]]] = {}


def _tables(connection: Any) -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def take_snapshot(alias: str = "default") -> None:
    """Read the rows the next flushes put back (once the session's data is committed)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    snapshot = []
    with connection.cursor() as cursor:
        for table in _tables(connection):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows = cursor.fetchall()
            if rows:
                snapshot.append((table, [column[0] for column in cursor.description], rows))
    _snapshots[alias] = snapshot


def restore_snapshot(alias: str) -> None:
    """Empty every table and insert the snapshot back, in one transaction."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    defer = (
        "SET CONSTRAINTS ALL DEFERRED"
        if connection.vendor == "postgresql"
        else "PRAGMA defer_foreign_keys = ON"
    )
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(defer)
        triggers.execute(connection, create=False)
        for table in _tables(connection):
            cursor.execute(f"DELETE FROM {quote(table)}")
        for table, columns, rows in _snapshots.get(alias, []):
            names = ", ".join(quote(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
        triggers.execute(connection, create=True)


@pytest.fixture(scope="session", autouse=True)
def _flush_restores_the_snapshot():  # type: ignore[no-untyped-def]
    def handle(self: RefusingFlush, **options: Any) -> None:
        restore_snapshot(options["database"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RefusingFlush, "handle", handle)
        yield
