"""Form fields whose values name cell objects by public id, as URLs do (ADR 0009).

A select option, a checkbox or a hidden input that carried a primary key would show what a URL
no longer shows: how many situations, memberships or facts the whole platform holds. These fields
write the object's token into the page and turn the submitted token back into the object; a
primary key or another kind's token is an unknown choice, as an object outside the queryset is.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cmer.core.public_ids import primary_key, public_id


def token_of(kind: str, value: Any) -> Any:
    """The token of an object or primary key; anything else (a submitted string) unchanged."""
    if hasattr(value, "_meta"):
        value = value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return public_id(kind, value)
    return value


def choices(kind: str, pairs: Iterable[tuple[int, str]]) -> list[tuple[str, str]]:
    """(primary key, label) pairs as (token, label): for a TypedChoiceField with `coerce=decoder(kind)`."""
    return [(public_id(kind, pk), label) for pk, label in pairs]


def decoder(kind: str) -> Any:
    """The coerce of a typed choice field: token to primary key (ValueError, so "unknown choice")."""
    return partial(primary_key, kind)


class PublicIdModelChoiceField(forms.ModelChoiceField):
    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        # Django's « --------- » otherwise; every list of the platform opens the same way.
        kwargs.setdefault("empty_label", _("— choisir —"))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return token_of(self.kind, value)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            pk = primary_key(self.kind, str(value))
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None
        return super().to_python(pk)


class PublicIdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if hasattr(value, "__iter__") and not isinstance(value, str) and not hasattr(value, "_meta"):
            return [token_of(self.kind, v) for v in value]
        return token_of(self.kind, value)

    def clean(self, value: Any) -> Any:
        # Tokens become primary keys as text, which the parent's lookup takes and prepare_value()
        # leaves alone; a value that is not a token of this kind is an unknown choice.
        if isinstance(value, list | tuple):
            keys = []
            for token in value:
                try:
                    keys.append(str(primary_key(self.kind, str(token))))
                except ValueError:
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": token}
                    ) from None
            value = keys
        return super().clean(value)
