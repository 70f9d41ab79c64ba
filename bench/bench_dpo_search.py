"""Audit search of the DPO console over 1,000,000 events: first page, filtered pages, alerts.

Usage (from the repository root):
    .venv/bin/python bench/bench_dpo_search.py sqlite        # scratch file /tmp/cmer_bench.sqlite3
    .venv/bin/python bench/bench_dpo_search.py postgresql    # database cmer_bench (created if missing)

Events are generated inside the database (recursive CTE / generate_series): 13 cells, 200 accounts,
5 actions, one event every 31 s over a year. Hashes are fillers: the chain is not what is measured.
Each query is the console's own (cmer.privacy.views._search, cmer.privacy.alerts.alerts_for), timed
as the median of 5 runs after one warm-up, with and without a composite (cell_id, seq) index.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

N = 1_000_000
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENDOR = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
if VENDOR == "postgresql":
    os.environ["DATABASE_URL"] = "postgres://cmer:cmer@127.0.0.1:5432/cmer_bench"
else:
    os.environ["DATABASE_URL"] = "sqlite:////tmp/cmer_bench.sqlite3"
os.environ.setdefault("CMER_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmer.settings")


def ensure_pg_database() -> None:
    import psycopg

    with psycopg.connect("postgres://cmer:cmer@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'cmer_bench'").fetchone():
            conn.execute("CREATE DATABASE cmer_bench")


if VENDOR == "postgresql":
    ensure_pg_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cmer.audit.models import AuditEvent  # noqa: E402
from cmer.privacy.alerts import alerts_for  # noqa: E402
from cmer.privacy.views import PAGE_SIZE, _search  # noqa: E402

SQLITE_FILL = f"""
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {N})
INSERT INTO audit_auditevent (seq, created_at, actor_id, cell_id, action, target_type, target_id,
    outcome, request_id, ip, data, prev_hash, hash)
SELECT i, datetime('2025-12-01', '+' || (i * 31) || ' seconds'), 1 + (i * 7919) % 200, 1 + i % 13,
    CASE i % 5 WHEN 0 THEN 'case.read' WHEN 1 THEN 'auth.login_second_factor' WHEN 2 THEN 'case.transition'
    WHEN 3 THEN 'referral.read' ELSE 'meeting.read' END,
    'cases.case', CAST((i * 13) % 5000 AS TEXT), CASE WHEN i % 97 = 0 THEN 'denied' ELSE 'ok' END,
    '', NULL, '{{}}', printf('%064d', i - 1), printf('%064d', i) FROM s
"""
PG_FILL = f"""
INSERT INTO audit_auditevent (seq, created_at, actor_id, cell_id, action, target_type, target_id,
    outcome, request_id, ip, data, prev_hash, hash)
SELECT i, timestamptz '2025-12-01 00:00:00+00' + i * interval '31 seconds', 1 + (i * 7919) % 200, 1 + i % 13,
    CASE i % 5 WHEN 0 THEN 'case.read' WHEN 1 THEN 'auth.login_second_factor' WHEN 2 THEN 'case.transition'
    WHEN 3 THEN 'referral.read' ELSE 'meeting.read' END,
    'cases.case', ((i * 13) % 5000)::text, CASE WHEN i % 97 = 0 THEN 'denied' ELSE 'ok' END,
    '', NULL, '{{}}'::jsonb, lpad((i - 1)::text, 64, '0'), lpad(i::text, 64, '0')
FROM generate_series(1::bigint, {N}::bigint) AS i
"""
INDEX = "audit_cell_seq_idx"  # created by migration audit.0004; dropped for the "without" run


def timed(fn, runs: int = 5) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def page(**filters):
    return lambda: list(_search(3, filters)[: PAGE_SIZE + 1])


def main() -> None:
    call_command("migrate", verbosity=0)
    count = AuditEvent.objects.count()
    if count < N:
        if count:
            raise SystemExit(f"{count} events already in the scratch database; drop it first")
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_FILL if connection.vendor == "sqlite" else PG_FILL)
            cursor.execute("ANALYZE")
        print(f"inserted {N} events in {time.perf_counter() - start:.1f} s")
    deep = N // 2
    day = dt.date(2026, 6, 1)
    start_day = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    cases = {
        "first page (cell only)": page(),
        "filtered: actor": page(actor=42),
        "filtered: action": page(action="case.read"),
        "filtered: actor + action": page(actor=42, action="case.read"),
        "filtered: action prefix 'case.'": page(action="case."),
        "filtered: target": page(target_type="cases.case", target_id="1234"),
        "filtered: one day": page(date_from=day, date_to=day),
        "filtered: outcome denied": page(outcome="denied"),
        f"deep page (before seq {deep})": page(before=deep),
        "alerts over 30 days": lambda: alerts_for(
            3, since=start_day - dt.timedelta(days=30), until=start_day
        ),
    }
    for label, with_index in (("without (cell_id, seq) index", False), ("with (cell_id, seq) index", True)):
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS audit_cell_seq_bench_idx")  # left by an older run
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
            if with_index:
                cursor.execute(f"CREATE INDEX {INDEX} ON audit_auditevent (cell_id, seq)")  # as migrated
            cursor.execute("ANALYZE")
        print(f"\n{connection.vendor}, {N} events, {label}: median of 5 runs (ms)")
        for name, fn in cases.items():
            print(f"  {name:40s} {timed(fn):9.1f}")
    http_pages()


def http_pages() -> None:
    """The same searches through the real view (middleware, 2FA session, template), as the DPO of cell 1."""
    from django.test import Client

    from cmer.accounts.models import Cell
    from tests.personas import build_world, login

    if not Cell.objects.exists():
        build_world()  # cells AAA (pk 1) and BBB: the DPO of cell 1 reads events generated for cell 1
    cell = Cell.objects.get(code="AAA")
    dpo = cell.memberships.get(role="dpo")
    client = login(Client(SERVER_NAME="localhost"), dpo.user, dpo)
    base = "/donnees/dpo/journal/"
    print(f"\nHTTP GET as the DPO of cell {cell.pk} (median of 5, ms)")
    for label, query in (
        ("first page", ""),
        ("action case.read", "?action=case.read"),
        ("account 42 + action", "?actor=42&action=case.read"),
        ("one day", "?date_from=2026-06-01&date_to=2026-06-01"),
        ("page before seq 500000", "?before=500000"),
    ):
        assert client.get(base + query).status_code == 200
        print(f"  {label:40s} {timed(lambda q=query: client.get(base + q)):9.1f}")
    print(f"  {'console home (alerts, 30 days)':40s} {timed(lambda: client.get('/donnees/dpo/')):9.1f}")


if __name__ == "__main__":
    main()
