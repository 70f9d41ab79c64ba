"""Who may do what with meetings, their agendas and their documents (docs/rules.md §2 and §5).

The one place of the meetings policy: the querysets' `visible_to` and the views, widgets and
templates ask these predicates; none of them names a role (role groups: cmer/accounts/roles.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from cmer.accounts.roles import FOLLOWERS, MANAGERS, PARTICIPANTS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.meetings.models import Meeting


def can_list_meetings(membership: Membership | None) -> bool:
    """Managers, members, state members and guests see the meetings they may attend."""
    return has_role(membership, PARTICIPANTS)


def sees_every_meeting(membership: Membership | None) -> bool:
    """The president and the coordinator see every meeting of their cell, convened or not."""
    return has_role(membership, MANAGERS)


def can_manage_meetings(membership: Membership | None) -> bool:
    """The president and the coordinator schedule, convene and build agendas."""
    return has_role(membership, MANAGERS)


def can_be_convened(membership: Membership | None) -> bool:
    """Managers and permanent members are convened to a meeting; a guest is invited to an item."""
    return has_role(membership, FOLLOWERS)


def can_be_invited_to_item(membership: Membership | None) -> bool:
    """Only a guest (intervenant ponctuel) is invited to an agenda item rather than convened."""
    return membership is not None and membership.role == Role.GUEST


def sees_whole_agenda(membership: Membership | None) -> bool:
    """Everyone who may see a meeting sees its whole agenda, except a guest who sees only their items."""
    return has_role(membership, FOLLOWERS)


def in_meeting_window(meeting: Meeting, at: datetime | None = None) -> bool:
    """A guest's items are visible only between the meeting's start and its end (never if cancelled)."""
    at = at or timezone.now()
    return meeting.cancelled_at is None and meeting.starts_at <= at <= meeting.ends_at


def sees_meeting_details(membership: Membership | None, meeting: Meeting) -> bool:
    """Who is convened and what is on the agenda: followers always; a guest only during the meeting,
    and otherwise nothing but its date and place."""
    return sees_whole_agenda(membership) or in_meeting_window(meeting)


def can_read_names_in_session(membership: Membership | None, meeting: Meeting) -> bool:
    """An attendee reads the names of the cases they may read only while the session is open."""
    in_session = meeting.opened_at is not None and meeting.minutes_validated_at is None
    return membership is not None and in_session and meeting.attendees.filter(membership=membership).exists()


def can_cancel_meeting(membership: Membership | None) -> bool:
    """The president and the coordinator cancel a meeting not yet held."""
    return can_manage_meetings(membership)


def can_see_my_meetings(membership: Membership | None) -> bool:
    """A guest finds the meetings they are invited to on their dashboard (« Mes réunions »)."""
    return can_be_invited_to_item(membership)


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
    return has_role(membership, FOLLOWERS)


def can_download_convocation(membership: Membership | None, meeting: Meeting) -> bool:
    """The president, the coordinator, and anyone convened to the meeting (guests included)."""
    if membership is None or membership.cell_id != meeting.cell_id:
        return False
    return sees_every_meeting(membership) or meeting.attendees.filter(membership=membership).exists()


def can_download_agenda(membership: Membership | None, meeting: Meeting) -> bool:
    """Same as the convocation; a guest's copy lists only the items they may see."""
    return can_download_convocation(membership, meeting)


def can_download_minutes(membership: Membership | None, meeting: Meeting) -> bool:
    """The pseudonymous relevé de décisions as PDF: the president and the coordinator only."""
    return (
        membership is not None and membership.cell_id == meeting.cell_id and can_manage_meetings(membership)
    )


def abilities(membership: Membership | None, meeting: Meeting | None = None) -> dict[str, bool]:
    """What the meeting templates may offer to this membership (for `meeting` when one is shown)."""
    open_for_changes = (
        meeting is not None and meeting.minutes_validated_at is None and meeting.cancelled_at is None
    )
    not_held = open_for_changes and meeting is not None and meeting.opened_at is None
    return {
        "cancel": can_cancel_meeting(membership) and not_held,
        "details": meeting is not None and sees_meeting_details(membership, meeting),
        "schedule": can_manage_meetings(membership),
        "manage": can_manage_meetings(membership) and open_for_changes,
        "decide": can_record_decisions(membership) and open_for_changes,
        "validate": can_validate_minutes(membership, meeting) and open_for_changes,
        "minutes": can_read_minutes(membership),
        "minutes_pdf": meeting is not None and can_download_minutes(membership, meeting),
    }
