"""Database triggers that make the audit trail append-only (docs/security.md #8).

Version 2 (migration 0003) keeps UPDATE refused always, and refuses DELETE except for the
retention purge: a row may go only if its seq is below the bound of a row of the permit table
(`audit_auditpurgepermit`) that matches a recorded anchor (`audit_auditanchor`). `purge_audit`
inserts the anchor and the permit, deletes, and removes the permit, all in one transaction, so no
other session ever sees an open permit (PostgreSQL) or can write meanwhile (SQLite's single
writer). Anchors themselves are append-only. On PostgreSQL TRUNCATE is refused too.

Version 1 (migration 0002) is kept verbatim so that migration keeps meaning what it meant.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
ANCHOR = "audit_auditanchor"
PERMIT = "audit_auditpurgepermit"

# A DELETE is permitted for this row only when an open permit, matching an anchor, covers its seq.
# (Constant table names only: no value ever reaches this SQL.)
_PERMITTED = (
    "EXISTS (SELECT 1 FROM audit_auditpurgepermit p JOIN audit_auditanchor a "
    "ON a.first_seq = p.below_seq WHERE OLD.seq < p.below_seq)"
)

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
        WHEN NOT {_PERMITTED}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_anchor_no_update BEFORE UPDATE ON {ANCHOR}
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_anchor_no_delete BEFORE DELETE ON {ANCHOR}
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_no_update",
    "DROP TRIGGER IF EXISTS audit_no_delete",
    "DROP TRIGGER IF EXISTS audit_anchor_no_update",
    "DROP TRIGGER IF EXISTS audit_anchor_no_delete",
]

PG_CREATE = [
    f"""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND TG_TABLE_NAME = '{TABLE}' AND {_PERMITTED} THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION USING MESSAGE = 'audit trail is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME;
       END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON {ANCHOR}",
    f"""CREATE TRIGGER audit_anchor_no_update_delete BEFORE UPDATE OR DELETE ON {ANCHOR}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON {ANCHOR}",
    f"""CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON {ANCHOR}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]
PG_DROP = [
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON {ANCHOR}",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON {ANCHOR}",
]

# Version 1, as installed by migration 0002 (before anchors and permits existed).
SQLITE_CREATE_V1 = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DROP_V1 = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]
PG_CREATE_V1 = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
PG_DROP_V1 = [f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}"]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql)


def statements(vendor: str, create: bool, version: int = 2) -> list[str]:
    if vendor == "postgresql":
        if version == 1:
            return PG_CREATE_V1 if create else PG_DROP_V1
        return PG_CREATE if create else PG_DROP
    if vendor == "sqlite":
        if version == 1:
            return SQLITE_CREATE_V1 if create else SQLITE_DROP_V1
        return SQLITE_CREATE if create else SQLITE_DROP
    raise NotImplementedError(f"no append-only trigger for {vendor}")


def install_v1(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, create=True, version=1))


def uninstall_v1(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, create=False, version=1))


def upgrade_to_v2(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, statements(vendor, create=False, version=1))
    _run(schema_editor, statements(vendor, create=True, version=2))


def downgrade_to_v1(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, statements(vendor, create=False, version=2))
    _run(schema_editor, statements(vendor, create=True, version=1))


def execute(connection: Any, create: bool) -> None:
    """Drop or (re)create the current triggers outside migrations (flush, tests)."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, create):
            cursor.execute(sql)
