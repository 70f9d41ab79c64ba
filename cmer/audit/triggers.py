"""Database triggers that make the audit table append-only (security.md #8)."""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]

PG_CREATE = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
PG_DROP = [f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}"]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql)


def statements(vendor: str, create: bool) -> list[str]:
    if vendor == "postgresql":
        return PG_CREATE if create else PG_DROP
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    raise NotImplementedError(f"no append-only trigger for {vendor}")


def install(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, create=True))


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, create=False))


def execute(connection: Any, create: bool) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, create):
            cursor.execute(sql)
