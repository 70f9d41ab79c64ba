"""record(): the one way to write to the audit trail."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from cmer.audit.chain import GENESIS, canonical, compute_hash
from cmer.audit.models import AuditEvent, Outcome
from cmer.core import context

# Audit data values are codes: short tokens without spaces. Free text would let personal values in.
_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")
# Arbitrary constant for PostgreSQL's advisory lock serialising writers of the chain.
_PG_LOCK_KEY = 0x434D4552


def _clean_data(data: dict[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if not _CODE.match(key):
            raise ValueError(f"audit data key is not a code: {key!r}")
        if isinstance(value, bool | int) or value is None or (isinstance(value, str) and _CODE.match(value)):
            clean[key] = value
        else:
            raise ValueError(f"audit data value for {key!r} must be a code or a number")
    return clean


def _id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    pk = getattr(obj, "pk", None)
    return int(pk) if pk is not None and getattr(obj, "is_authenticated", True) else None


def record(
    *,
    action: str,
    actor: Any = None,
    cell: Any = None,
    target: Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    outcome: str = Outcome.OK,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or its own).

    Writers are serialised (PostgreSQL advisory lock; SQLite's IMMEDIATE transactions) so the
    chain head read here is still the head when the row is inserted.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    ctx = context.current()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": timezone.now(),
            "actor_id": _id_of(actor),
            "cell_id": _id_of(cell),
            "action": action,
            "target_type": target_type,
            "target_id": "" if target_id in (None, "") else str(target_id),
            "outcome": str(outcome),
            "request_id": ctx.request_id,
            "ip": ctx.ip,
            "data": _clean_data(data),
        }
        digest = compute_hash(prev_hash, canonical(**fields))
        return AuditEvent.objects.create(prev_hash=prev_hash, hash=digest, **fields)


def record_denial(request: Any, *, action: str, target_type: str = "", target_id: Any = "") -> None:
    """Audit a refusal in its own transaction: the view then raises, rolling back its own work."""
    membership = getattr(request, "membership", None)
    record(
        action=action,
        actor=getattr(request, "user", None),
        cell=membership.cell_id if membership else None,
        target_type=target_type,
        target_id=target_id,
        outcome=Outcome.DENIED,
    )
