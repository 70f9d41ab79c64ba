"""Who may do what with cases (docs/rules.md §2). Reading a case is Case.objects.visible_to.

Every rule about cases lives here, including the archive window; views, widgets and templates ask
these predicates and never name a role themselves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from cmer.accounts.roles import MANAGERS, URGENT_ALERTED, has_role
from cmer.cases.models import ArchiveAccess, Case
from cmer.cases.states import ENDED, TRANSITIONS, State

if TYPE_CHECKING:
    from cmer.accounts.models import Membership

QUALIFY_EXITS = (State.DISMISSED, State.COMMON_LAW, State.URGENT_TRANSMITTED, State.TO_REVIEW)
# States from which the managers may send a case back to be examined in a meeting (from the page).
BACK_TO_REVIEW = (State.URGENT_TRANSMITTED, State.TRANSMITTED)
# How long a written reason opens an archived case to the person who gave it.
ARCHIVE_ACCESS_WINDOW = timedelta(minutes=30)


def _manager_of(membership: Membership | None, case: Case) -> bool:
    return has_role(membership, MANAGERS) and membership is not None and case.cell_id == membership.cell_id


def can_list_cases(membership: Membership | None) -> bool:
    """The president and the coordinator list every case of their cell."""
    return has_role(membership, MANAGERS)


def can_qualify(membership: Membership | None) -> bool:
    """The president and the coordinator see the qualification queue and qualify."""
    return has_role(membership, MANAGERS)


def is_alerted_of_urgency(membership: Membership | None) -> bool:
    """President, coordinator and State members are alerted of urgent signalements (count only for the State)."""
    return has_role(membership, URGENT_ALERTED)


def can_search_persons(membership: Membership | None) -> bool:
    """Exact search of a person by name and birth date is for the president and the coordinator."""
    return has_role(membership, MANAGERS)


def can_close_case(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator of the case's cell closes a case the state machine lets close."""
    return _manager_of(membership, case) and State.CLOSED in TRANSITIONS.get(case.state, frozenset())


def can_send_to_review(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator puts a case transmitted to the State back to be examined in a meeting.

    Only from the transmitted states: watch and support cases go on an agenda as they are.
    """
    return _manager_of(membership, case) and case.state in BACK_TO_REVIEW


def abilities(membership: Membership | None, case: Case) -> dict[str, bool]:
    """What the situation page offers this membership as next steps (templates test these)."""
    return {
        "take": can_qualify(membership) and _manager_of(membership, case) and case.state == State.RECEIVED,
        "qualify": can_qualify(membership)
        and _manager_of(membership, case)
        and case.state in (State.RECEIVED, State.PREQUALIFICATION),
        "to_review": can_send_to_review(membership, case),
        "close": can_close_case(membership, case),
        "archive": can_archive_case(membership, case),
    }


def can_archive_case(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator archives a finished case of their cell."""
    return _manager_of(membership, case) and case.state in ENDED and case.state != State.ARCHIVED


def can_read_archive(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator may read an archived case, after giving a written reason."""
    return _manager_of(membership, case)


def archive_window_open(membership: Membership | None, case: Case) -> bool:
    """A reason given by this membership within ARCHIVE_ACCESS_WINDOW opens the archived case to them."""
    if membership is None:
        return False
    since = timezone.now() - ARCHIVE_ACCESS_WINDOW
    return ArchiveAccess.objects.filter(case=case, by=membership, at__gte=since).exists()


def archive_closed_to(membership: Membership | None, case: Case) -> bool:
    """An archived case this membership has not opened with a written reason: no page shows its
    content (identity, facts, plan, letters) until then, only the page that asks for the reason
    (docs/rules.md §3, state `archived`)."""
    return case.state == State.ARCHIVED and not archive_window_open(membership, case)


def can_attach_case(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator attaches a new signalement to the known person's situation."""
    return _manager_of(membership, case)


def can_record_information(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator records whether the person was informed, or why it is deferred."""
    return _manager_of(membership, case)
