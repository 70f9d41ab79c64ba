"""Who may do what with meetings (docs/rules.md §2 and §5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cmer.accounts.roles import FOLLOWERS, SCOPED_MEMBERS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.meetings.models import Meeting

MANAGERS = frozenset({Role.PRESIDENT, Role.COORDINATOR})
# Roles that may be convened as attendees; guests are invited to one item instead.
CONVENABLE = frozenset({Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER})
PARTICIPANTS = CONVENABLE | {Role.GUEST}


def can_list_meetings(membership: Membership | None) -> bool:
    """Managers, members, state members and guests see the meetings they may attend."""
    return membership is not None and membership.role in PARTICIPANTS


def can_manage_meetings(membership: Membership | None) -> bool:
    """The president and the coordinator schedule, convene and build agendas."""
    return membership is not None and membership.role in MANAGERS


def can_record_decisions(membership: Membership | None) -> bool:
    """The president and the coordinator record the decisions taken in a meeting."""
    return can_manage_meetings(membership)


def can_validate_minutes(membership: Membership | None, meeting: Meeting | None = None) -> bool:
    """Only the president validates the relevé de décisions of their own cell's meeting."""
    if membership is None or membership.role != Role.PRESIDENT:
        return False
    return meeting is None or meeting.cell_id == membership.cell_id


def can_read_minutes(membership: Membership | None) -> bool:
    """Managers and convened members read the relevé; a guest never sees other items' decisions."""
    return membership is not None and membership.role in CONVENABLE


def abilities(membership: Membership | None, meeting: Meeting) -> dict[str, Any]:
    """What the meeting templates may offer to this membership."""
    return {
        "manage": can_manage_meetings(membership) and meeting.minutes_validated_at is None,
        "decide": can_record_decisions(membership) and meeting.minutes_validated_at is None,
        "validate": can_validate_minutes(membership, meeting) and meeting.minutes_validated_at is None,
        "minutes": can_read_minutes(membership),
        # The relevé PDF (stats' exports) is for the managers only.
        "minutes_pdf": can_manage_meetings(membership),
    }


def can_be_convened(membership: Membership | None) -> bool:
    """Managers and permanent members are convened to meetings (a guest is invited to one item)."""
    return has_role(membership, FOLLOWERS)


def can_see_my_actions(membership: Membership | None) -> bool:
    """Permanent members see the support actions they hold."""
    return has_role(membership, SCOPED_MEMBERS)


def can_see_actions_due(membership: Membership | None) -> bool:
    """The coordinator follows every action's deadline; permanent members their own."""
    return has_role(membership, SCOPED_MEMBERS | {Role.COORDINATOR})
