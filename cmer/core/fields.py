"""EncryptedTextField: personal values are encrypted before they reach the database."""

from __future__ import annotations

from typing import Any

from django.db import models

from cmer.core import crypto


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext; Python code sees plaintext. Not searchable: use a blind index.

    The associated data is "<app_label>.<model>.<field>", so a ciphertext moved to another column
    or table fails to decrypt. A tampered value raises crypto.DecryptionError when loaded.
    """

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.aad = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, field=self.aad)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), field=self.aad)
