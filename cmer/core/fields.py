"""EncryptedTextField: personal values are encrypted before they reach the database.

Each ciphertext is bound (AES-GCM associated data) to its model, field, row and cell
(docs/decisions/0007-ciphertext-bound-to-row-and-cell.md): a value copied to another column, another
row or another cell fails to decrypt. The row is named by `row_key`, a random UUID every model with
encrypted fields carries, set when the object is built, so it exists before the first INSERT (an
auto-increment id does not). The cell is read through the model's `ENCRYPTION_CELL` path
("cell_id", or "case.cell_id" for a row that belongs to a case).

Values are decrypted when first read (`obj.field`), not when loaded: the binding needs the row, which
`from_db_value` does not see. A write that bypasses the row (`QuerySet.update`, `bulk_update`) is
refused: it could not bind the value.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from cmer.core import crypto


class Ciphertext:
    """A stored token, not yet decrypted (it needs the row it belongs to)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "Ciphertext(…)"  # never the value, even encrypted, in a log or a traceback


def encryption_context(instance: models.Model) -> tuple[str, str]:
    """(row key, cell id) of an object with encrypted fields."""
    row_key = getattr(instance, "row_key", None)
    if row_key is None:
        raise crypto.DecryptionError(f"{instance._meta.label} has no row_key to bind its ciphertexts")
    value: Any = instance
    for part in getattr(instance, "ENCRYPTION_CELL", "cell_id").split("."):
        value = getattr(value, part)
    return str(row_key), str(value)


def associated_data(label: str, field: str, row_key: str, cell_id: str) -> str:
    return f"{label}.{field}|row={row_key}|cell={cell_id}"


class DecryptingAttribute(DeferredAttribute):
    """A data descriptor (it has __set__), so every read comes here, even once the value is set."""

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = self.field.decrypt_for(instance, value.token)  # type: ignore[attr-defined]
            instance.__dict__[self.field.attname] = value
        return value


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext bound to model, field, row and cell; Python code sees plaintext.

    Not searchable: use a blind index. A tampered or moved value raises crypto.DecryptionError
    when read.
    """

    descriptor_class = DecryptingAttribute

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.aad = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def aad_for(self, instance: models.Model) -> str:
        row_key, cell_id = encryption_context(instance)
        return associated_data(self.model._meta.label_lower, self.name, row_key, cell_id)

    def decrypt_for(self, instance: models.Model, token: str) -> str:
        try:
            aad = self.aad_for(instance)
        except (AttributeError, ValueError) as exc:
            raise crypto.DecryptionError(f"cannot decrypt field {self.aad!r}: row or cell unknown") from exc
        try:
            return crypto.decrypt(token, field=aad)
        except crypto.DecryptionError as exc:
            # The message names the field, never the row's values.
            raise crypto.DecryptionError(
                f"cannot decrypt field {self.aad!r} (key id, row, cell or content)"
            ) from exc

    def encrypt_for(self, instance: models.Model, plaintext: str, key_id: str | None = None) -> str:
        return crypto.encrypt(plaintext, field=self.aad_for(instance), key_id=key_id)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return Ciphertext(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or value == "" or isinstance(value, Ciphertext):
            return value  # unchanged since loading: the stored token stays
        return Ciphertext(self.encrypt_for(model_instance, str(value)))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, Ciphertext):
            return value.token
        raise TypeError(
            f"{self.aad}: an encrypted value is written only through save() of its row "
            "(QuerySet.update, bulk_update and filters by value cannot bind it)"
        )

    def value_to_string(self, obj: models.Model) -> str:
        """Serialisation (dumpdata, serializers) gives the ciphertext, never the plaintext."""
        value = obj.__dict__.get(self.attname)
        if value is None or value == "":
            return value or ""
        if isinstance(value, Ciphertext):
            return value.token
        return self.encrypt_for(obj, str(value))


def new_row_key() -> uuid.UUID:
    return uuid.uuid4()
