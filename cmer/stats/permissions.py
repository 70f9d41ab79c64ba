"""Who may see the cell's anonymised statistics (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import Role

if TYPE_CHECKING:
    from cmer.accounts.models import Cell, Membership

STATS_ROLES = frozenset({Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER, Role.DPO})


def can_view_stats(membership: Membership | None) -> bool:
    """President, coordinator, members of both sides and the DPO see the cell's statistics."""
    return membership is not None and membership.role in STATS_ROLES


def stats_cells(membership: Membership) -> list[Cell]:
    """The cells whose statistics this person may add up: the current one first, then every other
    cell where the same account holds an active membership with a statistics role."""
    from cmer.accounts.models import Membership

    others = (
        Membership.objects.active()
        .filter(user_id=membership.user_id, role__in=STATS_ROLES)
        .exclude(cell_id=membership.cell_id)
        .select_related("cell")
        .order_by("cell__name")
    )
    return [membership.cell, *(m.cell for m in others)]
