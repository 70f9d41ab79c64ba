"""The audit hash chain: how an event is hashed, and how a stored chain is verified.

Each event's hash is an HMAC-SHA256, keyed by CMER_AUDIT_KEY, over the previous hash and the
event's canonical fields. A key (not a bare hash) means someone with write access to the database
but not to the key cannot rewrite the chain after a change.

After a retention purge the chain starts at the latest AuditAnchor (first remaining seq and its
prev_hash, itself keyed); verification starts there.

An event redacted by its cell's retention (services.audit_redact, ADR 0008) has lost its content
but kept HMAC's inner digest: its hash is checked as H((K ^ opad) || inner digest), and the next
event's link to it as for any other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
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


@lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer pad blocks hashed once.

    Identical output to hmac.digest(key, msg, "sha256") (a test pins it), but each message then
    costs its own blocks plus one, instead of re-hashing both pads: ~2.5x faster on audit rows.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def inner_digest(key: bytes, message: bytes) -> bytes:
    """HMAC's inner hash H((K ^ ipad) || message): what a redacted event keeps of its content."""
    inner = _pads(key)[0].copy()
    inner.update(message)
    return inner.digest()


def outer_digest(key: bytes, inner: bytes) -> str:
    """HMAC's result H((K ^ opad) || inner digest), as hex (the stored event hash)."""
    outer = _pads(key)[1].copy()
    outer.update(inner)
    return outer.hexdigest()


def keyed_digest(key: bytes, message: bytes) -> str:
    return outer_digest(key, inner_digest(key, message))


def hash_message(prev_hash: str, payload: bytes) -> bytes:
    """The bytes an event's hash is the HMAC of: the previous hash, a separator, its content."""
    return prev_hash.encode() + b"\x1e" + payload


def compute_hash(prev_hash: str, payload: bytes, key: bytes | None = None) -> str:
    return keyed_digest(key or _key(), hash_message(prev_hash, payload))


def event_inner_digest(prev_hash: str, payload: bytes) -> bytes:
    """The inner digest of an event's hash under the audit key: what its redaction stores."""
    return inner_digest(_key(), hash_message(prev_hash, payload))


def hash_from_inner(inner: bytes) -> str:
    """The event hash an inner digest gives under the audit key."""
    return outer_digest(_key(), inner)


def redacted_matches(outer_pad: Any, inner_hex: str, stored_hash: str) -> bool:
    """A redacted event's check: its stored inner digest, through the key's outer pad (a copy of
    _pads(key)[1]), gives its stored hash. Without the key no other digest can give that hash."""
    try:
        inner = bytes.fromhex(inner_hex)
    except ValueError:
        return False
    outer = outer_pad.copy()
    outer.update(inner)
    return len(inner) == 32 and hmac.compare_digest(outer.hexdigest(), stored_hash)


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


_COLUMNS = ", ".join(("id", *FIELDS, "inner_digest"))


