"""Who may use the privacy screens (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import MANAGERS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


def can_use_dpo_console(membership: Membership | None) -> bool:
    """Only the cell's DPO reads the audit trail, purge reports, the register and rights requests."""
    return membership is not None and membership.role == Role.DPO


def can_view_retention(membership: Membership | None) -> bool:
    """The president, the coordinator and the DPO see the cell's retention policy."""
    return has_role(membership, MANAGERS) or can_use_dpo_console(membership)


def can_edit_retention(membership: Membership | None) -> bool:
    """The coordinator, who runs the cell's purges, sets its retention durations."""
    return membership is not None and membership.role == Role.COORDINATOR


def can_validate_retention(membership: Membership | None) -> bool:
    """The DPO validates the retention policy."""
    return can_use_dpo_console(membership)


def can_run_purge(membership: Membership | None) -> bool:
    """Only the coordinator runs or previews a purge of the cell."""
    return can_edit_retention(membership)


def can_see_destructions_coming(membership: Membership | None) -> bool:
    """The president and the coordinator are told how many cases the purge will soon destroy."""
    return has_role(membership, MANAGERS)


def can_extract_access(membership: Membership | None) -> bool:
    """The DPO produces the access extract of a person (GDPR art. 15) for a registered request."""
    return can_use_dpo_console(membership)


def can_rectify_person(membership: Membership | None) -> bool:
    """The president or the coordinator corrects a person's identity and facts (GDPR art. 16)."""
    return has_role(membership, MANAGERS)


def can_erase_person(membership: Membership | None) -> bool:
    """The coordinator, who runs the cell's purges, carries out an erasure (GDPR art. 17)."""
    return can_run_purge(membership)
