"""record(): the one way to write to the audit trail; audit_purge() and audit_redact(): its
retention (the platform's oldest events; each cell's events past that cell's value)."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from cmer.audit import context
from cmer.audit.chain import (
    FIELDS,
    GENESIS,
    anchor_mac,
    canonical,
    compute_hash,
    event_inner_digest,
    hash_from_inner,
)
from cmer.audit.models import AuditAnchor, AuditEvent, AuditPurgePermit, AuditRedactionPermit, Outcome

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


def _lock_chain() -> None:
    """Serialise writers of the chain until the end of the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])


def locked_head() -> tuple[int, str]:
    """Lock the chain for the current transaction and return its head (seq, hash), (0, GENESIS)
    when empty. Writers that append several events at once (the scale generator) start here."""
    _lock_chain()
    return _head()


def _head() -> tuple[int, str]:
    # From the connection that writes the event, whatever a router would pick for reads.
    head = AuditEvent.objects.using(connection.alias).order_by("-seq").values_list("seq", "hash").first()
    return (head[0], head[1]) if head else (0, GENESIS)


_COLUMNS = FIELDS
# Constant identifiers only; the values are bound parameters.
_INSERT = (
    f"""INSERT INTO "audit_auditevent" ({", ".join(_COLUMNS)}) SELECT {", ".join(["%s"] * len(_COLUMNS))}"""
)
# PostgreSQL, outside a transaction: the INSERT takes the chain's lock itself, for its own length.
_LOCKED = " FROM (SELECT pg_advisory_xact_lock(%s)) AS chain_lock"


def _insert(fields: dict[str, Any], *, locked: bool = False) -> AuditEvent:
    """One INSERT of the event (no model save machinery: this runs on every audited request)."""
    by_name = {field.name: field for field in AuditEvent._meta.concrete_fields}
    params = [by_name[name].get_db_prep_save(fields[name], connection) for name in _COLUMNS]
    with connection.cursor() as cursor:
        if locked:
            cursor.execute(f"{_INSERT}{_LOCKED} RETURNING id", [*params, _PG_LOCK_KEY])
        else:
            cursor.execute(f"{_INSERT} RETURNING id", params)
        (pk,) = cursor.fetchone()
    event = AuditEvent(id=pk, **fields)
    event._state.adding, event._state.db = False, connection.alias
    return event


