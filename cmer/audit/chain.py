"""The audit hash chain: how an event is hashed, and how a stored chain is verified.

Each event's hash is an HMAC-SHA256, keyed by CMER_AUDIT_KEY, over the previous hash and the
event's canonical fields. A key (not a bare hash) means someone with write access to the database
but not to the key cannot rewrite the chain after a change.

After a retention purge the chain starts at the latest AuditAnchor (first remaining seq and its
prev_hash, itself keyed); verification starts there.
"""

from __future__ import annotations

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


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    parts = [
        str(seq),
        _stamp(created_at),
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


def compute_hash(prev_hash: str, payload: bytes, key: bytes | None = None) -> str:
    # hmac.digest is the one-shot C path: same value as hmac.new(...).hexdigest(), much faster.
    return hmac.digest(key or _key(), prev_hash.encode() + b"\x1e" + payload, "sha256").hex()


def anchor_mac(*, first_seq: int, prev_hash: str, deleted: int, created_at: datetime) -> str:
    """Keyed seal of an anchor; the 'anchor' prefix keeps it from ever equalling an event hash."""
    message = f"anchor\x1f{first_seq}\x1f{prev_hash}\x1f{deleted}\x1f{_stamp(created_at)}".encode()
    return hmac.digest(_key(), message, "sha256").hex()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str = ""
    anchor_seq: int | None = None


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


def latest_anchor() -> Any:
    from cmer.audit.models import AuditAnchor

    return AuditAnchor.objects.order_by("-first_seq").first()


def verify(
    *,
    start_seq: int | None = None,
    start_prev_hash: str | None = None,
    batch: int = 5000,
    use_anchor: bool = True,
) -> VerifyResult:
    """Recompute every hash and link, from the latest anchor (if any) or from the genesis.

    `start_*` override the anchor (e.g. to check a copy from a known point).
    """
    anchor_seq: int | None = None
    if start_seq is None and use_anchor:
        anchor = latest_anchor()
        if anchor is not None:
            expected_mac = anchor_mac(
                first_seq=anchor.first_seq,
                prev_hash=anchor.prev_hash,
                deleted=anchor.deleted,
                created_at=anchor.created_at,
            )
            if not hmac.compare_digest(expected_mac, anchor.mac):
                return VerifyResult(
                    False, 0, None, "", anchor.first_seq, None, "purge anchor is forged or altered"
                )
            start_seq, start_prev_hash, anchor_seq = anchor.first_seq, anchor.prev_hash, anchor.first_seq
    expected_prev = start_prev_hash if start_prev_hash is not None else GENESIS
    expected_seq = start_seq if start_seq is not None else 1
    key = _key()
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
            return VerifyResult(False, checked, head_seq, head_hash, seq, pk, reason, anchor_seq)
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
        if not hmac.compare_digest(compute_hash(prev_hash, payload, key), stored_hash):
            return VerifyResult(
                False, checked, head_seq, head_hash, seq, pk, "content does not match its hash", anchor_seq
            )
        checked += 1
        head_seq, head_hash = seq, stored_hash
        expected_prev, expected_seq = stored_hash, seq + 1
    return VerifyResult(True, checked, head_seq, head_hash, anchor_seq=anchor_seq)
