"""Fault campaign (issue 13 #5): kill things under a write load, then count what was lost.

Run (PostgreSQL must be up, see scripts/setup-postgres.sh; restarts the local cluster once):
    .venv/bin/python bench/faults.py [--database cmer_faults] [--no-pg-restart]

What it does, on its own database (dropped and migrated first):
  * seeds the personas world (tests/personas.py), signed-in sessions written straight into the
    session store (password and second factor done), plans and open agenda items to act on;
  * starts gunicorn (2 workers, production settings: DEBUG off, explicit keys, persistent
    connections with health checks) and `manage.py db_worker`, which sends the notification
    e-mails to an SMTP server held by this script;
  * drives a write load through HTTP from 4 threads: signalements (reporter), actions added to
    support plans and decisions recorded in an open meeting (president);
  * faults, one after the other, with load before and after each: `kill -9` of one gunicorn
    worker; `kill -9` of the db_worker, restarted as systemd would (Restart=always) with the
    sweep of abandoned e-mails the runbook asks for; a restart of PostgreSQL;
  * then checks: every write acknowledged to a client (2xx/3xx) is in the database, with all its
    parts (no half-written record) and its audit event; the audit chain verifies; every
    notification whose e-mail was due reached the SMTP server at least once; and prints, per
    fault, the writes acknowledged / found / lost, the requests that failed, and the seconds until
    the application served a write again (nobody restarted gunicorn).

Exit status 0 only if nothing acknowledged was lost, the chain verifies and every e-mail left.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.production_env import production_env  # noqa: E402

PG = "postgres://cmer:cmer@127.0.0.1:5432"
THREADS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the SMTP side: every message id received, resends included ------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()  # notifications' public ids (ADR 0009), as in the Message-ID
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        match = re.search(rb"Message-ID: <notification-([a-z2-7]+)@", envelope.content)
        with self.lock:
            self.ids[match.group(1).decode() if match else ""] += 1
        return "250 OK"


# --- the load ---------------------------------------------------------------------------------------


@dataclass
class Write:
    kind: str  # "signalement", "action", "decision"
    key: str  # what identifies it in the database afterwards
    started: float
    ended: float = 0.0
    status: int = 0  # 0: no HTTP answer (connection refused or reset)


@dataclass
class Load:
    port: int
    host: str
    sessions: dict[str, str]  # persona -> session key
    csrf: str
    submit: str
    indicator: int
    plans: list[str]
    items: list[list]
    writes: list[Write] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _post(self, persona: str, path: str, data: dict[str, str]) -> int:
        body = urlencode({**data, "csrfmiddlewaretoken": self.csrf}, doseq=True)
        cookie = f"__Host-sessionid={self.sessions[persona]}; __Host-csrftoken={self.csrf}"
        conn = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                "POST",
                path,
                body,
                {
                    "Host": self.host,
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def signalement(self) -> dict[str, str]:
        """A complete signalement (one dated fact) with a fresh one-time key, as the form posts it."""
        return {
            "last_name": "Panne",
            "first_name": "Test",
            "birth_date": "2009-04-01",
            "sex": "X",
            "source": "school",
            "description": "Absences répétées depuis un mois.",
            "submission_key": secrets.token_urlsafe(24),
            "obs-TOTAL_FORMS": "1",
            "obs-INITIAL_FORMS": "0",
            "obs-MIN_NUM_FORMS": "0",
            "obs-MAX_NUM_FORMS": "10",
            "obs-0-indicator": str(self.indicator),
            "obs-0-observed_on": (date.today() - timedelta(days=2)).isoformat(),
            "obs-0-mode": "direct",
            "obs-0-fact": "Absent en cours trois lundis de suite.",
        }

    def one(self) -> None:
        n = self._next()
        kind = ("signalement", "action", "decision")[n % 3]
        if kind == "decision" and not self.items:
            kind = "action"
        if kind == "signalement":
            data = self.signalement()
            write = Write(kind, data["submission_key"], time.monotonic())
            path, persona = self.submit, "reporter"
        elif kind == "action":
            path, persona = self.plans[n % len(self.plans)], "president"
            title = f"Entretien de suivi {n}"
            data = {"title": title, "service": "svc-member", "start_on": "2026-01-05", "end_on": "2026-02-05"}
            write = Write(kind, title, time.monotonic())
        else:
            with self.lock:
                item, path = self.items.pop()
            data = {
                "kind": "close",
                "close_reason": "no_further_elements",
                "responsible_service": "svc-member",
            }
            write = Write(kind, str(item), time.monotonic())
            persona = "president"
        try:
            write.status = self._post(persona, path, data)
        except OSError:
            write.status = 0
        write.ended = time.monotonic()
        with self.lock:
            self.writes.append(write)

    def run(self) -> None:
        while not self.stop.is_set():
            self.one()


# --- processes -----------------------------------------------------------------------------------------


class Processes:
    def __init__(self, env: dict[str, str], port: int, logdir: Path) -> None:
        self.env, self.port, self.logdir = env, port, logdir
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_starts = 0

    def _log(self, name: str):  # type: ignore[no-untyped-def]
        return open(self.logdir / f"{name}.log", "ab")

    def start_gunicorn(self) -> None:
        self.gunicorn = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "cmer.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "2",
             "--no-control-socket", "--graceful-timeout", "5"],
            cwd=ROOT, env=self.env, stdout=self._log("gunicorn"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.2"],
            cwd=ROOT, env=self.env, stdout=self._log("db_worker"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.worker_starts += 1

    def supervise(self, stop: threading.Event) -> None:
        """Restart the db_worker whenever it exits, as systemd's Restart=always does."""
        while not stop.wait(0.5):
            if self.worker is not None and self.worker.poll() is not None:
                time.sleep(1)
                self.start_worker()

    def gunicorn_workers(self) -> list[int]:
        assert self.gunicorn is not None
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        for proc in (self.worker, self.gunicorn):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- set-up ---------------------------------------------------------------------------------------------


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/cmer", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


