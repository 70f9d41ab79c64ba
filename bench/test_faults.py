"""The fault campaign as a test (docs/security.md #20): run by hand, not in CI.

    .venv/bin/pytest bench/test_faults.py -q -s

It lives outside tests/ on purpose: it migrates its own PostgreSQL database, starts gunicorn and
the db_worker, and restarts the local PostgreSQL cluster, which takes 2-3 minutes on the CI machine
(over the suite's budget) and disturbs any other test using that cluster. See bench/faults.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_acknowledged_write_is_lost_under_faults():
    done = subprocess.run(
        [sys.executable, "bench/faults.py"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    print(done.stdout, done.stderr[-3000:])
    assert done.returncode == 0, done.stdout[-3000:]
    assert "RESULT: PASS" in done.stdout
    lost = [line for line in done.stdout.splitlines() if line.startswith("acknowledged writes by kind")]
    assert lost and lost[0].endswith("total lost: 0")
