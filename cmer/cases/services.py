"""State changes of a case. Every transition is a human decision: who, when, why, audited."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from cmer.accounts.models import Cell, Membership
from cmer.audit.services import record
from cmer.cases.models import ArchiveAccess, Case, Person, ReferenceCounter, Transition
from cmer.cases.persons import is_minor
from cmer.cases.schedule import case_deletion_date_refresh
from cmer.cases.states import CloseReason, State, can_transition


class TransitionError(Exception):
    """A refused transition, with a message fit to show the user (French)."""


def next_case_reference(cell: Cell, year: int | None = None) -> str:
    """MIR-2026-0042: the counter row is locked, so concurrent intakes never share a number.

    Must run inside a transaction (the callers are atomic services).
    """
    year = year or timezone.localdate().year
    ReferenceCounter.objects.get_or_create(cell=cell, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(cell=cell, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{cell.code}-{year}-{counter.last:04d}"


@transaction.atomic
def case_open(*, person: Person, by: Membership) -> Case:
    """A new case in state `received`, with its pre-qualification deadline from the cell's rules."""
    cell = person.cell
    today = timezone.localdate()
    case = Case.objects.create(
        cell=cell,
        reference=next_case_reference(cell, today.year),
        person=person,
        state=State.RECEIVED,
        is_minor=is_minor(_birth_date(person), today),
        prequalification_due=today + timedelta(days=cell.prequalification_days),
    )
    record(action="case.open", actor=by.user_id, cell=cell.pk, target=case)
    _refresh_deletion_date(case)
    return case


def _refresh_deletion_date(case: Case) -> None:
    """Every case shows its scheduled deletion date (docs/rules.md §8); it moves with the state."""
    case.scheduled_deletion = case_deletion_date_refresh(case=case)


def _birth_date(person: Person) -> date:
    return date.fromisoformat(person.birth_date)


def _is_watch_renewal(case: Case, to_state: str) -> bool:
    """Putting a case back in watch after an earlier watch is a renewal (docs/rules.md §3)."""
    return to_state == State.WATCH and Transition.objects.filter(case=case, to_state=State.WATCH).exists()


@transaction.atomic
def case_transition(*, case: Case, to_state: str, by: Membership, note: str = "") -> Case:
    """Move a case to `to_state` if the state machine allows it; record who, when and why.

    The row is locked so two people acting at once cannot both move it from the same state.
    Renewing a watch beyond the cell's `watch_max_renewals` is refused here, so every caller
    (qualification, meeting decisions) gets the same rule.
    """
    locked = Case.objects.select_for_update().select_related("cell").get(pk=case.pk)
    if locked.cell_id != by.cell_id:
        raise TransitionError("Cette situation n'appartient pas à votre cellule.")
    if to_state not in State.values:
        raise TransitionError("État inconnu.")
    if not can_transition(locked.state, to_state):
        raise TransitionError(
            f"Transition impossible : « {State(locked.state).label} » → « {State(to_state).label} »."
        )
    source = locked.state
    locked.state = to_state
    fields = ["state"]
    if _is_watch_renewal(locked, to_state):
        if locked.watch_renewals >= locked.cell.watch_max_renewals:
            raise TransitionError(
                f"La veille a déjà été renouvelée {locked.watch_renewals} fois, le maximum fixé "
                "par la cellule : décidez d'une autre orientation ou clôturez la situation."
            )
        locked.watch_renewals += 1
        fields.append("watch_renewals")
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
    _refresh_deletion_date(locked)
    case.refresh_from_db()
    return locked


@transaction.atomic
def case_close(*, case: Case, reason: str, by: Membership, note: str = "") -> Case:
    """Close with a reason from the closed list (the reason is a code, so it may go to the audit)."""
    if reason not in CloseReason.values:
        raise TransitionError("Motif de clôture inconnu.")
    locked = case_transition(case=case, to_state=State.CLOSED, by=by, note=note)
    locked.close_reason = reason
    locked.save(update_fields=["close_reason"])
    _refresh_deletion_date(locked)
    record(action="case.close", actor=by.user_id, cell=locked.cell_id, target=locked, data={"reason": reason})
    case.refresh_from_db()
    return locked


@transaction.atomic
def archive_access_grant(*, case: Case, reason: str, by: Membership) -> ArchiveAccess:
    """A written reason before reading an archived case; the reason text stays out of the audit."""
    if case.state != State.ARCHIVED:
        raise TransitionError("Cette situation n'est pas archivée.")
    access = ArchiveAccess.objects.create(case=case, by=by, reason=reason[:300])
    record(
        action="case.archive_access",
        actor=by.user_id,
        cell=case.cell_id,
        target=case,
        data={"access": access.pk},
    )
    return access
