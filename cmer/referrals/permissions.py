"""Who may submit and follow signalements (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import Role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership

SUBMITTERS = frozenset({Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.REPORTER})
NEEDS_CERTIFICATION = frozenset({Role.MEMBER, Role.REPORTER})
MANAGERS = frozenset({Role.PRESIDENT, Role.COORDINATOR})


def _certified(membership: Membership) -> bool:
    # The training issue provides cmer.training.gate; before it exists nobody is blocked by it.
    try:
        from cmer.training.gate import has_valid_certification
    except ImportError:
        return True
    return has_valid_certification(membership)


def can_submit_referral(membership: Membership | None) -> bool:
    """President, coordinator, member and reporter; members and reporters need a valid certification."""
    if membership is None or membership.role not in SUBMITTERS:
        return False
    return membership.role not in NEEDS_CERTIFICATION or _certified(membership)


def can_follow_own_referrals(membership: Membership | None) -> bool:
    """Those who may submit see the status of their own signalements (no certification needed)."""
    return membership is not None and membership.role in SUBMITTERS


def can_choose_source(membership: Membership | None) -> bool:
    """Only the cell managers enter signalements from other sources; an agent's source is fixed."""
    return membership is not None and membership.role in MANAGERS
