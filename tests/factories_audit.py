"""Audit chains built in bulk, hashed exactly as record() does, for tests and benchmarks."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from cmer.audit.chain import GENESIS, canonical, compute_hash
from cmer.audit.models import AuditEvent

ACTIONS = ["case.read", "case.update", "auth.login_password", "meeting.read", "referral.create"]


def bulk_chain(
    n: int,
    *,
    start_at: datetime | None = None,
    step: timedelta = timedelta(seconds=1),
    id_stride: int = 1,
    seed: int = 0,
    batch: int = 2000,
    cells: tuple[int | None, ...] = (1, 2, None),
) -> None:
    """Append n valid events after the current head (so it composes with record()).

    `id_stride` > 1 leaves gaps in primary keys, where a test can slip a forged row. Each event
    belongs to one of `cells` (None: a platform event), drawn at random.
    """
    rng = random.Random(seed)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash", "id").first()
    seq, prev, last_id = (head[0], head[1], head[2]) if head else (0, GENESIS, 0)
    moment = start_at or timezone.now()
    rows: list[AuditEvent] = []
    for _ in range(n):
        seq += 1
        last_id += id_stride
        fields = {
            "seq": seq,
            "created_at": moment,
            "actor_id": rng.randint(1, 50),
            "cell_id": rng.choice(cells),
            "action": rng.choice(ACTIONS),
            "target_type": "cases.case",
            "target_id": str(rng.randint(1, 5000)),
            "outcome": rng.choice(["ok", "ok", "ok", "denied"]),
            "request_id": f"{rng.getrandbits(64):016x}",
            "ip": rng.choice(["10.0.0.1", "192.0.2.7", None]),
            "data": {"n": rng.randint(0, 9)} if rng.random() < 0.5 else {},
        }
        digest = compute_hash(prev, canonical(**fields))
        rows.append(AuditEvent(id=last_id, prev_hash=prev, hash=digest, **fields))
        prev = digest
        moment += step
        if len(rows) >= batch:
            AuditEvent.objects.bulk_create(rows)
            rows = []
    if rows:
        AuditEvent.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        # Explicit ids do not advance the id sequence; record() must not collide with them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), "
                "(SELECT MAX(id) FROM audit_auditevent))"
            )
