"""P5 (docs/performance.md): audit chain verification rate vs raw SHA-256 over the same bytes.

Run: CMER_DEBUG=1 .venv/bin/python bench/bench_audit_verify.py [--events 200000] [--memory-events 1000000]

Builds a valid chain in a scratch SQLite file (not the project database), then measures in the
same process:
  * verify(): events/s, reading the rows from the database and recomputing every keyed hash;
  * raw SHA-256 over exactly the bytes verify() hashes (prev hash + canonical payload), from memory;
  * the ratio (target: >= 0.5x);
and, on a chain of --memory-events, the peak memory verify() allocates (tracemalloc) and the
process RSS, to show it walks the table in bounded memory.
Prints the figures and writes a JSON summary to bench/results/audit_verify.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(db_path: Path) -> None:
    os.environ["CMER_SQLITE_PATH"] = str(db_path)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmer.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "audit", verbosity=0)


def build(n: int, batch: int = 5000) -> list[bytes]:
    """Append n events; return nothing big (messages are rebuilt later from the table)."""
    from django.db import transaction

    from cmer.audit.chain import GENESIS, canonical, compute_hash
    from cmer.audit.models import AuditEvent

    rng = random.Random(5)
    actions = ["case.read", "case.update", "auth.login_password", "meeting.read", "referral.create"]
    prev, moment = GENESIS, datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[AuditEvent] = []
    for seq in range(1, n + 1):
        fields = {
            "seq": seq,
            "created_at": moment,
            "actor_id": rng.randint(1, 500),
            "cell_id": rng.randint(1, 20),
            "action": rng.choice(actions),
            "target_type": "cases.case",
            "target_id": str(rng.randint(1, 50_000)),
            "outcome": "ok",
            "request_id": f"{rng.getrandbits(64):016x}",
            "ip": "10.0.0.1",
            "data": {"n": seq % 7} if seq % 3 == 0 else {},
        }
        digest = compute_hash(prev, canonical(**fields))
        rows.append(AuditEvent(prev_hash=prev, hash=digest, **fields))
        prev, moment = digest, moment + timedelta(milliseconds=137)
        if len(rows) == batch:
            with transaction.atomic():
                AuditEvent.objects.bulk_create(rows)
            rows = []
    if rows:
        with transaction.atomic():
            AuditEvent.objects.bulk_create(rows)
    return []


def hashed_messages() -> list[bytes]:
    """Exactly the bytes verify() feeds to HMAC-SHA256, one per event."""
    from cmer.audit.chain import canonical, iter_rows

    messages = []
    for row in iter_rows():
        (
            _,
            seq,
            created_at,
            actor_id,
            cell_id,
            action,
            target_type,
            target_id,
            outcome,
            request_id,
            ip,
            data,
            prev,
            _h,
        ) = row
        payload = canonical(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            cell_id=cell_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            request_id=request_id,
            ip=ip,
            data=data,
        )
        messages.append(prev.encode() + b"\x1e" + payload)
    return messages


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--memory-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cmer-bench-audit-"))
    db_path = workdir / "bench.sqlite3"
    setup(db_path)
    from cmer.audit.chain import verify

    t0 = time.perf_counter()
    build(args.events)
    built = time.perf_counter() - t0

    verify_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = verify()
        verify_times.append(time.perf_counter() - t0)
        assert result.ok and result.checked == args.events, result
    verify_best = min(verify_times)

    from cmer.audit.chain import iter_raw_rows

    read_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for _row in iter_raw_rows():
            pass
        read_times.append(time.perf_counter() - t0)
    read_best = min(read_times)

    messages = hashed_messages()
    total_bytes = sum(len(m) for m in messages)
    sha_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for m in messages:
            hashlib.sha256(m).digest()
        sha_times.append(time.perf_counter() - t0)
    sha_best = min(sha_times)
    del messages

    verify_rate = args.events / verify_best
    sha_rate = args.events / sha_best
    summary = {
        "events": args.events,
        "build_s": round(built, 2),
        "verify_s": round(verify_best, 3),
        "verify_events_per_s": round(verify_rate),
        "raw_sha256_s": round(sha_best, 3),
        "raw_sha256_events_per_s": round(sha_rate),
        "mean_message_bytes": round(total_bytes / args.events, 1),
        "ratio_verify_to_raw": round(verify_rate / sha_rate, 3),
        "read_rows_only_events_per_s": round(args.events / read_best),
        "target_ratio": 0.5,
    }
    print(f"P5 audit verify on {args.events:,} events (SQLite file, best of {args.repeat}):")
    print(f"  verify():          {verify_best:8.3f} s  {verify_rate:12,.0f} events/s")
    print(
        f"  raw SHA-256:       {sha_best:8.3f} s  {sha_rate:12,.0f} events/s  ({summary['mean_message_bytes']} B/event)"
    )
    print(f"  ratio verify/raw:  {summary['ratio_verify_to_raw']:.3f}  (target >= 0.5)")
    print(f"  (reading the rows alone, no hashing: {args.events / read_best:12,.0f} events/s)")

    if args.memory_events:
        more = args.memory_events - args.events
        if more > 0:
            from cmer.audit.chain import GENESIS  # noqa: F401  (chain continues from the head)

            build_more(more)
        rss_before = rss_mb()
        tracemalloc.start()
        t0 = time.perf_counter()
        result = verify()
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert result.ok and result.checked == args.memory_events, result
        summary.update(
            {
                "memory_events": args.memory_events,
                "memory_verify_s_under_tracemalloc": round(elapsed, 2),
                "memory_verify_peak_traced_mb": round(peak / 2**20, 2),
                "memory_rss_max_mb_before_verify": round(rss_before, 1),
                "memory_rss_max_mb_after_verify": round(rss_mb(), 1),
            }
        )
        print(f"Bounded memory on {args.memory_events:,} events:")
        print(
            f"  verify() peak allocated (tracemalloc): {peak / 2**20:.2f} MB in {elapsed:.1f} s (traced, slower)"
        )
        print(f"  process max RSS: {rss_before:.0f} MB before verify, {rss_mb():.0f} MB after")

    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "audit_verify.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"summary: {out / 'audit_verify.json'}")
    db_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    workdir.rmdir()


def build_more(n: int, batch: int = 5000) -> None:
    """Continue the chain from its head, like build()."""
    from django.db import transaction

    from cmer.audit.chain import canonical, compute_hash
    from cmer.audit.models import AuditEvent

    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash", "created_at").first()
    seq, prev, moment = head
    rows: list[AuditEvent] = []
    for _ in range(n):
        seq += 1
        moment += timedelta(milliseconds=137)
        fields = {
            "seq": seq,
            "created_at": moment,
            "actor_id": seq % 500 + 1,
            "cell_id": seq % 20 + 1,
            "action": "case.read",
            "target_type": "cases.case",
            "target_id": str(seq % 50_000),
            "outcome": "ok",
            "request_id": f"{seq:016x}",
            "ip": "10.0.0.1",
            "data": {},
        }
        digest = compute_hash(prev, canonical(**fields))
        rows.append(AuditEvent(prev_hash=prev, hash=digest, **fields))
        prev = digest
        if len(rows) == batch:
            with transaction.atomic():
                AuditEvent.objects.bulk_create(rows)
            rows = []
    if rows:
        with transaction.atomic():
            AuditEvent.objects.bulk_create(rows)


if __name__ == "__main__":
    main()
