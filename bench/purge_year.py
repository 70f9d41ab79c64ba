"""P8 of docs/performance.md, run by bench/run.py: a year of daily purges at one scale.

The clock is simulated: day d of the year runs what the worker's daily jobs run (privacy.tasks:
purge_all and audit_purge, for real) with `today` = the real date + d days, and the audit purge's
`now` moved by as much. Two copies of the scale's database (CREATE DATABASE … TEMPLATE):

  A  the year in one go: wall time and peak RSS (getrusage of the child, ru_maxrss)
  B  the same year, killed with SIGKILL partway, then started again: it resumes from the last day
     it finished (a state file written after each day's transactions commit)

then both must hold the same rows (the tables the purge touches, counted) and pass `verify_audit`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import PG, bench_env, load  # noqa: E402

COUNTED = [
    "cases_case",
    "cases_person",
    "cases_transition",
    "cases_action",
    "referrals_referral",
    "referrals_observation",
    "meetings_agendaitem",
    "meetings_decision",
    "core_notification",
    "privacy_purgereport",
    "privacy_minutesentry",
    "audit_auditanchor",
]


# --- the child: the year, resumable -------------------------------------------------------------
def year(days: int, step: int, state: Path) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.utils import timezone

    from cmer.audit.services import audit_purge
    from cmer.privacy.purge import purge_all
    from cmer.privacy.retention import audit_retention_days

    # Day 0 and the clock of the whole year are fixed by the first start, so a rerun continues it.
    if state.exists():
        saved = json.loads(state.read_text())
    else:
        saved = {"start": timezone.now().isoformat(), "done": 0, "purge_s": 0.0, "audit_purge_s": 0.0}
        state.write_text(json.dumps(saved))
    start = timezone.datetime.fromisoformat(saved["start"])
    # One run every `step` days: the purge catches up with whatever fell due since the last one.
    for d in range(saved["done"], days, step):
        now = start + timedelta(days=d)
        t0 = time.perf_counter()
        purge_all(today=timezone.localdate(now), wet_run=True, trigger="command")
        t1 = time.perf_counter()
        audit_purge(retention_days=audit_retention_days(), wet_run=True, now=now)
        saved["purge_s"] += t1 - t0
        saved["audit_purge_s"] += time.perf_counter() - t1
        saved["done"] = d + step
        state.write_text(json.dumps(saved))
        print(f"day {d + step}", flush=True)


def table_counts() -> dict[str, int]:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {table}")  # nosec B608 — fixed names above
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT state, count(*) FROM cases_case GROUP BY state ORDER BY state")
        counts.update({f"case state {s}": n for s, n in cursor.fetchall()})
    return counts


# --- the parent -------------------------------------------------------------------------------------
def copy_database(env: dict[str, str], source: str, name: str) -> None:
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {source}"):
        subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)


def start_year(env: dict[str, str], days: int, step: int, state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "year", str(days), str(step), str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait(process: subprocess.Popen[str]) -> tuple[int, float]:
    """Exit status and peak RSS in MB of this child alone (wait4's rusage, ru_maxrss in KB on Linux)."""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, round(usage.ru_maxrss / 1024, 1)


def child_json(env: dict[str, str], what: str) -> Any:
    out = subprocess.run(
        [sys.executable, __file__, what], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def verify_audit(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return done.returncode == 0


def p8(scale: str, days: int = 365, step: int = 1) -> dict[str, Any]:
    """A and B run side by side (one copy each), so the bench takes the time of one year, not two."""
    base = bench_env(scale)
    source = base["DATABASE_URL"].rsplit("/", 1)[1]
    runs_per_year = len(range(0, days, step))
    kill_after_days = step * max(1, runs_per_year // 3)
    envs: dict[str, dict[str, str]] = {}
    states: dict[str, Path] = {}
    runs: dict[str, dict[str, Any]] = {}
    load_start = load()
    for label in ("a", "b"):
        name = f"{source}_p8{label}"
        copy_database(base, source, name)
        envs[label] = {
            **base,
            "DATABASE_URL": f"{PG}/{name}",
            "CMER_AUDIT_CHECKPOINT_PATH": f"/tmp/{name}.jsonl",
        }
        states[label] = Path(f"/tmp/{name}-state.json")
        states[label].unlink(missing_ok=True)
        runs[label] = {"database": name, "rows_before": child_json(envs[label], "counts")}
    t0 = time.perf_counter()
    a = start_year(envs["a"], days, step, states["a"])
    b = start_year(envs["b"], days, step, states["b"])
    assert b.stdout is not None
    for line in b.stdout:
        if line.strip() == f"day {kill_after_days}":
            # Half a day's work later: the kill lands inside a day, not between two.
            time.sleep((time.perf_counter() - t0) / kill_after_days / 2)
            b.send_signal(signal.SIGKILL)
            break
    _rc, rss_killed = wait(b)
    runs["b"]["killed_after_day"] = json.loads(states["b"].read_text())["done"]
    b = start_year(envs["b"], days, step, states["b"])
    for label, process in (("a", a), ("b", b)):
        rc, rss = wait(process)
        if rc:
            raise SystemExit(f"P8 run {label} failed: {process.stderr.read() if process.stderr else ''}")
        runs[label]["wall_s"] = round(time.perf_counter() - t0, 1)
        runs[label]["peak_rss_mb"] = rss if label == "a" else max(rss, rss_killed)
        final = json.loads(states[label].read_text())
        runs[label]["days"] = final["done"]
        # Summed inside the child over the days it finished (B: not the day its kill cut short).
        runs[label]["purge_all_s"] = round(final["purge_s"], 1)
        runs[label]["audit_purge_s"] = round(final["audit_purge_s"], 1)
        runs[label]["rows_after"] = child_json(envs[label], "counts")
        runs[label]["verify_audit_ok"] = verify_audit(envs[label])
    for label in ("a", "b"):
        name = runs[label]["database"]
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)
    # Purge reports and audit anchors differ by design (B ran a day twice: its reports, and no
    # second anchor when that day had nothing new to delete); the data rows must not.
    data = [k for k in runs["a"]["rows_after"] if k not in ("privacy_purgereport", "audit_auditanchor")]
    return {
        "scale": scale,
        "days": days,
        "step_days": step,
        "runs": runs_per_year,
        "note": "A and B ran at the same time on the shared machine; B's wall time includes its restart",
        "uninterrupted": runs["a"],
        "killed_and_resumed": runs["b"],
        "same_rows_after_resume": all(
            runs["a"]["rows_after"][k] == runs["b"]["rows_after"].get(k) for k in data
        ),
        "target_peak_rss_mb": 300,
        "load_start": load_start,
        "load_end": load(),
    }


if __name__ == "__main__":
    if sys.argv[1] == "year":
        year(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
    elif sys.argv[1] == "counts":
        print(json.dumps(table_counts()))
