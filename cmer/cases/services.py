"""State changes of a case: who (a person, or a system job such as the purge), when, why, audited.

`case_transition` is the one write path of a case's state; jobs pass a `SystemActor` as `by`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership
from cmer.audit.services import record
from cmer.cases.models import (
    ArchiveAccess,
    AttachReason,
    Case,
    Person,
    ReferenceCounter,
    SystemActor,
    Transition,
)
from cmer.cases.persons import is_minor
from cmer.cases.schedule import case_deletion_date_refresh
from cmer.cases.states import CloseReason, State, can_transition, path_between
from cmer.core.errors import DomainError
from cmer.notifications.models import Notification


class TransitionError(DomainError):
    """A refused transition; nothing changed."""


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
def case_open(*, person: Person, by: Membership, urgent: bool = False) -> Case:
    """A new case in state `received`, with its pre-qualification deadline from the cell's rules.

    An urgent case (danger imminent) is due within CMER_URGENT_PREQUALIFICATION_HOURS, not days
    (docs/rules.md §3.1); its date deadline follows, so date-based views agree.
    """
    cell = person.cell
    today = timezone.localdate()
    due_at = None
    due = today + timedelta(days=cell.prequalification_days)
    if urgent:
        due_at = timezone.now() + timedelta(hours=settings.CMER_URGENT_PREQUALIFICATION_HOURS)
        due = timezone.localdate(due_at)
    case = Case.objects.create(
        cell=cell,
        reference=next_case_reference(cell, today.year),
        person=person,
        state=State.RECEIVED,
        is_minor=is_minor(_birth_date(person), today),
        prequalification_due=due,
        urgent=urgent,
        prequalification_due_at=due_at,
    )
    record(action="case.open", actor=by.user_id, cell=cell.pk, target=case, data={"urgent": urgent})
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


def _actor_fields(by: Membership | SystemActor) -> dict[str, Any]:
    """The Transition columns naming the actor: a membership, or a system job's code."""
    if isinstance(by, SystemActor):
        return {"by": None, "system_actor": by.value}
    return {"by": by, "system_actor": ""}


def check_watch_renewal(case: Case) -> None:
    """Refuse renewing a watch beyond the cell's `watch_max_renewals` (docs/rules.md §3).

    Asked by case_transition, and by a meeting when its decision is recorded, so the meeting
    hears of the cap before the relevé is validated.
    """
    if not _is_watch_renewal(case, State.WATCH):
        return
    if case.watch_renewals >= case.cell.watch_max_renewals:
        raise TransitionError(
            _(
                "La veille a déjà été renouvelée %(n)s fois, le maximum fixé par la cellule : "
                "décidez d'une autre orientation ou clôturez la situation."
            )
            % {"n": case.watch_renewals},
            code="watch_cap",
        )


@transaction.atomic
def case_transition(*, case: Case, to_state: str, by: Membership | SystemActor, note: str = "") -> Case:
    """Move a case to `to_state` if the state machine allows it; record who, when and why.

    `by` is the membership of the person deciding, or a `SystemActor` for a job (the purge), which
    acts in every cell. The row is locked so two people acting at once cannot both move it from
    the same state. Renewing a watch beyond the cell's `watch_max_renewals` is refused here, so
    every caller (qualification, meeting decisions) gets the same rule.
    """
    locked = Case.objects.select_for_update().select_related("cell").get(pk=case.pk)
    if isinstance(by, Membership) and locked.cell_id != by.cell_id:
        raise TransitionError(_("Cette situation n'appartient pas à votre cellule."), code="other_cell")
    if to_state not in State.values:
        raise TransitionError(_("État inconnu."), code="unknown_state")
    if not can_transition(locked.state, to_state):
        raise TransitionError(
            _("Transition impossible : « %(source)s » → « %(target)s ».")
            % {"source": State(locked.state).label, "target": State(to_state).label},
            code="not_allowed",
        )
    source = locked.state
    locked.state = to_state
    fields = ["state"]
    if _is_watch_renewal(locked, to_state):
        check_watch_renewal(locked)
        locked.watch_renewals += 1
        fields.append("watch_renewals")
    if to_state == State.CLOSED:
        locked.closed_at = timezone.now()
        fields.append("closed_at")
    elif to_state == State.ARCHIVED:
        locked.archived_at = timezone.now()
        fields.append("archived_at")
    locked.save(update_fields=fields)
    Transition.objects.create(
        case=locked, from_state=source, to_state=to_state, note=note[:300], **_actor_fields(by)
    )
    data: dict[str, Any] = {"from": source, "to": to_state}
    if isinstance(by, SystemActor):
        data["by"] = f"system:{by.value}"
    record(
        action="case.transition",
        actor=by.user_id if isinstance(by, Membership) else None,
        cell=locked.cell_id,
        target=locked,
        data=data,
    )
    _refresh_deletion_date(locked)
    case.refresh_from_db()
    return locked


@transaction.atomic
def case_qualify(*, case: Case, to_state: str, note: str, by: Membership) -> Case:
    """Orient a case after pre-qualification; a case still `received` is taken first (both or neither)."""
    if case.state == State.RECEIVED:
        case_transition(case=case, to_state=State.PREQUALIFICATION, by=by)
    return case_transition(case=case, to_state=to_state, by=by, note=note)


