"""Raw-SQL re-encryption used by data migrations: values never pass the ORM (key rotation, which
works in batches, is cmer/privacy/keys.py).

`reseal_table` reads every row of a table with its row key and cell, and writes each encrypted
column again bound to them (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md). The source
value is plaintext (a column encrypted for the first time) or a v1 token bound to the field name
only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from cmer.core import crypto
from cmer.core.fields import associated_data

Reader = Callable[[str, str, str, str], str]  # (value, column, row key, cell) -> plaintext


def plaintext(value: str, column: str, row_key: str, cell: str) -> str:
    return value


def legacy_token(label: str) -> Reader:
    """A token bound only to "<app>.<model>.<field>" (before the row and cell were bound)."""
    return lambda value, column, row_key, cell: crypto.decrypt(value, field=f"{label}.{column}")


def reseal_table(
    connection: Any,
    *,
    table: str,
    label: str,
    columns: Sequence[str],
    cell_sql: str,
    joins: str = "",
    read: Reader = plaintext,
) -> int:
    """Re-encrypt `columns` of every row of `table` under the current key; returns rows changed."""
    quote = connection.ops.quote_name
    cols = ", ".join(f"t.{quote(c)}" for c in columns)
    # Identifiers come from migrations and model metadata, never from input.
    select = f"SELECT t.id, t.row_key, {cell_sql}, {cols} FROM {quote(table)} t {joins} ORDER BY t.id"  # noqa: S608  # nosec B608
    update = f"UPDATE {quote(table)} SET {', '.join(f'{quote(c)} = %s' for c in columns)} WHERE id = %s"  # noqa: S608  # nosec B608
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(select)
        rows = cursor.fetchall()
        for pk, raw_key, cell, *values in rows:
            row_key, cell_id = str(uuid.UUID(str(raw_key))), str(cell)
            sealed = [
                crypto.encrypt(
                    read(v, c, row_key, cell_id), field=associated_data(label, c, row_key, cell_id)
                )
                if v
                else v
                for c, v in zip(columns, values, strict=True)
            ]
            cursor.execute(update, [*sealed, pk])
            changed += 1
    return changed
