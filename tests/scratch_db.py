"""A scratch copy of the test database that other processes (manage.py subprocesses) can open.

SQLite's test database lives in memory, PostgreSQL's is only visible once committed: tests using
this need `django_db(transaction=True)`. The copy is made with cmer.privacy.backup itself.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from cmer.privacy.backup import backup


def pg_url(name: str) -> str:
    sd = connection.settings_dict
    host, port = sd["HOST"] or "127.0.0.1", sd["PORT"] or 5432
    return f"postgres://{sd['USER']}:{sd['PASSWORD']}@{host}:{port}/{name}"


def pg_admin(*argv: str) -> None:
    sd = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": sd["PASSWORD"]}
    host = ["-h", sd["HOST"] or "127.0.0.1", "-p", str(sd["PORT"] or 5432), "-U", sd["USER"]]
    subprocess.run([argv[0], *host, *argv[1:]], env=env, check=True, capture_output=True, timeout=120)


def manage_argv(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def manage_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CMER_SQLITE_PATH")}
    env.update(CMER_DEBUG="1", **extra)
    return env


def manage(*args: str, **env_extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        manage_argv(*args),
        cwd=settings.BASE_DIR,
        env=manage_env(**env_extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


@contextmanager
def scratch_copy(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Yield the environment variables that point manage.py at a copy of the test database."""
    dump = tmp_path / "scratch.backup"
    backup(dump)
    if connection.vendor == "sqlite":
        yield {"CMER_SQLITE_PATH": str(dump)}
        return
    name = f"cmer_restore_{secrets.token_hex(4)}"
    pg_admin("createdb", name)
    try:
        done = manage("restore", "--input", str(dump), DATABASE_URL=pg_url(name))
        assert done.returncode == 0, done.stderr
        yield {"DATABASE_URL": pg_url(name)}
    finally:
        pg_admin("dropdb", "--if-exists", name)


def query(env: dict[str, str], sql: str) -> list[tuple]:
    """Run one read-only SELECT on the scratch copy."""
    if "CMER_SQLITE_PATH" in env:
        db = sqlite3.connect(f"file:{env['CMER_SQLITE_PATH']}?mode=ro", uri=True)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as db:
        return db.execute(sql).fetchall()
