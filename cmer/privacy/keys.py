"""Key rotation of every encrypted field (issue #6 item 5, issue #12 item 7, issue #14 item 6).

CMER_FIELD_KEYS lists "new:secret,old:secret": the first id is current, the others still decrypt.
The fields to rotate are found by introspection: every concrete EncryptedTextField of every
installed model (identity of persons, free text of signalements, facts, transitions, actions and
their updates, TOTP secrets, and whatever field is added later), never a hand-written list.

A row is pending when one of its tokens names another key id (and, for a person, when its
`key_id` marker is not current). Pending rows are read in raw SQL with their row key and cell
(the binding of docs/decisions/0007-ciphertext-bound-to-row-and-cell.md), decrypted, encrypted
under the current key with the same binding, and written back, in batches: each batch in its own
transaction with its audit event (counts only). A run killed at any point leaves whole batches done
and the others untouched; the next run finds only what is left. A person's blind index
(`name_index`) is rebuilt with the current CMER_BLIND_INDEX_KEY in the same write. At the end every
stored token is checked: it names the current key id and decrypts.

Raw SQL, not save(): a re-encryption changes no value, so it must not move `updated_at`, run a
model's save() logic or fire signals.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from django.apps import apps
from django.db import connection, models, transaction

from cmer.audit.services import record
from cmer.cases.models import Person
from cmer.core import crypto
from cmer.core.fields import EncryptedTextField, associated_data

_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class KeyRotationError(Exception):
    """A record could not be re-encrypted or verified; the message names its id, never a value.

    An operator's error, not a DomainError: only the rotate_keys command meets it (as a
    CommandError), so its message is written for the operator's terminal, not through gettext
    for a page, and no view may turn it into a message a user would take for a refusal.
    """


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field, in a stable order (persons first: their
    blind index is what search depends on)."""
    found = [m for m in apps.get_models() if not m._meta.proxy and encrypted_fields(m)]
    return sorted(found, key=lambda m: (m is not Person, m._meta.label_lower))


def _key_code(key_id: str) -> str:
    return key_id if _CODE.match(key_id) else "-"


@dataclass(frozen=True)
class _Plan:
    """How SQL reaches one model's rows, their tokens, row key and cell."""

    model: type[models.Model]
    fields: list[EncryptedTextField]
    cell_sql: str
    joins: str

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def marker(self) -> bool:
        """Persons carry a `key_id` column and a blind index rebuilt with them."""
        return self.model is Person


def _column(f: Any) -> str:
    return str(f.column or f.name)


def _plan(model: type[models.Model]) -> _Plan:
    """Follow the model's ENCRYPTION_CELL path ("cell_id", "case.cell_id", "action.case.cell_id")
    through its foreign keys, as joins: the cell SQL sees is the cell the field binds to."""
    quote = connection.ops.quote_name
    *hops, last = getattr(model, "ENCRYPTION_CELL", "cell_id").split(".")
    joins, alias, current = [], "t", model
    for i, hop in enumerate(hops):
        fk = cast(models.ForeignKey[Any, Any], current._meta.get_field(hop))
        target = cast(type[models.Model], fk.related_model)
        joined = f"j{i}"
        joins.append(
            f"JOIN {quote(target._meta.db_table)} {joined} "
            f"ON {joined}.{quote(_column(target._meta.pk))} = {alias}.{quote(_column(fk))}"
        )
        alias, current = joined, target
    cell_column = _column(cast(models.Field[Any, Any], current._meta.get_field(last)))
    return _Plan(model, encrypted_fields(model), f"{alias}.{quote(cell_column)}", " ".join(joins))


def plans() -> list[_Plan]:
    return [_plan(m) for m in encrypted_models()]


def _pending_where(plan: _Plan) -> tuple[str, list[Any]]:
    """Rows with a token under another key id (or a person whose marker is not current)."""
    quote = connection.ops.quote_name
    prefix = f"{crypto.PREFIX}:{crypto.current_key_id()}:"
    clauses, params = [], []
    for f in plan.fields:
        column = f"t.{quote(_column(f))}"
        clauses.append(f"({column} IS NOT NULL AND {column} <> '' AND SUBSTR({column}, 1, %s) <> %s)")
        params += [len(prefix), prefix]
    if plan.marker:
        clauses.append("t.key_id <> %s")
        params.append(crypto.current_key_id())
    return " OR ".join(clauses), params


def _count_pending(plan: _Plan) -> int:
    where, params = _pending_where(plan)
    table = connection.ops.quote_name(plan.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} t WHERE {where}", params)  # noqa: S608  # nosec B608
        return int(cursor.fetchone()[0])


def pending_by_model() -> dict[str, int]:
    """How many rows of each model still hold a token under a non-current key."""
    counts = {plan.label: _count_pending(plan) for plan in plans()}
    return {label: n for label, n in counts.items() if n}


def _row_key(raw: Any) -> str:
    return str(uuid.UUID(str(raw)))


def _select(plan: _Plan, where: str, *, lock: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"t.{quote(_column(f))}" for f in plan.fields)
    marker = ", t.key_id" if plan.marker else ""
    # Identifiers come from model metadata; the values are bound parameters.
    sql = (
        f"SELECT t.id, t.row_key, {plan.cell_sql}{marker}, {columns} "  # noqa: S608  # nosec B608
        f"FROM {quote(plan.model._meta.db_table)} t {plan.joins} WHERE t.id > %s AND ({where}) "
        "ORDER BY t.id LIMIT %s"
    )
    if lock and connection.features.has_select_for_update_of:
        # A concurrent edit of the same row waits for this batch (SQLite serialises writers).
        sql += " FOR UPDATE OF t"
    return sql


