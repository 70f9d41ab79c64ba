"""Support plans and their actions (docs/rules.md §3.4). Each change writes its audit event."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.cases.models import Action, ActionResult, ActionUpdate, Case, SupportPlan
from cmer.cases.states import State

MANAGERS = frozenset({Role.PRESIDENT, Role.COORDINATOR})
NOTE_MAX = 300


class SupportError(Exception):
    """A refused support operation, with a message fit to show the user (French)."""


def check_consent(*, case: Case, consent_on: date | None, parental_info_on: date | None) -> None:
    """Support needs the person's free consent, and for a minor the information of the parents, dated."""
    today = timezone.localdate()
    if consent_on is None:
        raise SupportError("Indiquez la date à laquelle la libre adhésion de la personne a été recueillie.")
    if consent_on > today:
        raise SupportError("La date de libre adhésion ne peut pas être dans le futur.")
    if case.is_minor:
        if parental_info_on is None:
            raise SupportError(
                "La personne est mineure : indiquez la date d'information des titulaires de l'autorité parentale."
            )
        if parental_info_on > today:
            raise SupportError(
                "La date d'information des titulaires de l'autorité parentale ne peut pas être dans le futur."
            )


def service_choices(cell: Cell | int) -> list[str]:
    """The services named on the cell's active memberships: actions are assigned to one of them."""
    cell_id = cell if isinstance(cell, int) else cell.pk
    services = (
        Membership.objects.active()
        .filter(cell_id=cell_id)
        .exclude(service="")
        .values_list("service", flat=True)
        .distinct()
    )
    return sorted(set(services))


@transaction.atomic
def support_plan_start(
    *,
    case: Case,
    consent_on: date | None,
    parental_info_on: date | None,
    path_referent: str,
    by: Membership,
) -> SupportPlan:
    """Start (or restart) the follow-up plan of a case once consent, and parental information for a minor, are dated."""
    if case.cell_id != by.cell_id:
        raise SupportError("Cette situation n'appartient pas à votre cellule.")
    check_consent(case=case, consent_on=consent_on, parental_info_on=parental_info_on)
    plan, created = SupportPlan.objects.update_or_create(
        case=case,
        defaults={
            "started_on": timezone.localdate(),
            "consent_on": consent_on,
            "parental_info_on": parental_info_on if case.is_minor else None,
            "path_referent": path_referent[:120],
            "ended_on": None,
        },
    )
    record(
        action="support.plan_started",
        actor=by.user_id,
        cell=case.cell_id,
        target=plan,
        data={"case": case.pk, "restart": not created},
    )
    return plan


@transaction.atomic
def support_plan_end(*, case: Case, by: Membership) -> SupportPlan | None:
    """End the plan of a case that leaves support (if it has a running one)."""
    plan = SupportPlan.objects.filter(case=case, ended_on__isnull=True).first()
    if plan is None:
        return None
    plan.ended_on = timezone.localdate()
    plan.save(update_fields=["ended_on"])
    record(
        action="support.plan_ended", actor=by.user_id, cell=case.cell_id, target=plan, data={"case": case.pk}
    )
    return plan


def can_assign_actions(membership: Membership | None) -> bool:
    """The president and the coordinator assign actions to services."""
    return membership is not None and membership.role in MANAGERS


def can_update_action(membership: Membership | None, action: Action) -> bool:
    """P/C update any action of their cell; members and state members only those of their own service."""
    if membership is None or action.case.cell_id != membership.cell_id:
        return False
    if membership.role in MANAGERS:
        return True
    return (
        membership.role in (Role.MEMBER, Role.STATE_MEMBER)
        and bool(membership.service)
        and action.service == membership.service
    )


@transaction.atomic
def action_assign(
    *,
    plan: SupportPlan,
    service: str,
    title: str,
    referent: str,
    start_on: date,
    end_on: date,
    by: Membership,
) -> Action:
    """Assign an action of a running plan to one of the cell's services, with dates."""
    case = plan.case
    if not can_assign_actions(by) or case.cell_id != by.cell_id:
        raise SupportError("Seuls le président et le coordonnateur de la cellule attribuent des actions.")
    if case.state != State.SUPPORT or plan.ended_on is not None:
        raise SupportError("Le plan d'accompagnement de cette situation n'est pas en cours.")
    if service not in service_choices(case.cell_id):
        raise SupportError("Choisissez un service parmi ceux des membres de la cellule.")
    if end_on < start_on:
        raise SupportError("L'échéance ne peut pas précéder le début de l'action.")
    action = Action.objects.create(
        case=case,
        plan=plan,
        service=service,
        title=title,
        referent=referent,
        start_on=start_on,
        end_on=end_on,
    )
    record(
        action="support.action_assigned",
        actor=by.user_id,
        cell=case.cell_id,
        target=action,
        data={"case": case.pk},
    )
    return action


@transaction.atomic
def action_update(*, action: Action, result: str, note: str, by: Membership) -> ActionUpdate:
    """Record the result of an action (closed list) with one factual sentence; history is kept."""
    if not can_update_action(by, action):
        raise SupportError(
            "Seul le service chargé de l'action, le président ou le coordonnateur peut la mettre à jour."
        )
    if result not in ActionResult.values:
        raise SupportError("Choisissez le résultat dans la liste.")
    note = " ".join(note.split())
    if not note:
        raise SupportError("Décrivez en une phrase factuelle ce qui a été fait.")
    if len(note) > NOTE_MAX:
        raise SupportError(f"Une phrase factuelle suffit : {NOTE_MAX} caractères au plus.")
    locked = Action.objects.select_for_update().get(pk=action.pk)
    locked.result = result
    locked.result_note = note
    locked.save(update_fields=["result", "result_note", "updated_at"])
    update = ActionUpdate.objects.create(action=locked, by=by, result=result, note=note)
    record(
        action="support.action_updated",
        actor=by.user_id,
        cell=action.case.cell_id,
        target=locked,
        data={"result": result, "case": locked.case_id},
    )
    action.refresh_from_db()
    return update