def iter_raw_rows(
    batch: int = 5000,
    on_batch: Callable[[int], object] | None = None,
    *,
    after_id: int = 0,
    up_to_id: int | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Like iter_rows, but straight from the database cursor, without the ORM's per-value
    converters: verification spends its time hashing, not building Python objects (P5).

    Rows with `after_id` < id <= `up_to_id` (no upper bound when None: rows appended meanwhile
    are read too). `data` comes as its stored text, which data_json() canonicalises from a cache.
    """
    from django.db import connection

    columns = _COLUMNS
    if connection.vendor == "sqlite":
        # An expression has no declared type, so SQLite hands back the stored text and Django's
        # datetime converter (a parse per row) is skipped; stamp_of() reads the text directly.
        columns = columns.replace("created_at", "created_at || '' AS created_at", 1)
    else:
        # The canonical stamp made by PostgreSQL: turning each timestamptz into a datetime, then
        # back into text, was half of the verification's time (P5 profile, docs/performance.md).
        # jsonb as text: psycopg would build a dict per row that json.dumps() then walks again.
        stamp = """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
        columns = columns.replace("created_at", f"{stamp} AS created_at", 1).replace("data", "data::text", 1)
    # Constant identifiers only; the values are bound parameters. No "id <= bound" in the SQL: with
    # it PostgreSQL may scan and sort the whole rest of the range for every batch (a bitmap scan on
    # a stale estimate: 4x slower, measured); past the bound the batch is cut here instead, and the
    # LIMIT never asks more rows than the ids left in the range can hold (a range narrower than a
    # batch read a whole batch, mostly the next range's rows: 10 times too many for 1,000 ids).
    sql = f"SELECT {columns} FROM audit_auditevent WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608  # nosec B608
    last_id = after_id
    while True:
        limit = batch if up_to_id is None else min(batch, up_to_id - last_id)
        if limit <= 0:
            return
        with connection.cursor() as cursor:
            cursor.execute(sql, [last_id, limit])
            rows = cursor.fetchall()
        past_bound = up_to_id is not None and bool(rows) and rows[-1][0] > up_to_id
        if past_bound:
            rows = [row for row in rows if row[0] <= up_to_id]
        if not rows:
            return
        if on_batch is not None:
            on_batch(len(rows))
        yield from rows
        if past_bound:
            return
        last_id = rows[-1][0]


def stamp_of(value: Any) -> str:
    """The canonical UTC stamp ("%Y-%m-%dT%H:%M:%S.%fZ") of a stored created_at.

    The database gives the canonical text itself (PostgreSQL, iter_raw_rows), an aware datetime
    (PostgreSQL through the ORM), a naive UTC one (SQLite through Django's converters) or SQLite's
    text "YYYY-MM-DD HH:MM:SS[.ffffff]"; isoformat() is the fast C path.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "Z"
    if len(value) == 27 and value[10] == "T" and value[26] == "Z":
        return value  # already canonical (made by PostgreSQL)
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        return f"{value[:10]}T{value[11:]}Z"
    if len(value) == 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}.000000Z"
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    return value if parsed is None else stamp_of(parsed)


@lru_cache(maxsize=4096)
def _json_text(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def data_json(value: Any) -> str:
    """Canonical JSON of the stored `data` (text, cached: audit data repeats a lot; or decoded)."""
    if isinstance(value, str):
        return "{}" if value == "{}" else _json_text(value)
    if isinstance(value, bytes):
        return _json_text(value.decode())
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def latest_anchor() -> Any:
    from cmer.audit.models import AuditAnchor

    return AuditAnchor.objects.order_by("-first_seq").first()


@dataclass(frozen=True)
class _Span:
    """What one range of rows (by primary key) says about itself. Its first row's seq and
    prev_hash are checked against the preceding range when the spans are joined, in order."""

    read: int = 0
    checked: int = 0
    first: tuple[int, int, str] | None = None  # (pk, seq, prev_hash) of its first row
    last_seq: int | None = None
    last_hash: str = ""
    bad: tuple[int, int, str] | None = None  # (seq, pk, reason) of its first broken row


def _verify_span(
    after_id: int, up_to_id: int | None, batch: int, on_batch: Callable[[int], object] | None = None
) -> _Span:
    """Recompute the hashes of one range of rows and the links inside it."""
    inner_pad, outer_pad = _pads(_key())
    first: tuple[int, int, str] | None = None
    read = checked = 0
    last_seq: int | None = None
    last_hash = expected_prev = ""
    expected_seq = 0
    for row in iter_raw_rows(batch, on_batch, after_id=after_id, up_to_id=up_to_id):
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
            redacted_inner,
        ) = row
        read += 1
        if first is None:
            first = (pk, seq, prev_hash)
        elif seq != expected_seq:
            reason = f"sequence gap or reordering: expected {expected_seq}, found {seq}"
            return _Span(read, checked, first, last_seq, last_hash, (seq, pk, reason))
        elif prev_hash != expected_prev:
            reason = "previous-hash link does not match the preceding event"
            return _Span(read, checked, first, last_seq, last_hash, (seq, pk, reason))
        if redacted_inner:  # content blanked by its cell's retention (ADR 0008): check the digest
            if not redacted_matches(outer_pad, redacted_inner, stored_hash):
                bad = (seq, pk, "redacted event's digest does not match its hash")
                return _Span(read, checked, first, last_seq, last_hash, bad)
            checked += 1
            last_seq, last_hash = seq, stored_hash
            expected_prev, expected_seq = stored_hash, seq + 1
            continue
        # Same bytes as canonical(), built inline: this loop is the verification's hot path.
        message = "\x1f".join(
            (
                str(seq),
                stamp_of(created_at),
                "" if actor_id is None else str(actor_id),
                "" if cell_id is None else str(cell_id),
                action,
                target_type,
                target_id,
                outcome,
                request_id,
                "" if ip is None else str(ip),
                data_json(data),
            )
        )
        inner = inner_pad.copy()
        inner.update(f"{prev_hash}\x1e{message}".encode())
        outer = outer_pad.copy()
        outer.update(inner.digest())
        if not hmac.compare_digest(outer.hexdigest(), stored_hash):
            bad = (seq, pk, "content does not match its hash")
            return _Span(read, checked, first, last_seq, last_hash, bad)
        checked += 1
        last_seq, last_hash = seq, stored_hash
        expected_prev, expected_seq = stored_hash, seq + 1
    return _Span(read, checked, first, last_seq, last_hash)


def _start_worker(database: dict[str, Any], audit_key: str) -> None:
    """A spawned worker starts with nothing: Django is set up on the parent's database and key."""
    import django

    settings.DATABASES = {"default": database}
    settings.CMER_AUDIT_KEY = audit_key
    django.setup()


def _span_job(bounds: tuple[int, int | None, int]) -> _Span:
    """One range in a worker process, which then lets its connection go (no idle one is left)."""
    from django.db import connection

    try:
        return _verify_span(*bounds)
    finally:
        connection.close()


def _join(
    spans: Iterable[_Span], expected_seq: int, expected_prev: str, anchor_seq: int | None
) -> VerifyResult:
    """Chain the ranges in order: each one's first row must follow the previous range's last.
    The first failure in walk order is named, exactly as one walk over the whole table would."""
    checked = 0
    head_seq: int | None = None
    head_hash = expected_prev
    for span in spans:
        if span.first is None:
            continue
        pk, seq, prev_hash = span.first
        if seq != expected_seq:
            reason = f"sequence gap or reordering: expected {expected_seq}, found {seq}"
            return VerifyResult(False, checked, head_seq, head_hash, seq, pk, reason, anchor_seq)
        if prev_hash != expected_prev:
            reason = "previous-hash link does not match the preceding event"
            return VerifyResult(False, checked, head_seq, head_hash, seq, pk, reason, anchor_seq)
        checked += span.checked
        if span.last_seq is not None:
            head_seq, head_hash = span.last_seq, span.last_hash
        if span.bad is not None:
            return VerifyResult(False, checked, head_seq, head_hash, *span.bad, anchor_seq)
        expected_seq, expected_prev = span.last_seq + 1, span.last_hash  # type: ignore[operator]
    return VerifyResult(True, checked, head_seq, head_hash, anchor_seq=anchor_seq)


PARALLEL_SPAN = 100_000  # ids per range in worker processes: a range is a few seconds' work


def _ranges(span: int) -> list[tuple[int, int | None]]:
    """Primary-key ranges of about `span` ids; the last one is open (rows appended meanwhile)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM audit_auditevent")
        low, high = cursor.fetchone()
    if low is None:
        return [(0, None)]
    bounds = list(range(low - 1, high, span))
    return [*pairwise(bounds), (bounds[-1], None)]


def verify(
    *,
    start_seq: int | None = None,
    start_prev_hash: str | None = None,
    batch: int = 5000,
    use_anchor: bool = True,
    on_batch: Callable[[int], object] | None = None,
    processes: int = 1,
    span: int | None = None,
) -> VerifyResult:
    """Recompute every hash and link, from the latest anchor (if any) or from the genesis.

    `start_*` override the anchor (e.g. to check a copy from a known point). `on_batch(n)` is told
    of each batch of rows read (a progress bar), outside the per-row loop.

    The table can be cut into ranges of `span` ids, verified apart (each event carries its
    predecessor's hash, so a range needs nothing from the others) and joined in order: the
    result, and the event named when the chain is broken, are the same as one walk. With
    `processes` > 1 the ranges run in that many worker processes, on PostgreSQL and outside a
    transaction only (workers cannot see another connection's uncommitted rows, nor an
    in-memory SQLite database); otherwise they run here, one after the other.
    """
    from django.db import connection

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
    parallel = processes > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    if span is None and parallel:
        span = PARALLEL_SPAN
    ranges = [(0, None)] if span is None else _ranges(span)
    if not parallel or len(ranges) == 1:
        spans = (_verify_span(after, up_to, batch, on_batch) for after, up_to in ranges)
        return _join(spans, expected_seq, expected_prev, anchor_seq)
    # Workers are spawned, not forked: a fork copies this process's threads' locks as they are
    # (a test runner's, a pool's own) and could leave a worker blocked for ever. They are told
    # the database this connection uses (under tests, the test database) and the key. They are
    # never killed mid-range: one killed while sending its result holds the result queue's
    # lock for good, the likely way multiprocessing.Pool.terminate() once hung here after a
    # break was found (seen once, not reproduced). On a break, the ranges not started are
    # cancelled and those under way finish; a worker that dies (OOM killer) raises
    # BrokenProcessPool.
    pool = ProcessPoolExecutor(
        max_workers=min(processes, len(ranges)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(dict(connection.settings_dict), settings.CMER_AUDIT_KEY),
    )
    try:
        jobs = [pool.submit(_span_job, (after, up_to, batch)) for after, up_to in ranges]
        done = (job.result() for job in jobs)
        return _join(_told(done, on_batch), expected_seq, expected_prev, anchor_seq)
    finally:
        pool.shutdown(cancel_futures=True)


def _told(spans: Iterable[_Span], on_batch: Callable[[int], object] | None) -> Iterator[_Span]:
    for span in spans:
        if on_batch is not None:
            on_batch(span.read)
        yield span
