"""Key rotation of the encrypted personal fields (issue #6 item 5).

CMER_FIELD_KEYS lists "new:secret,old:secret": the first id is current, the others still decrypt.
A Person whose `key_id` is not the current id is re-encrypted field by field under the current
key, and its blind index (`name_index`) rebuilt with the current CMER_BLIND_INDEX_KEY. Work goes in
batches, each in its own transaction together with its audit event: a run killed at any point
leaves whole batches done and the others untouched, and the next run continues (the `key_id`
column is the progress marker). At the end every stored token is checked: it names the current
key id and decrypts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Count

from cmer.audit.services import record
from cmer.cases.models import Action, ActionUpdate, Person, Transition
from cmer.core import crypto, reseal
from cmer.core.fields import EncryptedTextField, associated_data
from cmer.referrals.models import Observation, Referral

_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class KeyRotationError(Exception):
    """A record could not be re-encrypted or verified; the message names its id, never a value.

    An operator's error, not a DomainError: only the rotate_keys command meets it (as a
    CommandError), so its message is written for the operator's terminal, not through gettext
    for a page, and no view may turn it into a message a user would take for a refusal.
    """


def encrypted_fields(model: type[models.Model] = Person) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


# The other tables with encrypted free text, and how SQL reaches each row's cell (the binding of
# docs/decisions/0007-ciphertext-bound-to-row-and-cell.md). Persons have their own key_id column.
_CASE = "JOIN cases_case c ON c.id = t.case_id"
OTHER_TABLES: list[tuple[type[models.Model], str, str]] = [
    (Referral, "t.cell_id", ""),
    (Observation, "r.cell_id", "JOIN referrals_referral r ON r.id = t.referral_id"),
    (Transition, "c.cell_id", _CASE),
    (Action, "c.cell_id", _CASE),
    (
        ActionUpdate,
        "c.cell_id",
        "JOIN cases_action a ON a.id = t.action_id JOIN cases_case c ON c.id = a.case_id",
    ),
]


def pending_by_key() -> dict[str, int]:
    """How many persons still use each non-current key id."""
    current = crypto.current_key_id()
    rows = Person.objects.exclude(key_id=current).values("key_id").annotate(n=Count("pk"))
    return {r["key_id"]: r["n"] for r in rows.order_by("key_id")}


def _name_index(person: Person) -> str:
    # Same formula as cases.persons.person_name_index (birth_date is stored as an ISO string).
    if person.last_name and person.first_name and person.birth_date:
        return crypto.blind_index(person.last_name, person.first_name, str(person.birth_date))
    return person.name_index  # identity already purged: nothing to index


def _key_code(key_id: str) -> str:
    return key_id if _CODE.match(key_id) else "-"


def _load(pks: list[int]) -> list[Person]:
    """The persons, each field decrypted (values are decrypted when read), or the failing id named."""
    persons = list(Person.objects.filter(pk__in=pks).order_by("pk"))
    for person in persons:
        try:
            for f in encrypted_fields():
                getattr(person, f.attname)
        except crypto.DecryptionError as exc:
            raise KeyRotationError(
                f"person id={person.pk} cannot be decrypted with the configured keys: {exc}"
            ) from exc
    return persons


def rotate_batch(*, batch_size: int) -> int:
    """Re-encrypt up to `batch_size` persons not yet under the current key; 0 when none are left."""
    current = crypto.current_key_id()
    with transaction.atomic():
        pks = list(
            Person.objects.select_for_update()
            .exclude(key_id=current)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            return 0
        persons = _load(pks)
        names = [f.name for f in encrypted_fields()]
        for person in persons:
            person.key_id = current
            person.name_index = _name_index(person)
            # Saving the decrypted values encrypts them again, under the current key, bound to the
            # row and cell (a bulk update could not bind them).
            person.save(update_fields=[*names, "key_id", "name_index"])
        record(
            action="privacy.keys_rotate_batch",
            target_type="cases.person",
            data={"count": len(persons), "key_id": _key_code(current), "first_id": pks[0]},
        )
    return len(persons)


def rotate_other_tables() -> int:
    """Re-encrypt, under the current key, the free text of every other table that still uses an
    older one (one transaction and one audit event per table; rerunning finds nothing left)."""
    current = crypto.current_key_id()
    total = 0
    for model, cell_sql, joins in OTHER_TABLES:
        label = model._meta.label_lower
        with transaction.atomic():
            changed = reseal.reseal_table(
                connection,
                table=model._meta.db_table,
                label=label,
                columns=[f.column or f.name for f in encrypted_fields(model)],
                cell_sql=cell_sql,
                joins=joins,
                read=reseal.current_token(label),
                only_key_ids_other_than=current,
            )
            if changed:
                record(
                    action="privacy.keys_rotate_batch",
                    target_type=label,
                    data={"count": changed, "key_id": _key_code(current), "first_id": 0},
                )
        total += changed
    return total


@dataclass
class VerifyReport:
    checked: int = 0
    failed: int = 0
    bad: list[int] = field(default_factory=list)  # the first few failing ids

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _raw_rows(batch: int) -> Iterator[tuple]:
    """Stored ciphertexts as they are in the table (no decryption), walked by primary key."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.name) for f in encrypted_fields())
    table = quote(Person._meta.db_table)
    # Identifiers come from the model's metadata; the only values are bound parameters.
    sql = f"SELECT id, key_id, row_key, cell_id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608  # nosec B608
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def verify_all(*, batch: int = 500, keep: int = 20) -> VerifyReport:
    """Every record under the current key id, every token decrypting. Names up to `keep` bad ids."""
    current = crypto.current_key_id()
    fields = encrypted_fields()
    report = VerifyReport()
    for pk, key_id, raw_key, cell_id, *tokens in _raw_rows(batch):
        good = key_id == current
        row_key = str(uuid.UUID(str(raw_key)))
        for f, token in zip(fields, tokens, strict=True):
            if not good or not token:
                continue
            aad = associated_data("cases.person", f.name, row_key, str(cell_id))
            try:
                good = crypto.key_id_of(token) == current and crypto.decrypt(token, field=aad) is not None
            except (crypto.DecryptionError, IndexError):
                good = False
        report.checked += 1
        if not good:
            report.failed += 1
            if len(report.bad) < keep:
                report.bad.append(pk)
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
    while max_batches is None or batches < max_batches:
        done = rotate_batch(batch_size=batch_size)
        if not done:
            break
        rotated += done
        batches += 1
        if on_batch is not None:
            on_batch(done)
    finished = not Person.objects.exclude(key_id=current).exists()
    if finished:
        rotated += rotate_other_tables()
    report = verify_all() if finished else None
    record(
        action="privacy.keys_rotate",
        target_type="cases.person",
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
