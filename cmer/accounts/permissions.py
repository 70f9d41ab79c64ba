"""Who may do what with accounts and memberships (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.models import Membership
from cmer.accounts.roles import APPROVERS, MANAGERS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Cell, FactorReset


def has_membership(membership: Membership | None) -> bool:
    """Any current membership, whatever its role: the pages every member of a cell reaches."""
    return membership is not None


def can_manage_memberships(membership: Membership | None) -> bool:
    """The president and the coordinator manage their own cell's memberships."""
    return has_role(membership, MANAGERS)


def roles_given_by(membership: Membership | None) -> list[str]:
    """The roles a manager gives (adds, invites, changes to): the president's only by a president.

    The president is the second person who approves the coordinator's transmissions and the
    memberships the platform admin makes (docs/rules.md §2, §6): a coordinator who could appoint
    one could choose who approves their own work.
    """
    if not can_manage_memberships(membership):
        return []
    return [role for role in Role.values if role not in APPROVERS or has_role(membership, APPROVERS)]


def can_end_membership(membership: Membership | None, target: Membership) -> bool:
    """A manager may end another open membership of their cell, never their own; a president's
    role is ended or changed only by a president (roles_given_by)."""
    return (
        can_manage_memberships(membership)
        and membership is not None
        and target.cell_id == membership.cell_id
        and target.pk != membership.pk
        and target.end_date is None
        and target.role in roles_given_by(membership)
    )


def can_approve_memberships(membership: Membership | None) -> bool:
    """The president approves the memberships the platform admin made in their cell."""
    return has_role(membership, APPROVERS)


def can_approve_membership(membership: Membership | None, target: Membership) -> bool:
    """The president of the target's cell, never for their own membership."""
    return (
        can_approve_memberships(membership)
        and membership is not None
        and target.cell_id == membership.cell_id
        and target.user_id != membership.user_id
    )


def can_invite(membership: Membership | None) -> bool:
    """The president and the coordinator invite people to their own cell (and resend, revoke)."""
    return can_manage_memberships(membership)


def can_platform_admin_invite(cell: Cell, role: str) -> bool:
    """The platform admin invites a president or coordinator only while the cell has none active."""
    # Its first managers (docs/rules.md §2, "first P/C of a cell"); after that the cell's own
    # president and coordinator invite. Other roles are refused by nothing here: what the admin
    # gives in them waits for the president (is_cells_first_president, membership_create).
    if role not in MANAGERS:
        return True
    return not Membership.objects.active().filter(cell=cell, role__in=MANAGERS).exists()


def is_cells_first_president(cell: Cell, role: str) -> bool:
    """A president joining a cell with no active president: nobody could approve them."""
    # A president never approves their own membership and only a president approves, so the
    # admin's invitation of a cell's first president opens at once; every other access it gives
    # waits for that president (docs/rules.md, "The platform admin").
    if role not in APPROVERS:
        return False
    return not Membership.objects.active().filter(cell=cell, role__in=APPROVERS).exists()


def can_request_factor_reset(membership: Membership | None, target: Membership) -> bool:
    """A manager may ask to reset the second factor of another open membership of their cell."""
    return (
        can_end_membership(membership, target)
        and membership is not None
        and (target.user_id != membership.user_id)
    )


def can_approve_factor_reset(membership: Membership | None, reset: FactorReset) -> bool:
    """The other manager approves: a president and a coordinator, two people, neither the person."""
    return (
        can_manage_memberships(membership)
        and membership is not None
        and reset.cell_id == membership.cell_id
        and membership.user_id not in {reset.requested_by.user_id, reset.target.user_id}
        and {membership.role, reset.requested_by.role} == set(MANAGERS)
    )