def _hashed(fields: dict[str, Any], head_seq: int, prev_hash: str) -> dict[str, Any]:
    """The event after the head: dated now, once the head is known (dates follow the chain)."""
    event = {"seq": head_seq + 1, "created_at": timezone.now(), **fields}
    return {**event, "prev_hash": prev_hash, "hash": compute_hash(prev_hash, canonical(**event))}


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
    """Append one event to the chain, inside the caller's transaction (or as its own statement).

    Writers are serialised (PostgreSQL advisory lock; SQLite's IMMEDIATE transactions) so the
    chain head read here is still the head when the row is inserted. Inside a transaction the
    lock is taken before the head is read and held to its end. Outside one (a page that only
    reads, P4 in docs/performance.md) on PostgreSQL, the head is read, then one INSERT takes the
    lock for its own length: 2 statements instead of BEGIN, lock, head, INSERT, COMMIT. If
    another writer appended meanwhile, the unique seq refuses the row (a committed event never
    changes, so the one read is still a valid predecessor otherwise) and the locked path is taken.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    ctx = context.current()
    fields: dict[str, Any] = {
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
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        try:
            return _insert(_hashed(fields, *_head()), locked=True)
        except IntegrityError:
            pass  # another writer took this seq: append under the lock, as in a transaction
    # No savepoint: an event that cannot be written fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        return _insert(_hashed(fields, *locked_head()))


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


@dataclass(frozen=True)
class PurgeReport:
    wet_run: bool
    cutoff: datetime
    due: int  # events older than the retention (what a dry run would delete)
    deleted: int
    first_seq: int | None  # the first event kept (the new start of the chain)


@transaction.atomic
def audit_purge(*, retention_days: int, wet_run: bool, now: datetime | None = None) -> PurgeReport:
    """Delete audit events older than the retention, keeping the chain verifiable.

    Everything from the first event younger than the cutoff is kept (conservative when clocks
    disagree). In one transaction: the purge's own event (counts only) is appended, a keyed
    anchor records the new start, a permit lets the trigger accept the deletes, and the permit
    is removed. A dry run only counts. Running it twice deletes nothing more the second time.
    """
    if retention_days < 1:
        raise ValueError("audit retention must be at least one day")
    _lock_chain()
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    first_recent = (
        AuditEvent.objects.filter(created_at__gte=cutoff)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    if head is None:
        return PurgeReport(wet_run, cutoff, 0, 0, None)
    # When every event is old, the purge's own event (head + 1) becomes the start of the chain.
    first_seq = first_recent if first_recent is not None else head + 1
    due = AuditEvent.objects.filter(seq__lt=first_seq).count()
    if not wet_run or due == 0:
        return PurgeReport(wet_run, cutoff, due, 0, first_seq)
    event = record(
        action="audit.purge",
        target_type="audit.auditevent",
        data={"deleted": due, "first_seq": first_seq, "retention_days": retention_days},
    )
    if first_seq == event.seq:
        prev_hash = event.prev_hash
    else:
        prev_hash = AuditEvent.objects.values_list("prev_hash", flat=True).get(seq=first_seq)
    created_at = timezone.now()
    AuditAnchor.objects.create(
        first_seq=first_seq,
        prev_hash=prev_hash,
        created_at=created_at,
        deleted=due,
        mac=anchor_mac(first_seq=first_seq, prev_hash=prev_hash, deleted=due, created_at=created_at),
    )
    permit = AuditPurgePermit.objects.create(below_seq=first_seq)
    # One DELETE statement: no objects loaded whatever signal receivers exist (millions of rows).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq < %s", [first_seq])
        deleted = cursor.rowcount
    permit.delete()
    return PurgeReport(wet_run, cutoff, due, deleted, first_seq)


class RedactionRefused(Exception):
    """An event due for redaction does not match its own hash. Blanking it would destroy the
    evidence of a change, so nothing is redacted (the transaction rolls back) and the operator
    is told, like a failing verify_audit. Not a DomainError: no user ever sees it as a page."""


# What a redaction keeps: id, seq, created_at (the platform's cut of the oldest events reads it),
# prev_hash and hash. Everything else is blanked; the trigger (version 3) accepts nothing else.
_REDACT_SQL = (
    "UPDATE audit_auditevent SET inner_digest = %s, actor_id = NULL, cell_id = NULL, action = '', "
    "target_type = '', target_id = '', outcome = '', request_id = '', ip = NULL, data = '{}' "
    "WHERE id = %s"
)
_CONTENT = tuple(f for f in FIELDS if f not in ("prev_hash", "hash"))


@transaction.atomic
def audit_redact(*, cell_id: int, retention_days: int, now: datetime | None = None, batch: int = 2000) -> int:
    """Blank the content of this cell's events older than its retention; return how many.

    Each event is first checked against its own hash; its HMAC inner digest is then stored and
    its content blanked, so verify() still checks its hash and the next event's link to it
    (docs/decisions/0008-audit-retention-per-cell.md). In one transaction, under a permit the
    trigger requires, with the chain locked; its own event holds counts only. Idempotent: a
    redacted event is no longer the cell's, so a second run finds nothing.
    """
    if retention_days < 1:
        raise ValueError("audit retention must be at least one day")
    _lock_chain()
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    due = AuditEvent.objects.filter(cell_id=cell_id, created_at__lt=cutoff, inner_digest="")
    if not due.exists():
        return 0
    permit = AuditRedactionPermit.objects.create(cell_id=cell_id, before=cutoff)
    redacted = 0
    while rows := list(due.order_by("seq").values_list("id", "prev_hash", "hash", *_CONTENT)[:batch]):
        updates = []
        for pk, prev_hash, stored_hash, *content in rows:
            inner = event_inner_digest(prev_hash, canonical(**dict(zip(_CONTENT, content, strict=True))))
            if not hmac.compare_digest(hash_from_inner(inner), stored_hash):
                raise RedactionRefused(
                    f"audit event seq={content[0]} does not match its hash: nothing redacted"
                )
            updates.append((inner.hex(), pk))
        # Redacted rows leave `due` (their cell is blanked): the next batch is the next rows.
        with connection.cursor() as cursor:
            cursor.executemany(_REDACT_SQL, updates)
        redacted += len(updates)
    permit.delete()
    record(
        action="audit.redact",
        cell=cell_id,
        target_type="audit.auditevent",
        data={"redacted": redacted, "retention_days": retention_days},
    )
    return redacted
