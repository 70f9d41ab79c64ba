"""Who may do what with the catalogue, training sessions and certifications (docs/rules.md §2).

Approval of a catalogue version: the catalogue is installation-wide, and docs/rules.md §7 gives
it to "the coordinator of the installation". We keep the existing role rather than inventing a
new one: any coordinator (of any active cell of the installation) may approve. An installation serving
several cells agrees on one coordinator to do it; every approval is audited with its actor, and
the approval form asks for an explicit review of each item. Trainers edit; they never approve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cmer.accounts.roles import NEEDS_CERTIFICATION, TRAINING_STAFF, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


def _is(membership: Membership | None, role: Role) -> bool:
    return membership is not None and membership.role == role


def can_self_study(membership: Membership | None) -> bool:
    """Every member of a cell may read the self-study course, whatever their role."""
    return membership is not None


def can_edit_catalogue_draft(membership: Membership | None) -> bool:
    """Trainers edit the draft version of the catalogue."""
    return _is(membership, Role.TRAINER)


def can_approve_catalogue(membership: Membership | None) -> bool:
    """A coordinator approves a draft version, which then becomes the current catalogue."""
    return _is(membership, Role.COORDINATOR)


def can_view_catalogue_draft(membership: Membership | None) -> bool:
    """The draft is shown to those who edit it and to those who approve it."""
    return can_edit_catalogue_draft(membership) or can_approve_catalogue(membership)


def can_view_sessions(membership: Membership | None) -> bool:
    """Trainers and the coordinator see the training sessions and certifications of their cell."""
    return has_role(membership, TRAINING_STAFF)


def can_manage_sessions(membership: Membership | None) -> bool:
    """Trainers run sessions: create them, record attendance, issue and revoke certifications."""
    return _is(membership, Role.TRAINER)


def can_view_bias_counts(membership: Membership | None) -> bool:
    """Trainers (to improve the training) and the coordinator see the bias-guard counts."""
    return has_role(membership, TRAINING_STAFF)


def needs_certification(membership: Membership | None) -> bool:
    """Members and reporters need a valid certification to report (their dashboard shows it)."""
    return has_role(membership, NEEDS_CERTIFICATION)


def has_valid_certification(membership: Membership | None) -> bool:
    """The membership's person holds a certification issued, not expired and not revoked.

    The training qualifies the person, not the cell: one issued through any cell counts.
    """
    from cmer.training.models import Certification

    if membership is None:
        return False
    return Certification.objects.valid().filter(user_id=membership.user_id).exists()


def is_stopped_by_certification_gate(membership: Membership | None) -> bool:
    """A member or reporter without a valid certification may not report yet."""
    return needs_certification(membership) and not has_valid_certification(membership)


def can_review_bias_overrides(membership: Membership | None) -> bool:
    """The coordinator re-reads the texts kept despite a bias-guard warning in their cell."""
    return has_role(membership, frozenset({Role.COORDINATOR}))


def abilities(membership: Membership | None, obj: Any = None) -> dict[str, bool]:
    """What the templates may offer this membership, so that they never test a role."""
    return {
        "edit_draft": can_edit_catalogue_draft(membership),
        "approve": can_approve_catalogue(membership),
        "view_draft": can_view_catalogue_draft(membership),
        "view_sessions": can_view_sessions(membership),
        "manage_sessions": can_manage_sessions(membership),
        "view_bias_counts": can_view_bias_counts(membership),
        "review_bias_overrides": can_review_bias_overrides(membership),
    }
