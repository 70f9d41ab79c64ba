"""Backup and restore of the whole database (issue #6, docs/security.md #19).

SQLite: the online backup API (`sqlite3.Connection.backup`) gives a consistent copy while the
application keeps running; the copy is checked with `PRAGMA integrity_check`. PostgreSQL:
`pg_dump -Fc` / `pg_restore`, with the connection parameters of the Django settings and the
password passed in the environment (never on a command line, where `ps` would show it).

Restore goes into a fresh, empty database: a non-empty target is refused unless `force`. The copy
holds personal data (encrypted fields) and the audit trail: files are created mode 0600.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

# Only pg_dump/pg_restore, with a fixed argv and no shell.
import subprocess  # nosec B404
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

# Told `(steps done, steps)` as the work goes: copy then integrity check (SQLite), pg_dump or
# pg_restore (PostgreSQL). The SQLite copy stays a single step on purpose: copied in slices, it
# would restart at every write of the running application and might never end.
OnStep = Callable[[int, int], None] | None


def _step(on_step: OnStep, done: int, total: int) -> None:
    if on_step is not None:
        on_step(done, total)


SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore could not be made; the message says why (no personal data).

    An operator's error, not a DomainError (like KeyRotationError): only the backup and restore
    commands meet it, and they report it as a CommandError on the operator's terminal.
    """


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    vendor: str
    size: int


def _conn(alias: str = "default") -> Any:
    connection = connections[alias]
    connection.ensure_connection()
    return connection


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create (or truncate) with 0600 before any byte is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return env


def _pg_args(settings_dict: dict[str, Any]) -> list[str]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", str(settings_dict["USER"])]
    return args


def _run(argv: list[str], env: dict[str, str]) -> None:
    if shutil.which(argv[0]) is None:
        raise BackupError(f"{argv[0]} is not installed (apt-get install postgresql-client)")
    # argv is built here from settings, never from user input; no shell.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        # pg_* messages name objects and options, not row values.
        raise BackupError(f"{argv[0]} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")


def backup(output: Path, *, alias: str = "default", on_step: OnStep = None) -> BackupInfo:
    """Write a consistent copy of the database to `output` (replaced if it exists)."""
    connection = _conn(alias)
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    _private_file(partial)
    try:
        if connection.vendor == "sqlite":
            target = sqlite3.connect(partial)
            try:
                _step(on_step, 0, 2)
                connection.connection.backup(target)
                _step(on_step, 1, 2)
                check = target.execute("PRAGMA integrity_check").fetchone()[0]
                _step(on_step, 2, 2)
            finally:
                target.close()
            if check != "ok":
                raise BackupError(f"the SQLite copy fails its integrity check: {check}")
        elif connection.vendor == "postgresql":
            sd = connection.settings_dict
            argv = ["pg_dump", "-Fc", "--no-password", *_pg_args(sd), "-f", str(partial), sd["NAME"]]
            _step(on_step, 0, 1)
            _run(argv, _pg_env(sd))
            _step(on_step, 1, 1)
        else:
            raise BackupError(f"no backup method for {connection.vendor}")
        # Only a complete file gets the final name: a crash leaves a *.partial, never a bad backup.
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return BackupInfo(output, connection.vendor, output.stat().st_size)


def user_tables(alias: str = "default") -> list[str]:
    connection = _conn(alias)
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def restore(source: Path, *, alias: str = "default", force: bool = False, on_step: OnStep = None) -> str:
    """Load a backup into the database of `alias`, which must be empty unless `force`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    connection = _conn(alias)
    if user_tables(alias) and not force:
        raise BackupError(
            "the target database is not empty; restore goes into a fresh database "
            "(use --force to overwrite it)"
        )
    with open(source, "rb") as handle:
        magic = handle.read(16)
    if connection.vendor == "sqlite":
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupError("this file is not a SQLite database backup")
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            _step(on_step, 0, 2)
            check = origin.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the backup file fails its integrity check: {check}")
            _step(on_step, 1, 2)
            origin.backup(connection.connection)
            _step(on_step, 2, 2)
        finally:
            origin.close()
    elif connection.vendor == "postgresql":
        if not magic.startswith(PGDUMP_MAGIC):
            raise BackupError("this file is not a pg_dump custom-format backup")
        sd = connection.settings_dict
        argv = ["pg_restore", "--no-password", "--no-owner", "--no-privileges", "--exit-on-error"]
        argv += ["--clean", "--if-exists"] if force else ["--single-transaction"]
        argv += [*_pg_args(sd), "-d", sd["NAME"], str(source)]
        connection.close()  # our own session must not hold locks on what is dropped
        _step(on_step, 0, 1)
        _run(argv, _pg_env(sd))
        _step(on_step, 1, 1)
    else:
        raise BackupError(f"no restore method for {connection.vendor}")
    connection.close()  # forget anything cached about the old content
    return connection.vendor
