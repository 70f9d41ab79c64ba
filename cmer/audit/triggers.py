"""Database triggers that make the audit trail append-only (docs/security.md #8).

Version 3 (migration 0005) is version 2 plus one narrow UPDATE: the per-cell redaction
(`audit_redact`, docs/decisions/0008-audit-retention-per-cell.md). An UPDATE of an event is
accepted only while a row of `audit_auditredactionpermit` names the event's cell and a moment
after its creation, and only when it sets a 64-character `inner_digest` on a row that had none,
keeps `id`, `seq`, `created_at`, `prev_hash` and `hash`, and blanks everything else (actor, cell,
action, target, outcome, request id, IP, data). Any other UPDATE is refused, as before. The
database cannot check the digest (it has no key): a wrong one fails `verify_audit`.

Version 2 (migration 0003) keeps UPDATE refused always, and refuses DELETE except for the
retention purge: a row may go only if its seq is below the bound of a row of the permit table
(`audit_auditpurgepermit`) that matches a recorded anchor (`audit_auditanchor`). `purge_audit`
inserts the anchor and the permit, deletes, and removes the permit, all in one transaction, so no
other session ever sees an open permit (PostgreSQL) or can write meanwhile (SQLite's single
writer). The redaction's permit works the same way. Anchors themselves are append-only. On
PostgreSQL TRUNCATE is refused too.

Versions 1 (migration 0002) and 2 are kept verbatim so those migrations keep meaning what they
meant.
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

# Version 2, installed by migration 0003.
SQLITE_CREATE_V2 = [
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
SQLITE_DROP_V2 = [
    "DROP TRIGGER IF EXISTS audit_no_update",
    "DROP TRIGGER IF EXISTS audit_no_delete",
    "DROP TRIGGER IF EXISTS audit_anchor_no_update",
    "DROP TRIGGER IF EXISTS audit_anchor_no_delete",
]

PG_CREATE_V2 = [
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
PG_DROP_V2 = [
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON {ANCHOR}",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON {ANCHOR}",
]

# An UPDATE is permitted for this row only when it is the redaction of an event of a cell whose
# open permit covers its creation: the digest set once, the chain columns kept, the rest blanked.
# (Constant names and literals only; `{empty}` is the empty JSON object in the vendor's type.)
_REDACTION = (
    "EXISTS (SELECT 1 FROM audit_auditredactionpermit r "
    "WHERE r.cell_id = OLD.cell_id AND OLD.created_at < r.before) "
    "AND OLD.inner_digest = '' AND length(NEW.inner_digest) = 64 "
    "AND NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.created_at = OLD.created_at "
    "AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash "
    "AND NEW.actor_id IS NULL AND NEW.cell_id IS NULL AND NEW.action = '' "
    "AND NEW.target_type = '' AND NEW.target_id = '' AND NEW.outcome = '' "
    "AND NEW.request_id = '' AND NEW.ip IS NULL AND NEW.data = {empty}"
)

# Version 3, installed by migration 0005: the current one.
SQLITE_CREATE = [
    # coalesce: a WHEN that is NULL would not fire, so an unknown is a refusal too.
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {TABLE}
        WHEN coalesce(NOT ({_REDACTION.format(empty="'{}'")}), 1)
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    *SQLITE_CREATE_V2[1:],
]
SQLITE_DROP = SQLITE_DROP_V2

PG_CREATE = [
    # Nested IFs: the inner conditions name columns only the event table has, and PL/pgSQL
    # evaluates an expression only when its branch is reached.
    f"""CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_TABLE_NAME = '{TABLE}' THEN
           IF TG_OP = 'DELETE' THEN
             IF {_PERMITTED} THEN
               RETURN OLD;
             END IF;
           ELSIF TG_OP = 'UPDATE' THEN
             IF {_REDACTION.format(empty="'{}'::jsonb")} THEN
               RETURN NEW;
             END IF;
           END IF;
         END IF;
         RAISE EXCEPTION USING MESSAGE = 'audit trail is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME;
       END; $$ LANGUAGE plpgsql""",
    *PG_CREATE_V2[1:],
]
PG_DROP = PG_DROP_V2


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


_VERSIONS = {
    "postgresql": {1: (PG_CREATE_V1, PG_DROP_V1), 2: (PG_CREATE_V2, PG_DROP_V2), 3: (PG_CREATE, PG_DROP)},
    "sqlite": {
        1: (SQLITE_CREATE_V1, SQLITE_DROP_V1),
        2: (SQLITE_CREATE_V2, SQLITE_DROP_V2),
        3: (SQLITE_CREATE, SQLITE_DROP),
    },
}


def statements(vendor: str, create: bool, version: int = 3) -> list[str]:
    if vendor not in _VERSIONS:
        raise NotImplementedError(f"no append-only trigger for {vendor}")
    create_sql, drop_sql = _VERSIONS[vendor][version]
    return create_sql if create else drop_sql


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


def upgrade_to_v3(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, statements(vendor, create=False, version=2))
    _run(schema_editor, statements(vendor, create=True, version=3))


def downgrade_to_v2(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, statements(vendor, create=False, version=3))
    _run(schema_editor, statements(vendor, create=True, version=2))


def execute(connection: Any, create: bool) -> None:
    """Drop or (re)create the current triggers outside migrations (flush, tests)."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, create):
            cursor.execute(sql)
