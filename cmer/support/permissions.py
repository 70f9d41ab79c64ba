"""Who may read support plans and assign or update their actions (docs/rules.md §2).

Reading a plan also needs the case in scope (Case.objects.visible_to); reading an action needs it
in Action.objects.visible_to. Views, widgets and templates ask these predicates, never a role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import FOLLOWERS, MANAGERS, SCOPED_MEMBERS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.cases.models import Action

# Who gets the "actions due" card: the coordinator oversees the cell's, scoped members their own.
ACTIONS_DUE_READERS = SCOPED_MEMBERS | {Role.COORDINATOR}


def can_follow_actions(membership: Membership | None) -> bool:
    """Managers follow every action of the cell; members and state members those of their service."""
    return has_role(membership, FOLLOWERS)


def can_see_my_actions(membership: Membership | None) -> bool:
    """Permanent members (commune and State) list the actions of their own service."""
    return has_role(membership, SCOPED_MEMBERS)


def can_follow_all_actions(membership: Membership | None) -> bool:
    """The president and the coordinator follow every action of the cell, not one service's."""
    return has_role(membership, MANAGERS)


def can_assign_actions(membership: Membership | None) -> bool:
    """The president and the coordinator assign actions to services."""
    return has_role(membership, MANAGERS)


def can_update_action(membership: Membership | None, action: Action) -> bool:
    """P/C update any action of their cell; members and state members only those of their own service."""
    if membership is None or action.case.cell_id != membership.cell_id:
        return False
    if has_role(membership, MANAGERS):
        return True
    return (
        has_role(membership, SCOPED_MEMBERS)
        and bool(membership.service)
        and action.service == membership.service
    )


def sees_actions_due(membership: Membership | None) -> bool:
    """The coordinator (for the cell) and scoped members (for their service) get the 'actions due' card.

    The president follows actions through the meetings' relevés instead.
    """
    return has_role(membership, ACTIONS_DUE_READERS)
