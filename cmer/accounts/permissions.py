"""Who may do what with accounts and memberships (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import APPROVERS, MANAGERS, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import FactorReset, Membership


def has_membership(membership: Membership | None) -> bool:
    """Any current membership, whatever its role: the pages every member of a cell reaches."""
    return membership is not None


def can_manage_memberships(membership: Membership | None) -> bool:
    """The president and the coordinator manage their own cell's memberships."""
    return has_role(membership, MANAGERS)


def can_end_membership(membership: Membership | None, target: Membership) -> bool:
    """A manager may end another open membership of their cell, never their own."""
    return (
        can_manage_memberships(membership)
        and membership is not None
        and target.cell_id == membership.cell_id
        and target.pk != membership.pk
        and target.end_date is None
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
