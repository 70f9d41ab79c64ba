"""Backup then restore into a fresh database: identical rows per table, and the audit chain
verifies on the copy (docs/security.md #19). The test runs on the backend of the run: SQLite by
default, PostgreSQL with DATABASE_URL=postgres://… (both are run before a commit).

The restore runs as a separate `manage.py` process pointed at a fresh database, as an operator
would run it; rows are then compared table by table with the test database.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cmer.audit.checkpoints import write_checkpoint
from cmer.audit.models import AuditAnchor
from cmer.audit.services import audit_purge, record
from cmer.cases.models import Person
from cmer.core import crypto
from cmer.core.health import BACKUP
from cmer.core.models import Heartbeat
from tests.factories_audit import bulk_chain

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "Zébulon-Canari"


def _person(cell, last: str, first: str, born: date) -> Person:
    return Person.objects.create(
        cell=cell,
        last_name=last,
        first_name=first,
        birth_date=born.isoformat(),
        birth_year=born.year,
        address="3 rue des Lilas, Marseille",
        name_index=crypto.blind_index(last, first, born.isoformat()),
        key_id=crypto.current_key_id(),
    )


def _populate(world) -> None:
    _person(world.a.cell, CANARY, "Élodie", date(2009, 4, 2))
    _person(world.b.cell, "N'Guyen", "Lou", date(2007, 12, 31))
    bulk_chain(50, start_at=timezone.now() - timedelta(days=400))
    for i in range(10):
        record(action="case.read", actor=world.a.user("coordinator"), cell=world.a.cell, target_id=i)
    audit_purge(retention_days=365, wet_run=True)  # the copy must carry the anchor too
    assert AuditAnchor.objects.count() == 1


def _table_rows(cursor, tables: list[str]) -> dict[str, list[tuple]]:
    rows = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')
        width = len(cursor.description)
        order = ", ".join(str(i) for i in range(1, width + 1))
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY {order}')
        rows[table] = [tuple(r) for r in cursor.fetchall()]
    return rows


def _manage(*args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CMER_SQLITE_PATH")}
    env.update(CMER_DEBUG="1", **env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _original_rows() -> tuple[list[str], dict[str, list[tuple]]]:
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        return tables, _table_rows(cursor, tables)


def _copy_rows_sqlite(path: Path, tables: list[str]) -> tuple[list[str], dict[str, list[tuple]]]:
    # Same type conversions as Django's own SQLite connection (converters are process-wide).
    copy = sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        names = [
            r[0]
            for r in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return sorted(names), _table_rows(copy.cursor(), tables)
    finally:
        copy.close()


def _pg_url(name: str) -> str:
    sd = connection.settings_dict
    return f"postgres://{sd['USER']}:{sd['PASSWORD']}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{name}"


def _pg_admin(*argv: str) -> None:
    sd = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": sd["PASSWORD"]}
    host = ["-h", sd["HOST"] or "127.0.0.1", "-p", str(sd["PORT"] or 5432), "-U", sd["USER"]]
    subprocess.run([argv[0], *host, *argv[1:]], env=env, check=True, capture_output=True, timeout=120)


def _copy_rows_pg(name: str, tables: list[str]) -> tuple[list[str], dict[str, list[tuple]]]:
    import psycopg
    from psycopg.types.string import TextLoader

    with psycopg.connect(_pg_url(name)) as copy:
        copy.adapters.register_loader("jsonb", TextLoader)  # as Django does: JSON read as text
        cursor = copy.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'"
        )
        names = sorted(r[0] for r in cursor.fetchall())
        return names, _table_rows(cursor, tables)


def test_backup_then_restore_into_fresh_database_is_identical_and_chain_verifies(world, tmp_path):
    _populate(world)
    checkpoint = tmp_path / "checkpoints.jsonl"
    write_checkpoint(checkpoint)
    dump = tmp_path / "cmer.backup"
    out, err = StringIO(), StringIO()
    call_command("backup", "--output", str(dump), stdout=out, stderr=err)
    # Off a terminal: one summary line, no bar, no personal data.
    assert len(out.getvalue().splitlines()) == 1 and err.getvalue() == ""
    assert CANARY not in out.getvalue()
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert CANARY.encode() not in dump.read_bytes()  # identity stays encrypted in the backup
    # The success heartbeat is written once the copy is taken, so the copy cannot hold it.
    assert Heartbeat.objects.filter(name=BACKUP).delete()[0] == 1
    tables, original = _original_rows()
    assert len(original["audit_auditevent"]) == 11 and len(original["cases_person"]) == 2

    if connection.vendor == "sqlite":
        fresh = tmp_path / "fresh.sqlite3"
        target = {"CMER_SQLITE_PATH": str(fresh)}
        done = _manage("restore", "--input", str(dump), **target)
        assert done.returncode == 0, done.stderr
        copy_tables, copy = _copy_rows_sqlite(fresh, tables)
        scratch = None
    else:
        scratch = f"cmer_restore_{secrets.token_hex(4)}"
        _pg_admin("createdb", scratch)
        target = {"DATABASE_URL": _pg_url(scratch)}
    try:
        if scratch:
            done = _manage("restore", "--input", str(dump), **target)
            assert done.returncode == 0, done.stderr
            copy_tables, copy = _copy_rows_pg(scratch, tables)
        assert "audit chain verifies: 11 events" in done.stdout
        # Off a terminal (a pipe here): one summary line, no bar, no personal data.
        assert len(done.stdout.splitlines()) == 1 and done.stderr == ""
        assert CANARY not in done.stdout
        assert copy_tables == tables
        for table in tables:
            assert copy[table] == original[table], f"rows differ in {table}"
        verified = _manage(
            "verify_audit", "--require-checkpoint", CMER_AUDIT_CHECKPOINT_PATH=str(checkpoint), **target
        )
        assert verified.returncode == 0, verified.stderr
        assert "matches" in verified.stdout
        # A second restore into the now non-empty copy is refused, and changes nothing.
        again = _manage("restore", "--input", str(dump), **target)
        assert again.returncode != 0 and "not empty" in again.stderr
        forced = _manage("restore", "--input", str(dump), "--force", **target)
        assert forced.returncode == 0, forced.stderr
    finally:
        if scratch:
            _pg_admin("dropdb", "--if-exists", scratch)


def test_restore_refuses_a_non_empty_database(world, tmp_path):
    _populate(world)
    dump = tmp_path / "cmer.backup"
    call_command("backup", "--output", str(dump))
    before = _original_rows()[1]
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", "--input", str(dump))
    assert _original_rows()[1] == before


def test_restore_refuses_a_file_that_is_not_a_backup(world, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database")
    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", "--input", str(junk), "--force")
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", "--input", str(tmp_path / "missing"))
    assert Person.objects.count() == 0 and world.a.cell.pk


def test_backup_to_unwritable_place_fails_cleanly(world, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match="Backup failed"):
        call_command("backup", "--output", str(blocker / "sub" / "cmer.backup"))
    # Only a successful backup is recorded (the DPIA states the last one).
    assert not Heartbeat.objects.filter(name=BACKUP).exists()
    call_command("backup", "--output", str(tmp_path / "cmer.backup"))
    assert Heartbeat.objects.filter(name=BACKUP).exists()
