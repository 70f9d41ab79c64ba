"""The audit trail as the DPO reads it: labels, names and references instead of codes and ids.

The events keep their codes and ids (docs/rules.md §9); this module only turns a page of them into
words, in a fixed number of queries whatever the page holds: one for the cell's accounts and one per
object type that has a reference (case, transmission…), never one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.audit.labels import action_label, target_label, value_label
from cmer.audit.models import AuditEvent
from cmer.notifications.kinds import references
from cmer.privacy.scopes import accounts_visible_to


@dataclass(frozen=True)
class TrailRow:
    event: AuditEvent
    actor: str
    action: str
    target: str
    details: list[str]


def account_name(membership: Membership) -> str:
    name = membership.user.get_full_name() or _("Compte sans nom")
    return f"{name} ({membership.get_role_display()})"


def account_names(membership: Membership | None) -> dict[int, str]:
    """user id → « Prénom Nom (rôle) » for the cell's accounts the DPO may list (one query).

    A person with several memberships over time is named by their latest role.
    """
    names: dict[int, str] = {}
    rows = accounts_visible_to(membership).select_related("user").order_by("start_date", "pk")
    for m in rows:
        names[m.user_id] = account_name(m)
    return names


def account_choices(names: dict[int, str]) -> list[tuple[str, str]]:
    return sorted(((str(uid), label) for uid, label in names.items()), key=lambda c: c[1].lower())


def _references(events: Iterable[AuditEvent], membership: Membership | None) -> dict[tuple[str, str], str]:
    ids: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.target_type and e.target_id.isdigit():
            ids[e.target_type].add(int(e.target_id))
    found: dict[tuple[str, str], str] = {}
    for target_type, pks in ids.items():
        # Only the references the DPO may see themselves (the registry applies visible_to).
        for pk, reference in references(target_type, membership, sorted(pks)).items():
            found[(target_type, str(pk))] = reference
    return found


def _details(data: dict[str, Any]) -> list[str]:
    # Only closed-list codes are shown, as their labels: ids and counts mean nothing to a reader.
    return [label for value in data.values() if (label := value_label(value))]


def describe(
    events: list[AuditEvent], membership: Membership | None, names: dict[int, str]
) -> list[TrailRow]:
    """`names` from account_names(): the page's select already needs them, read once."""
    refs = _references(events, membership)
    rows = []
    for e in events:
        if e.actor_id is None:
            actor = _("système")
        else:
            actor = names.get(e.actor_id) or _("Compte extérieur à la cellule")
        target = target_label(e.target_type)
        reference = refs.get((e.target_type, e.target_id))
        if reference:
            target = f"{target} {reference}"
        rows.append(TrailRow(e, actor, action_label(e.action), target, _details(e.data or {})))
    return rows
