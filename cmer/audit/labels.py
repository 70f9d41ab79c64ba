"""Human labels of audit actions and target types, for the pages that show the trail.

The trail itself stores codes and ids (docs/rules.md §9); only the display speaks French. Each app
registers the labels of the actions it records from its AppConfig.ready(), like the navigation:
this layer imports nothing from the apps built on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FALLBACK = _("Autre événement")
FALLBACK_TARGET = _("Autre objet")

_ACTIONS: dict[str, str | Promise] = {}
# Families of codes built at run time (f-strings): « admin.user.changed », « meeting.export_minutes ».
_PREFIXES: dict[str, str | Promise] = {}


def register(
    labels: Mapping[str, str | Promise], *, prefixes: Mapping[str, str | Promise] | None = None
) -> None:
    for table, new in ((_ACTIONS, labels), (_PREFIXES, prefixes or {})):
        for code, label in new.items():
            if code in table and table[code] != label:
                raise ImproperlyConfigured(f"Audit action {code!r} is labelled twice.")
            table[code] = label


def has_label(code: str) -> bool:
    return code in _ACTIONS or any(code.startswith(p) for p in _PREFIXES)


def action_label(code: str) -> str:
    if code in _ACTIONS:
        return str(_ACTIONS[code])
    # The longest matching family wins (« admin.user. » before « admin. »).
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        if code.startswith(prefix):
            return str(_PREFIXES[prefix])
    return str(FALLBACK)


def action_choices() -> list[tuple[str, str]]:
    """(code, label), one option per label, by label; the search filters on the code.

    A refusal and a success of the same act may carry two codes (« meeting.convene » refused,
    « meeting.convened » done) under one label: the option stands for both (codes_like()).
    """
    first: dict[str, str] = {}
    for code in sorted(_ACTIONS):
        first.setdefault(str(_ACTIONS[code]), code)
    return sorted(((code, label) for label, code in first.items()), key=lambda c: c[1].lower())


def codes_like(code: str) -> list[str]:
    """Every registered code read as the same label as `code` (itself included)."""
    if code not in _ACTIONS:
        return [code]
    label = str(_ACTIONS[code])
    return sorted(c for c, other in _ACTIONS.items() if str(other) == label)


def target_label(target_type: str) -> str:
    """The object type's French name (its model's verbose_name), never its « app.model » code."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return str(FALLBACK_TARGET)
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


def target_choices() -> list[tuple[str, str]]:
    """(app.model, label) of every model: the search's object type select."""
    rows = {m._meta.label_lower: target_label(m._meta.label_lower) for m in apps.get_models()}
    return sorted(rows.items(), key=lambda c: c[1].lower())


@lru_cache(maxsize=1)
def _choice_labels() -> dict[str, str]:
    """Every closed-list code of the models (states, reasons, decisions…) and its French label."""
    labels: dict[str, str] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, label in getattr(field, "choices", None) or []:
                if isinstance(value, str) and value:
                    labels.setdefault(value, str(label))
    return labels


def value_label(value: object) -> str | None:
    """A code held in an event's data, as its label; None when it is no closed-list code (an id, a count)."""
    if isinstance(value, str):
        return _choice_labels().get(value)
    return None