def _person_columns(plain: dict[str, str], current: str) -> dict[str, str]:
    """The marker and the blind index, rebuilt with the current keys (same formula as
    cases.persons.person_name_index; an identity already purged keeps its index)."""
    columns = {"key_id": current}
    if plain.get("last_name") and plain.get("first_name") and plain.get("birth_date"):
        columns["name_index"] = crypto.blind_index(
            plain["last_name"], plain["first_name"], plain["birth_date"]
        )
    return columns


def _rotate_batch(plan: _Plan, *, after: int, batch_size: int) -> tuple[int, int]:
    """Re-encrypt up to `batch_size` pending rows with id > `after`; (rows done, last id) or (0, after)."""
    current = crypto.current_key_id()
    quote = connection.ops.quote_name
    where, params = _pending_where(plan)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_select(plan, where, lock=True), [after, *params, batch_size])
        rows = cursor.fetchall()
        if not rows:
            return 0, after
        for row in rows:
            pk, raw_key, cell = row[:3]
            tokens = row[4:] if plan.marker else row[3:]
            row_key, cell_id = _row_key(raw_key), str(cell)
            plain, sealed = {}, {}
            for f, token in zip(plan.fields, tokens, strict=True):
                if not token:
                    continue
                aad = associated_data(plan.label, f.name, row_key, cell_id)
                try:
                    plain[f.name] = crypto.decrypt(token, field=aad)
                except crypto.DecryptionError as exc:
                    raise KeyRotationError(
                        f"{plan.label} id={pk} cannot be decrypted with the configured keys: {exc}"
                    ) from exc
                sealed[_column(f)] = crypto.encrypt(plain[f.name], field=aad)
            if plan.marker:
                sealed.update(_person_columns(plain, current))
            assignments = ", ".join(f"{quote(c)} = %s" for c in sealed)
            cursor.execute(
                f"UPDATE {quote(plan.model._meta.db_table)} SET {assignments} WHERE id = %s",  # noqa: S608  # nosec B608
                [*sealed.values(), pk],
            )
        record(
            action="privacy.keys_rotate_batch",
            target_type=plan.label,
            data={"count": len(rows), "key_id": _key_code(current), "first_id": rows[0][0]},
        )
    return len(rows), rows[-1][0]


@dataclass
class VerifyReport:
    checked: int = 0
    failed: int = 0
    bad: list[str] = field(default_factory=list)  # the first few failing rows, "label id=N"

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _all_rows(plan: _Plan, batch: int) -> Iterator[tuple[Any, ...]]:
    """Every stored row of the model as it is in the table (no ORM), walked by primary key."""
    last = 0
    sql = _select(plan, "1 = 1", lock=False)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def _row_ok(plan: _Plan, row: tuple[Any, ...], current: str) -> bool:
    _pk, raw_key, cell = row[:3]
    if plan.marker and row[3] != current:
        return False
    tokens = row[4:] if plan.marker else row[3:]
    row_key, cell_id = _row_key(raw_key), str(cell)
    for f, token in zip(plan.fields, tokens, strict=True):
        if not token:
            continue
        try:
            if crypto.key_id_of(token) != current:
                return False
            crypto.decrypt(token, field=associated_data(plan.label, f.name, row_key, cell_id))
        except (crypto.DecryptionError, IndexError):
            return False
    return True


def verify_all(*, batch: int = 500, keep: int = 20) -> VerifyReport:
    """Every row of every encrypted model: each token under the current key id and decrypting
    with its row's binding. Names up to `keep` bad rows."""
    current = crypto.current_key_id()
    report = VerifyReport()
    for plan in plans():
        for row in _all_rows(plan, batch):
            report.checked += 1
            if not _row_ok(plan, row, current):
                report.failed += 1
                if len(report.bad) < keep:
                    report.bad.append(f"{plan.label} id={row[0]}")
    return report


@dataclass(frozen=True)
class RotationReport:
    key_id: str
    rotated: int
    batches: int
    finished: bool
    verify: VerifyReport | None


def rotate_keys(
    *,
    batch_size: int = 200,
    max_batches: int | None = None,
    on_batch: Callable[[int], object] | None = None,
) -> RotationReport:
    """Rotate until nothing is left (or `max_batches` ran), then verify everything and audit it.

    `on_batch(n)` is told how many records each committed batch re-encrypted (a progress bar).
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    current = crypto.current_key_id()
    rotated = batches = 0
    for plan in plans():
        after = 0
        while max_batches is None or batches < max_batches:
            done, after = _rotate_batch(plan, after=after, batch_size=batch_size)
            if not done:
                break
            rotated += done
            batches += 1
            if on_batch is not None:
                on_batch(done)
    finished = not pending_by_model()
    report = verify_all() if finished else None
    record(
        action="privacy.keys_rotate",
        data={
            "rotated": rotated,
            "batches": batches,
            "key_id": _key_code(current),
            "finished": finished,
            "verified": report.checked if report else 0,
            "failed": report.failed if report else 0,
        },
    )
    return RotationReport(current, rotated, batches, finished, report)
