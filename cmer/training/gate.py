"""The certification gate: only a trained agent holding a valid certification may report.

Used by the intake (can_submit_referral) for members and reporters, product.md §2.
"""

from __future__ import annotations

from typing import Any

from cmer.training.models import Certification


def has_valid_certification(membership: Any) -> bool:
    """True when the membership's user holds a certification issued, not expired and not revoked."""
    if membership is None:
        return False
    return Certification.objects.valid().filter(user_id=membership.user_id).exists()


def valid_certification(membership: Any) -> Certification | None:
    """The user's certification that lasts the longest, for display ("valable jusqu'au …")."""
    if membership is None:
        return None
    return Certification.objects.valid().filter(user_id=membership.user_id).order_by("-expires_on").first()
