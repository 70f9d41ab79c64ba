"""State changes of a case. Every transition is a human decision: who, when, why, audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cmer.accounts.models import Membership
from cmer.audit.services import record
from cmer.cases.models import Case, Transition
from cmer.cases.states import State, can_transition


class TransitionError(Exception):
    """A refused transition, with a message fit to show the user (French)."""


@transaction.atomic
def case_transition(*, case: Case, to_state: str, by: Membership, note: str = "") -> Case:
    """Move a case to `to_state` if the state machine allows it; record who, when and why.

    The row is locked so two people acting at once cannot both move it from the same state.
    """
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.cell_id != by.cell_id:
        raise TransitionError("Cette situation n'appartient pas à votre cellule.")
    if not can_transition(locked.state, to_state):
        raise TransitionError(
            f"Transition impossible : « {State(locked.state).label} » → « {State(to_state).label} »."
        )
    source = locked.state
    locked.state = to_state
    fields = ["state"]
    if to_state == State.CLOSED:
        locked.closed_at = timezone.now()
        fields.append("closed_at")
    elif to_state == State.ARCHIVED:
        locked.archived_at = timezone.now()
        fields.append("archived_at")
    locked.save(update_fields=fields)
    Transition.objects.create(case=locked, from_state=source, to_state=to_state, by=by, note=note[:300])
    record(
        action="case.transition",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        data={"from": source, "to": to_state},
    )
    case.refresh_from_db()
    return locked