SEED = """
import json, time
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from django_otp import DEVICE_ID_SESSION_KEY
from cmer.accounts.models import TOTPDevice
from tests.personas import build_world
from tests.factories import certify, current_indicators
from tests.factories_meetings import make_item, make_meeting, make_plan

w = build_world()
certify(w.a)
sessions = {}
for role in ("reporter", "president"):
    m = w.a.members[role]
    s = SessionStore()
    s[SESSION_KEY] = str(m.user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = m.user.get_session_auth_hash()
    s[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=m.user).persistent_id
    s["cmer_login_at"] = time.time()
    s["cmer_membership"] = m.pk
    s.create()
    sessions[role] = s.session_key
from django.urls import reverse
plans = [reverse("support:action_add", kwargs={"pk": make_plan(w.a).case_id}) for _ in range(5)]
meeting = make_meeting(w.a, opened=True)
items = [make_item(w.a, meeting, guest=False).pk for _ in range(ITEMS)]
items = [[pk, reverse("meetings:decide", kwargs={"pk": pk})] for pk in items]
print(json.dumps({"sessions": sessions, "csrf": _get_new_csrf_string(), "plans": plans, "items": items,
                  "submit": reverse("referrals:submit"), "indicator": current_indicators()[0].pk}))
"""


# --- the campaign ------------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    started: float
    ended: float = 0.0


def wait_until_serving(port: int, host: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"Host": host})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the application never answered /healthz")


