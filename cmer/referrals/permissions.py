"""Who may submit and follow signalements (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import MANAGERS, NEEDS_CERTIFICATION, SUBMITTERS, has_role
from cmer.training.gate import has_valid_certification

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


def can_submit_referral(membership: Membership | None) -> bool:
    """President, coordinator, member and reporter; members and reporters need a valid certification."""
    if membership is None or not has_role(membership, SUBMITTERS):
        return False
    return not has_role(membership, NEEDS_CERTIFICATION) or has_valid_certification(membership)


def can_follow_own_referrals(membership: Membership | None) -> bool:
    """Those who may submit see the status of their own signalements (no certification needed)."""
    return has_role(membership, SUBMITTERS)


def can_choose_source(membership: Membership | None) -> bool:
    """Only the cell managers enter signalements from other sources; an agent's source is fixed."""
    return has_role(membership, MANAGERS)
