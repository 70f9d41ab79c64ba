"""The registry of notification kinds and of daily reminders, filled by the apps that own them.

Each app declares its kinds (and any scheduled reminder) in its own `notifications.py` module,
which the notifications app imports when Django starts (`NotificationsConfig.ready`). This app
therefore names no other app: a new kind is added where its events happen, not here.

A kind says, without anything about a person: its label in the inbox, the fixed line of its
e-mail, and how to turn the notification's target (an object id) into a link of this site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

# A link is computed from the target's id (None when the notice has no target); None means
# "no page for it": the inbox is shown instead.
LinkFor = Callable[[int | None], str | None]


@dataclass(frozen=True)
class Kind:
    value: str
    label: str | Promise
    email_line: str | Promise
    link: LinkFor
    # Model label ("cases.case") of the objects this kind points at: notify() refuses another.
    target_type: str = ""


# For a target type, how to name targets in the inbox: (membership, ids) -> {id: reference}. The
# owning app answers through its `visible_to`, so a recipient who may not read the object sees
# no reference (docs/rules.md §2). References are pseudonymous (MIR-2026-0042), never a name.
ReferencesFor = Callable[[Any, list[int]], dict[int, str]]
_REFERENCES: dict[str, ReferencesFor] = {}

_KINDS: dict[str, Kind] = {}
_REMINDERS: dict[str, Callable[[], int]] = {}


def register(
    value: str,
    *,
    label: str | Promise,
    email_line: str | Promise,
    link: LinkFor,
    target_type: str = "",
) -> str:
    """Declare a kind; returns its value, to be passed to notify(kind=...)."""
    kind = Kind(value=value, label=label, email_line=email_line, link=link, target_type=target_type)
    if len(value) > 32:
        raise ImproperlyConfigured(f"Notification kind {value!r} is longer than 32 characters.")
    if value in _KINDS and _KINDS[value] != kind:
        raise ImproperlyConfigured(f"Notification kind {value!r} is registered twice.")
    _KINDS[value] = kind
    return value


def get(value: str) -> Kind | None:
    return _KINDS.get(value)


def all_kinds() -> list[Kind]:
    return list(_KINDS.values())


def register_references(target_type: str, references: ReferencesFor) -> None:
    """Let the inbox show the pseudonymous reference of `target_type` objects the reader may see."""
    if target_type in _REFERENCES and _REFERENCES[target_type] is not references:
        raise ImproperlyConfigured(f"References of {target_type!r} are registered twice.")
    _REFERENCES[target_type] = references


def references(target_type: str, membership: Any, ids: list[int]) -> dict[int, str]:
    resolve = _REFERENCES.get(target_type)
    if resolve is None or membership is None or not ids:
        return {}
    return resolve(membership, ids)


def register_reminder(name: str, run: Callable[[], int]) -> None:
    """A daily, idempotent job that notifies and returns how many notifications it created."""
    if name in _REMINDERS and _REMINDERS[name] is not run:
        raise ImproperlyConfigured(f"Reminder {name!r} is registered twice.")
    _REMINDERS[name] = run


def run_reminders() -> dict[str, int]:
    """Run every registered reminder once; each is idempotent, so running twice adds nothing."""
    return {name: run() for name, run in _REMINDERS.items()}