def restart_postgresql() -> None:
    version = os.environ.get("PG_VERSION", "15")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True, capture_output=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="cmer_faults")
    parser.add_argument("--phase", type=float, default=6.0, help="seconds of load around each fault")
    parser.add_argument("--no-pg-restart", action="store_true")
    args = parser.parse_args()
    import json

    from aiosmtpd.controller import Controller

    mailbox, smtp_port, port = Mailbox(), free_port(), free_port()
    host = "127.0.0.1"
    env = production_env(
        DATABASE_URL=f"{PG}/{args.database}",
        CMER_ALLOWED_HOSTS=host,
        CMER_SSL_REDIRECT="0",
        CMER_STATIC_MANIFEST="0",
        CMER_CONN_MAX_AGE="60",
        CMER_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        CMER_EMAIL_HOST="127.0.0.1",
        CMER_EMAIL_PORT=str(smtp_port),
        CMER_EMAIL_CLAIM_SECONDS="5",
        CMER_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    logdir = Path(os.environ.get("CMER_FAULTS_LOGS", "/tmp/cmer-faults"))
    logdir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    recreate_database(args.database)
    manage(env, "migrate", "--noinput", "-v0")
    items = int(args.phase * 40)
    seeded = json.loads(
        manage(env, "shell", "-c", SEED.replace("ITEMS", str(items))).strip().splitlines()[-1]
    )
    print(f"set-up: database migrated and seeded in {time.monotonic() - t0:.1f} s")

    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    procs = Processes(env, port, logdir)
    procs.start_gunicorn()
    procs.start_worker()
    supervisor_stop = threading.Event()
    supervisor = threading.Thread(target=procs.supervise, args=(supervisor_stop,), daemon=True)
    supervisor.start()
    load = Load(
        port,
        host,
        seeded["sessions"],
        seeded["csrf"],
        seeded["submit"],
        seeded["indicator"],
        seeded["plans"],
        seeded["items"],
    )
    faults: list[Fault] = []
    try:
        wait_until_serving(port, host)
        threads = [threading.Thread(target=load.run, daemon=True) for _ in range(THREADS)]
        for t in threads:
            t.start()
        time.sleep(args.phase)

        fault = Fault("kill -9 gunicorn worker", time.monotonic())
        os.kill(procs.gunicorn_workers()[0], signal.SIGKILL)
        fault.ended = time.monotonic()
        faults.append(fault)
        time.sleep(args.phase)

        fault = Fault("kill -9 db_worker", time.monotonic())
        assert procs.worker is not None
        procs.worker.send_signal(signal.SIGKILL)  # the supervisor restarts it
        while procs.worker.poll() is not None or procs.worker_starts < 2:
            time.sleep(0.1)
        fault.ended = time.monotonic()
        faults.append(fault)
        time.sleep(args.phase)

        if not args.no_pg_restart:
            fault = Fault("restart PostgreSQL", time.monotonic())
            restart_postgresql()
            fault.ended = time.monotonic()
            faults.append(fault)
            time.sleep(args.phase)
        load.stop.set()
        for t in threads:
            t.join(60)
        # The runbook after a worker restart: hand the sweep of abandoned claims to the worker.
        manage(env, "send_pending_emails", "--enqueue")
        deadline = time.monotonic() + 90
        report = verify(env, mailbox, load, faults)
        while not report["mail_ok"] and time.monotonic() < deadline:
            time.sleep(2)
            report = verify(env, mailbox, load, faults)
    finally:
        supervisor_stop.set()
        load.stop.set()
        procs.stop()
        controller.stop()
    print_report(report, load, faults, procs)
    served = all(any(w.started >= f.started and 200 <= w.status < 400 for w in load.writes) for f in faults)
    ok = (
        bool(report["acked"])
        and served
        and report["lost"] == 0
        and report["half"] == 0
        and report["chain_ok"]
        and report["mail_ok"]
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


CHECK = """
import json
from django.core.management import call_command
from cmer.audit.models import AuditEvent
from cmer.cases.models import Action
from cmer.core.public_ids import public_id
from cmer.meetings.models import Decision
from cmer.notifications.models import Notification
from cmer.referrals.models import Referral

keys = json.loads(INPUT)
found = {
    "signalement": set(Referral.objects.filter(submission_key__in=keys["signalement"]).values_list("submission_key", flat=True)),
    "action": set(Action.objects.filter(title__in=keys["action"]).values_list("title", flat=True)),
    "decision": {str(i) for i in Decision.objects.filter(item_id__in=[int(k) for k in keys["decision"]]).values_list("item_id", flat=True)},
}
# Half-written: a signalement without its facts or case, a write without its audit event.
half = Referral.objects.filter(observations__isnull=True).count() + Referral.objects.filter(case__isnull=True).count()
half += abs(Referral.objects.count() - AuditEvent.objects.filter(action="referral.submit", outcome="ok").count())
half += abs(Decision.objects.count() - AuditEvent.objects.filter(action="meeting.decision_recorded", outcome="ok").count())
actions_added = Action.objects.filter(title__startswith="Entretien de suivi").count()
half += abs(actions_added - AuditEvent.objects.filter(action="support.action_assigned", outcome="ok").count())
try:
    call_command("verify_audit", stdout=open("/dev/null", "w"))
    chain = True
except SystemExit as exc:
    chain = exc.code in (0, None)
except Exception:
    chain = False
due = list(Notification.objects.filter(email_due=True).values_list("pk", "emailed_at"))
print(json.dumps({"found": {k: sorted(v) for k, v in found.items()}, "half": half, "chain_ok": chain,
                  "due": [public_id("notification", pk) for pk, _ in due],
                  "marked": [public_id("notification", pk) for pk, at in due if at is not None],
                  "events": AuditEvent.objects.count()}))
"""


def verify(env: dict[str, str], mailbox: Mailbox, load: Load, faults: list[Fault]) -> dict:
    import json

    acked = [w for w in load.writes if 200 <= w.status < 400]
    keys = {kind: [w.key for w in acked if w.kind == kind] for kind in ("signalement", "action", "decision")}
    out = manage(env, "shell", "-c", CHECK.replace("INPUT", repr(json.dumps(keys))))
    result = json.loads(out.strip().splitlines()[-1])
    found = {kind: set(v) for kind, v in result["found"].items()}
    lost = [w for w in acked if w.key not in found[w.kind]]
    with mailbox.lock:
        received = set(mailbox.ids)
        resent = sum(1 for c in mailbox.ids.values() if c > 1)
    missing_mail = [pk for pk in result["due"] if pk not in received]
    return {
        "acked": acked,
        "lost": len(lost),
        "lost_writes": lost,
        "half": result["half"],
        "chain_ok": result["chain_ok"],
        "events": result["events"],
        "due": len(result["due"]),
        "received": len(received & set(result["due"])),
        "resent": resent,
        "missing_mail": missing_mail,
        "mail_ok": not missing_mail,
    }


def print_report(report: dict, load: Load, faults: list[Fault], procs: Processes) -> None:
    writes = sorted(load.writes, key=lambda w: w.started)
    acked = {id(w) for w in report["acked"]}
    lost = {id(w) for w in report["lost_writes"]}
    bounds = [f.started for f in faults] + [float("inf")]
    print(
        f"{'window':<26}{'sent':>6}{'acked':>7}{'found':>7}{'lost':>6}{'failed':>8}"
        f"{'failed after fault':>20}{'serving again after':>22}"
    )
    start = min((w.ended for w in writes), default=0.0)
    windows = [("before any fault", start, None), *[(f.name, f.started, f) for f in faults]]
    for index, (name, begin, fault) in enumerate(windows):
        end = bounds[index] if index < len(bounds) else float("inf")
        if fault is None:
            end = bounds[0]
        # A write belongs to the window in which it ended: one cut by a fault counts for that fault.
        inside = [w for w in writes if begin <= w.ended < end]
        n_acked = sum(1 for w in inside if id(w) in acked)
        n_lost = sum(1 for w in inside if id(w) in lost)
        failed = [w for w in inside if id(w) not in acked]
        recover, after_back = "", 0
        if fault is not None:
            # Serving again: the first acknowledged write that started after the fault and after
            # the last failure of the window.
            last_failure = max((w.ended for w in failed), default=fault.started)
            ok_after = [
                w.ended for w in inside if id(w) in acked and w.started >= max(fault.started, last_failure)
            ]
            recover = f"{min(ok_after) - fault.started:.2f} s" if ok_after else "never"
            # Failures of requests sent once the fault was over (the restarted database is up).
            after_back = sum(1 for w in failed if w.started >= fault.ended)
        codes = Counter(w.status for w in failed)
        detail = ", ".join(f"{c}×{s or 'no answer'}" for s, c in sorted(codes.items()))
        print(
            f"{name:<26}{len(inside):>6}{n_acked:>7}{n_acked - n_lost:>7}{n_lost:>6}{len(failed):>8}"
            f"{after_back if fault else '':>20}{recover:>22}  {detail}"
        )
    kinds = Counter(w.kind for w in report["acked"])
    print(f"acknowledged writes by kind: {dict(sorted(kinds.items()))}; total lost: {report['lost']}")
    print(
        f"half-written records: {report['half']}; audit chain verifies: {report['chain_ok']} ({report['events']} events)"
    )
    print(
        f"notification e-mails due: {report['due']}, received at least once: {report['received']}, "
        f"received more than once: {report['resent']}; db_worker started {procs.worker_starts} times"
    )
    for fault in faults:
        print(f"fault '{fault.name}' took {fault.ended - fault.started:.2f} s to inject")


if __name__ == "__main__":
    raise SystemExit(main())
