"""Test databases copied from a migrated template instead of migrated in every pytest process.

CI starts eight pytest processes (two xdist workers, for the tests with and without a browser, on
SQLite and on PostgreSQL), and each used to run the ~100 migrations into its empty test database:
about 5 s of CPU each. Now the first process to need a database migrates it as before and keeps a
copy, named after the content of every migration file of every installed app; the others start from
that copy: a SQLite file loaded through SQLite's backup API, or a PostgreSQL `CREATE DATABASE …
TEMPLATE`. A changed migration is a new name, so a copy is never older than the code.

What migrate leaves in a database (tables, the audit triggers, the migration records, content types
and permissions written on post_migrate) is all in the copy; nothing else in the process depends on
migrate having run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

CACHE = Path(__file__).resolve().parent.parent / ".cache"


def migrations_key() -> str:
    """A digest of every migration file of every installed app (ours and third parties')."""
    digest = hashlib.sha256()
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        for path in sorted(Path(config.path).glob("migrations/*.py")):
            digest.update(f"{config.label}/{path.name}\0".encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def migrations_from_template() -> Iterator[None]:
    """While test databases are created: their `migrate` restores the template when it exists."""
    from django.core import management

    real = management.call_command

    def call_command(name: Any, *args: Any, **options: Any) -> Any:
        connection = connections[options.get("database", DEFAULT_DB_ALIAS)]
        if name != "migrate" or args or connection.vendor not in ("sqlite", "postgresql"):
            return real(name, *args, **options)
        restore = _sqlite if connection.vendor == "sqlite" else _postgresql
        return restore(connection, lambda: real(name, **options))

    # create_test_db() imports call_command when it runs: the module's attribute is what it gets.
    management.call_command = call_command
    try:
        yield
    finally:
        management.call_command = real


def _sqlite_template() -> Path:
    return CACHE / f"testdb-{migrations_key()}.sqlite3"


def _sqlite(connection: Any, migrate: Callable[[], Any]) -> None:
    path = _sqlite_template()
    connection.ensure_connection()
    if path.exists():
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        return
    migrate()
    CACHE.mkdir(exist_ok=True)
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    os.replace(partial, path)  # whole or absent, whatever other process reads it


def _postgresql(connection: Any, migrate: Callable[[], Any]) -> None:
    template = f"cmer_template_{migrations_key()}"
    name = connection.settings_dict["NAME"]  # the test database, just created empty
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone():
            cursor.execute(f'DROP DATABASE "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
    migrate()
    connection.close()  # a database being copied must have no session open
    partial = f"{template}_p{os.getpid()}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{partial}" TEMPLATE "{name}"')
        try:
            cursor.execute(f'ALTER DATABASE "{partial}" RENAME TO "{template}"')
        except DatabaseError:  # another process finished its copy first
            cursor.execute(f'DROP DATABASE "{partial}"')
            return
        # Copies of former migrations: dropped, unless a session still copies from one.
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cmer\\_template\\_%%' AND datname <> %s",
            [template],
        )
        for (old,) in cursor.fetchall():
            with suppress(DatabaseError):
                cursor.execute(f'DROP DATABASE "{old}"')


def copy_sqlite_template(target: Path) -> bool:
    """A migrated SQLite database at `target`, for a test's subprocesses, when a template exists
    (made by any earlier SQLite session with these migrations); False: migrate it yourself."""
    path = _sqlite_template()
    if not path.exists():
        return False
    shutil.copyfile(path, target)
    return True