@transaction.atomic
def case_close(*, case: Case, reason: str, by: Membership, note: str = "") -> Case:
    """Close with a reason from the closed list (the reason is a code, so it may go to the audit)."""
    if reason not in CloseReason.values:
        raise TransitionError(_("Motif de clôture inconnu."), code="unknown_reason")
    locked = case_transition(case=case, to_state=State.CLOSED, by=by, note=note)
    locked.close_reason = reason
    locked.save(update_fields=["close_reason"])
    _refresh_deletion_date(locked)
    record(action="case.close", actor=by.user_id, cell=locked.cell_id, target=locked, data={"reason": reason})
    case.refresh_from_db()
    return locked


@transaction.atomic
def case_walk_to(
    *, case: Case, to_state: str, by: Membership | SystemActor, note: str = "", close_reason: str = ""
) -> Case:
    """Bring a case to `to_state` along the machine's shortest path, one audited transition a step.

    For jobs and demo loaders, which must leave the same history a person would; closing takes
    `close_reason` (case_close). Refuses a state the case cannot reach.
    """
    path = path_between(case.state, to_state)
    if not path and case.state != to_state:
        raise TransitionError(
            _("Transition impossible : « %(source)s » → « %(target)s ».")
            % {"source": State(case.state).label, "target": State(to_state).label},
            code="not_allowed",
        )
    for state in path:
        if state == State.CLOSED and isinstance(by, Membership):
            case_close(case=case, reason=close_reason, by=by, note=note)
        else:
            case_transition(case=case, to_state=state, by=by, note=note)
    return case


@transaction.atomic
def archive_access_grant(*, case: Case, reason: str, by: Membership) -> ArchiveAccess:
    """A written reason before reading an archived case; the reason text stays out of the audit."""
    if case.state != State.ARCHIVED:
        raise TransitionError(_("Cette situation n'est pas archivée."), code="not_archived")
    access = ArchiveAccess.objects.create(case=case, by=by, reason=reason[:300])
    record(
        action="case.archive_access",
        actor=by.user_id,
        cell=case.cell_id,
        target=case,
        data={"access": access.pk},
    )
    return access


# A just-received case can be folded into an earlier one; later, it has a history of its own.
ATTACHABLE = frozenset({State.RECEIVED, State.PREQUALIFICATION})
# Open situations a new signalement can join; a closed one is reopened (within retention).
ATTACH_TARGETS = frozenset(
    {State.TO_REVIEW, State.REVIEWED, State.SUPPORT, State.WATCH, State.TRANSMITTED, State.CLOSED}
)


@transaction.atomic
def case_attach(*, case: Case, into: Case, reason: str, by: Membership) -> Case:
    """Attach the signalement(s) of a new case to the open situation of the same person.

    One situation per person (docs/rules.md §3): the persons must match by blind index in the same
    cell; a closed target is reopened (back to review) while its retention runs. The new case and
    its duplicate person are then removed, so no second file exists. Audited on the target.
    """
    if reason not in AttachReason.values:
        raise TransitionError(_("Motif de rattachement inconnu."), code="unknown_reason")
    locked = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    target = Case.objects.select_for_update().select_related("person").get(pk=into.pk)
    if not (locked.cell_id == target.cell_id == by.cell_id):
        raise TransitionError(_("Cette situation n'appartient pas à votre cellule."), code="other_cell")
    if locked.pk == target.pk or locked.person.name_index != target.person.name_index:
        raise TransitionError(_("Les deux situations ne concernent pas la même personne."), code="not_same")
    if locked.state not in ATTACHABLE:
        raise TransitionError(_("Seul un signalement qui vient d'arriver peut être rattaché."), code="late")
    if target.state not in ATTACH_TARGETS:
        raise TransitionError(
            _("La situation choisie n'est ni en cours ni clôturée : elle ne peut pas être rouverte."),
            code="target_state",
        )
    today = timezone.localdate()
    if target.state == State.CLOSED:
        if target.scheduled_deletion is not None and target.scheduled_deletion <= today:
            raise TransitionError(
                _("La durée de conservation de cette situation est écoulée."), code="retention_over"
            )
        case_transition(
            case=target, to_state=State.TO_REVIEW, by=by, note=_("Réouverture : nouveau signalement.")
        )
    moved = locked.referrals.update(case=target, person=target.person)
    duplicate_person = locked.person
    # The in-app notices about the removed case point nowhere now.
    Notification.objects.filter(target_type="cases.case", target_id=locked.pk).delete()
    locked_pk = locked.pk
    try:
        with transaction.atomic():
            locked.delete()
            if not duplicate_person.cases.exists() and not duplicate_person.referrals.exists():
                duplicate_person.delete()
    except ProtectedError as exc:
        raise TransitionError(
            _(
                "Cette situation a déjà des éléments propres (réunion, transmission) : rattachement impossible."
            ),
            code="has_dependants",
        ) from exc
    record(
        action="case.attach",
        actor=by.user_id,
        cell=target.cell_id,
        target=target,
        data={"from": locked_pk, "referrals": moved, "reason": reason},
    )
    into.refresh_from_db()
    return target
