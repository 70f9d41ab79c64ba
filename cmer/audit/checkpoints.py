"""Audit checkpoints: the chain head written to a file outside the database.

A keyed chain detects any change inside the table, but not the loss of its tail (truncation) or
the replacement of the whole table by an older copy: both leave a valid, shorter chain. A line
appended regularly to a file the database cannot rewrite (other disk, other host, WORM storage)
records the head; `verify_audit` then checks that this head is still in the chain, unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from cmer.audit.chain import VerifyResult, latest_anchor, verify

# A checkpoint line is short; reading this much of the file's end always covers the last one.
_TAIL_BYTES = 64 * 1024


class CheckpointError(Exception):
    """The chain is broken, or it no longer holds what the latest checkpoint recorded.

    Deliberately not a DomainError: it is an integrity alarm for the operator (the management
    commands turn it into a failing exit status), never a refusal to show a user as a page
    message, which is what run_service() would make of a DomainError.
    """


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    count: int
    at: str
    anchor_seq: int | None = None


def default_path() -> Path:
    return Path(settings.CMER_AUDIT_CHECKPOINT_PATH)


def write_checkpoint(path: Path | None = None, *, now: datetime | None = None) -> Checkpoint:
    """Verify the chain, then append its head as one JSON line and fsync it.

    Refusing to checkpoint a broken chain keeps a tampered head from ever being blessed.
    """
    result = verify()
    if not result.ok:
        raise CheckpointError(describe_failure(result))
    if result.head_seq is None:
        raise CheckpointError("the audit trail is empty: nothing to checkpoint")
    checkpoint = Checkpoint(
        seq=result.head_seq,
        hash=result.head_hash,
        count=result.checked,
        at=(now or timezone.now()).astimezone(UTC).isoformat(),
        anchor_seq=result.anchor_seq,
    )
    target = path or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(checkpoint.__dict__, sort_keys=True, separators=(",", ":")) + "\n"
    with open(target, "a", encoding="ascii") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return checkpoint


def read_latest(path: Path | None = None) -> Checkpoint | None:
    """The last complete line of the file, or None when there is no file or no line yet."""
    target = path or default_path()
    if not target.exists():
        return None
    with open(target, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - _TAIL_BYTES))
        tail = handle.read().decode("ascii", errors="strict")
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        raw: dict[str, Any] = json.loads(lines[-1])
        return Checkpoint(
            seq=int(raw["seq"]),
            hash=str(raw["hash"]),
            count=int(raw["count"]),
            at=str(raw["at"]),
            anchor_seq=raw.get("anchor_seq"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"the latest checkpoint line of {target} is unreadable") from exc


def check_against(checkpoint: Checkpoint) -> str:
    """Empty string when the checkpointed head is still in the chain; else what is wrong."""
    from cmer.audit.models import AuditEvent

    stored = AuditEvent.objects.filter(seq=checkpoint.seq).values_list("hash", flat=True).first()
    if stored is not None:
        if stored != checkpoint.hash:
            return (
                f"event seq={checkpoint.seq} no longer has the hash recorded by the checkpoint of "
                f"{checkpoint.at}: the audit table was replaced or rewritten"
            )
        return ""
    anchor = latest_anchor()
    if anchor is not None and checkpoint.seq < anchor.first_seq:
        # A retention purge legitimately removed it after the checkpoint; the anchor (keyed,
        # verified by verify()) carries the chain on. When it is the event just before the anchor,
        # its hash is still checkable.
        if checkpoint.seq == anchor.first_seq - 1 and anchor.prev_hash != checkpoint.hash:
            return f"the purge anchor does not continue the checkpoint of {checkpoint.at}"
        return ""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    if head is None or head < checkpoint.seq:
        return (
            f"TRUNCATED: the checkpoint of {checkpoint.at} recorded head seq={checkpoint.seq}, "
            f"but the chain now ends at seq={head}"
        )
    return f"event seq={checkpoint.seq} recorded by the checkpoint of {checkpoint.at} is missing"


def describe_failure(result: VerifyResult) -> str:
    return (
        f"Audit chain BROKEN at event seq={result.first_bad_seq} (id={result.first_bad_id}): "
        f"{result.reason}. {result.checked} events verified before it."
    )
