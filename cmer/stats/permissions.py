"""Who may see the cell's anonymised statistics (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import STATS_READERS, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Cell, Membership


def can_view_stats(membership: Membership | None) -> bool:
    """President, coordinator, members of both sides and the DPO see the cell's statistics."""
    return has_role(membership, STATS_READERS)


def stats_cells(membership: Membership) -> list[Cell]:
    """The cells whose statistics this person may add up: the current one first, then every other
    cell where the same account holds an active membership that may read statistics and has
    accepted that cell's charter in force."""
    from cmer.accounts.models import Membership

    # The charter gate only guards the current cell (cmer/accounts/middleware.py); a cell whose
    # charter this account never accepted must not be counted in through another one
    # (docs/rules.md §2: nothing of a cell before its charter is accepted).
    others = (
        Membership.objects.active()
        .charter_accepted()
        .filter(user_id=membership.user_id, role__in=STATS_READERS)
        .exclude(cell_id=membership.cell_id)
        .select_related("cell")
        .order_by("cell__name")
    )
    return [membership.cell, *(m.cell for m in others)]
