"""Who may read which notifications (docs/rules.md §2): everyone their own, nobody anyone else's."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


def can_read_inbox(membership: Membership | None) -> bool:
    """Every member of a cell reads their own notifications (Notification.objects.visible_to)."""
    return membership is not None
