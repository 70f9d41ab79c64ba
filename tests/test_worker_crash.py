"""SIGKILL the e-mail worker mid-batch, restart it: every notification is delivered, never zero.

The worker is a real `manage.py db_worker` subprocess on a SQLite file, speaking SMTP to an
aiosmtpd server in this process. The server holds one message's "250" reply while the test kills
the worker: that e-mail was received but never marked, the worst case of "claim, send, mark".
After the restart (sweep enqueued, as the runbook says), it is sent again (at least once), while
every notification marked before the kill is delivered exactly once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

from cmer.core.public_ids import primary_key
from tests.template_db import copy_sqlite_template

ROOT = Path(__file__).resolve().parent.parent
BATCH = 20
HOLD_AT = 7  # the server stalls on the 7th message
LEASE = 2  # seconds: CMER_EMAIL_CLAIM_SECONDS for the subprocesses

SEED = f"""
from django.db import transaction
from cmer.accounts.models import User
from cmer.notifications.services import notify
users = [User.objects.create(email=f"agent{{i}}@crash.test", first_name="A", last_name=str(i)) for i in range({BATCH})]
for k in range(4):
    with transaction.atomic():
        notify(recipients=users[k * 5:(k + 1) * 5], kind="action_due")
"""


class HoldingRecorder:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        match = re.search(rb"Message-ID: <notification-([a-z2-7]+)@", envelope.content)
        with self.lock:
            self.ids.append(primary_key("notification", match.group(1).decode()) if match else -1)
            count = len(self.ids)
        if count == HOLD_AT:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict[str, str], *args: str, log: Path | None = None, background: bool = False):  # type: ignore[no-untyped-def]
    cmd = [sys.executable, "manage.py", *args]
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    if background:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=300, check=True
    )


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_sigkill_mid_batch_then_restart_delivers_every_notification(tmp_path):
    recorder = HoldingRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    db = tmp_path / "crash.sqlite3"
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CMER_DEBUG")}
    env.update(
        CMER_TESTING="1",
        CMER_SQLITE_PATH=str(db),
        CMER_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CMER_EMAIL_HOST="127.0.0.1",
        CMER_EMAIL_PORT=str(port),
        CMER_EMAIL_CLAIM_SECONDS=str(LEASE),
        CMER_EMAIL_TIMEOUT="30",
        CMER_LOG_LEVEL="WARNING",
    )
    try:
        if not copy_sqlite_template(db):  # the test's subject is the worker, not migrate
            manage(env, "migrate", "--noinput", "-v0", log=log)
        manage(env, "shell", "-c", SEED, log=log)
        due = {r[0] for r in rows(db, "SELECT id FROM core_notification WHERE email_due = 1")}
        assert len(due) == BATCH
        assert rows(db, "SELECT count(*) FROM django_tasks_database_dbtaskresult")[0][0] == 4

        worker = manage(
            env,
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.1",
            log=log,
            background=True,
        )
        try:
            assert recorder.holding.wait(120), "the worker never reached the held message"
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(30)
        finally:
            if worker.poll() is None:
                worker.kill()
        recorder.release.set()
        assert worker.returncode == -signal.SIGKILL
        marked_before = {
            r[0] for r in rows(db, "SELECT id FROM core_notification WHERE emailed_at IS NOT NULL")
        }
        held_id = recorder.ids[HOLD_AT - 1]
        assert held_id not in marked_before  # received by the server, never marked: the crash window
        assert 0 < len(marked_before) < BATCH  # killed mid-batch indeed

        # Restart, as the runbook says: wait for the lease, enqueue a sweep, run the worker.
        time.sleep(LEASE + 0.5)
        manage(env, "send_pending_emails", "--enqueue", log=log)
        manage(env, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0.1", log=log)
    finally:
        recorder.release.set()
        controller.stop()

    delivered = Counter(recorder.ids)
    never = due - set(delivered)
    assert not never, f"notifications never delivered: {sorted(never)}\n{log.read_text()[-3000:]}"
    for nid in marked_before:
        assert delivered[nid] == 1, f"notification {nid} was marked yet delivered {delivered[nid]} times"
    assert delivered[held_id] == 2  # at least once: the unmarked one went out again
    assert set(delivered) == due  # nothing unexpected
    pending = rows(db, "SELECT id FROM core_notification WHERE email_due = 1 AND emailed_at IS NULL")
    assert pending == []
