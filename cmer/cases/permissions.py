"""Who may do what with cases (docs/rules.md §2). Reading a case is Case.objects.visible_to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import Role
from cmer.cases.states import ENDED, TRANSITIONS, State

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.cases.models import Case

MANAGERS = frozenset({Role.PRESIDENT, Role.COORDINATOR})
QUALIFY_EXITS = (State.DISMISSED, State.COMMON_LAW, State.URGENT_TRANSMITTED, State.TO_REVIEW)


def _manager(membership: Membership | None) -> bool:
    return membership is not None and membership.role in MANAGERS


def can_list_cases(membership: Membership | None) -> bool:
    """The president and the coordinator list every case of their cell."""
    return _manager(membership)


def can_qualify(membership: Membership | None) -> bool:
    """The president and the coordinator see the qualification queue and qualify."""
    return _manager(membership)


def can_search_persons(membership: Membership | None) -> bool:
    """Exact search of a person by name and birth date is for the president and the coordinator."""
    return _manager(membership)


def can_close_case(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator of the case's cell closes a case the state machine lets close."""
    return (
        _manager(membership)
        and membership is not None
        and case.cell_id == membership.cell_id
        and State.CLOSED in TRANSITIONS.get(case.state, frozenset())
    )


def can_archive_case(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator archives a finished case of their cell."""
    return (
        _manager(membership)
        and membership is not None
        and case.cell_id == membership.cell_id
        and case.state in ENDED
        and case.state != State.ARCHIVED
    )


def can_read_archive(membership: Membership | None, case: Case) -> bool:
    """The president or coordinator may read an archived case, after giving a written reason."""
    return _manager(membership) and membership is not None and case.cell_id == membership.cell_id


def can_prepare_transmission(membership: Membership | None) -> bool:
    """The president and the coordinator prepare transmissions of their cell's cases to the State.

    Decided here, with the case, so the case page offers it without cases depending on exchange.
    """
    return _manager(membership)
