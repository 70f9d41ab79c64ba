"""The audit hash chain: how an event is hashed, and how a stored chain is verified.

Each event's hash is an HMAC-SHA256, keyed by CMER_AUDIT_KEY, over the previous hash and the
event's canonical fields. A key (not a bare hash) means someone with write access to the database
but not to the key cannot rewrite the chain after a change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

GENESIS = "0" * 64
FIELDS = (
    "seq",
    "created_at",
    "actor_id",
    "cell_id",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "request_id",
    "ip",
    "data",
    "prev_hash",
    "hash",
)


def _key() -> bytes:
    return settings.CMER_AUDIT_KEY.encode()


def canonical(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    cell_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    outcome: str,
    request_id: str,
    ip: str | None,
    data: dict[str, Any],
) -> bytes:
    stamp = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    parts = [
        str(seq),
        stamp,
        "" if actor_id is None else str(actor_id),
        "" if cell_id is None else str(cell_id),
        action,
        target_type,
        target_id,
        outcome,
        request_id,
        ip or "",
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True),
    ]
    return "\x1f".join(parts).encode()


def compute_hash(prev_hash: str, payload: bytes) -> str:
    return hmac.new(_key(), prev_hash.encode() + b"\x1e" + payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str = ""


def iter_rows(batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Walk the table by primary key in fixed-size batches (keyset), in bounded memory."""
    from cmer.audit.models import AuditEvent

    last_id = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(id__gt=last_id).order_by("id").values_list("id", *FIELDS)[:batch]
        )
        if not rows:
            return
        yield from rows
        last_id = rows[-1][0]


def verify(
    *, start_seq: int | None = None, start_prev_hash: str | None = None, batch: int = 5000
) -> VerifyResult:
    """Recompute every hash and link. `start_*` come from a checkpoint after old events were purged."""
    expected_prev = start_prev_hash if start_prev_hash is not None else GENESIS
    expected_seq = start_seq if start_seq is not None else 1
    checked = 0
    head_seq: int | None = None
    head_hash = expected_prev
    for row in iter_rows(batch):
        (
            pk,
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
            prev_hash,
            stored_hash,
        ) = row
        reason = ""
        if seq != expected_seq:
            reason = f"sequence gap or reordering: expected {expected_seq}, found {seq}"
        elif prev_hash != expected_prev:
            reason = "previous-hash link does not match the preceding event"
        if reason:
            return VerifyResult(False, checked, head_seq, head_hash, seq, pk, reason)
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
            data=data if isinstance(data, dict) else json.loads(data),
        )
        if not hmac.compare_digest(compute_hash(prev_hash, payload), stored_hash):
            return VerifyResult(
                False, checked, head_seq, head_hash, seq, pk, "content does not match its hash"
            )
        checked += 1
        head_seq, head_hash = seq, stored_hash
        expected_prev, expected_seq = stored_hash, seq + 1
    return VerifyResult(True, checked, head_seq, head_hash)
