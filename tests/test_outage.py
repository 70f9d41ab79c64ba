"""A database outage answers 503 with our page, and the application serves again by itself.

gunicorn runs the production settings (DEBUG off, persistent connections with health checks, the
default) on the suite's database. On PostgreSQL the connection goes through a TCP relay held by
this test: cutting the relay closes every open connection and refuses new ones, as a stopped or
restarting server does; restoring it on the same port is the server coming back. On SQLite the
database file's folder disappears and comes back.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.e2e.test_production import _collected_static as collected_static
from tests.production_env import production_env
from tests.scratch_db import scratch_copy

ROOT = Path(__file__).resolve().parent.parent
# Any value: the session store is read for it, so every request below asks the database.
COOKIE = "__Host-sessionid=outage0test0cookie0value0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Relay:
    """A TCP relay to PostgreSQL on a fixed loopback port, which the test can cut and restore."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.accepted = 0
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut every open one, as a stopped server does."""
        assert self.listener is not None
        with self.lock:
            for sock in [self.listener, *self.open]:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()
        self.listener = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.accepted += 1
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def get(port: int, path: str, cookie: str = COOKIE) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class Database:
    """What the server is pointed at, and how to take it away and give it back."""

    def __init__(self, env: dict[str, str], cut, restore, opened=None) -> None:  # type: ignore[no-untyped-def]
        self.env, self.cut, self.restore = env, cut, restore
        # PostgreSQL: how many connections the server has opened so far.
        self.opened = opened


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    if connection.vendor == "postgresql":
        sd = connection.settings_dict
        relay = Relay(sd["HOST"] or "127.0.0.1", int(sd["PORT"] or 5432))
        relay.up()
        url = f"postgres://{sd['USER']}:{sd['PASSWORD']}@127.0.0.1:{relay.port}/{sd['NAME']}"
        yield Database({"DATABASE_URL": url}, relay.down, relay.up, lambda: relay.accepted)
        if relay.listener is not None:
            relay.down()
        return
    # SQLite: the file's folder goes away. A persistent connection would keep the open file, so
    # each request opens its own here (SQLite has no server to lose).
    with scratch_copy(tmp_path) as env:
        folder = tmp_path / "data"
        folder.mkdir()
        path = folder / "db.sqlite3"
        shutil.move(env["CMER_SQLITE_PATH"], path)
        away = tmp_path / "away"
        yield Database(
            {"CMER_SQLITE_PATH": str(path), "CMER_CONN_MAX_AGE": "0"},
            lambda: folder.rename(away),
            lambda: away.rename(folder),
        )


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    env = production_env(
        CMER_ALLOWED_HOSTS="127.0.0.1",
        CMER_SSL_REDIRECT="0",
        CMER_STATIC_ROOT=str(collected_static()),
        CMER_AUDIT_CHECKPOINT_PATH=str(tmp_path / "checkpoints.jsonl"),
        PYTHONPATH=str(ROOT),
        **database.env,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "cmer.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_database_outage_answers_503_then_serves_again_by_itself(database, server):  # type: ignore[no-untyped-def]
    port, log = server
    assert get(port, "/connexion/")[0] == 200
    assert get(port, "/connexion/")[0] == 200
    if database.opened:
        assert database.opened() == 1  # one persistent connection, kept between requests

    database.cut()
    status, headers, body = get(port, "/connexion/")
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "no-store" in headers["Cache-Control"]
    assert "Service momentanément indisponible" in body
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite", "connection", "5432"):
        assert leak not in body
    # The readiness probe (no cookie) still names the failing check.
    status, _, body = get(port, "/sante/", cookie="")
    assert status == 503 and '"failing": ["database"' in body

    database.restore()
    assert get(port, "/connexion/")[0] == 200
    # Cut and back between two requests: the persistent connection the worker holds is dead, and
    # the very next request is served all the same (the health check replaced it).
    opened = database.opened() if database.opened else 0
    database.cut()
    database.restore()
    assert get(port, "/connexion/")[0] == 200
    if database.opened:
        assert database.opened() == opened + 1

    # One line per failed request, naming the error's class only: no traceback, no driver message
    # (it can quote a statement's values), no cookie.
    text = log.read_text()
    assert "database unavailable (OperationalError) request_id=" in text
    for leak in ("Traceback", "connection to server", "unable to open", "outage0test"):
        assert leak not in text


def test_persistent_connections_with_health_checks_are_the_production_default() -> None:
    """The relay above proves the behaviour; this pins the setting it relies on."""
    env = production_env(CMER_SQLITE_PATH=":memory:")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["60", "True"], result.stderr
