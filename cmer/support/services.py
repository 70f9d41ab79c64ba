"""Support plans and their actions (docs/rules.md §3.4). Each change writes its audit event."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership
from cmer.audit.services import record
from cmer.cases.models import Action, ActionResult, ActionUpdate, Case, SupportPlan
from cmer.cases.states import State
from cmer.core.errors import DomainError
from cmer.support.permissions import can_assign_actions, can_update_action

NOTE_MAX = 300
# Results of an action still to be done: what "my actions" and the dashboard card list.
OPEN_RESULTS = (ActionResult.PLANNED, ActionResult.IN_PROGRESS)


class SupportError(DomainError):
    """A refused support operation; nothing changed."""


def check_consent(*, case: Case, consent_on: date | None, parental_info_on: date | None) -> None:
    """Support needs the person's free consent, and for a minor the information of the parents, dated."""
    today = timezone.localdate()
    if consent_on is None:
        raise SupportError(
            _("Indiquez la date à laquelle la libre adhésion de la personne a été recueillie."),
            code="no_consent",
        )
    if consent_on > today:
        raise SupportError(
            _("La date de libre adhésion ne peut pas être dans le futur."), code="future_consent"
        )
    if case.is_minor:
        if parental_info_on is None:
            raise SupportError(
                _(
                    "La personne est mineure : indiquez la date d'information des titulaires de "
                    "l'autorité parentale."
                ),
                code="no_parental_info",
            )
        if parental_info_on > today:
            raise SupportError(
                _(
                    "La date d'information des titulaires de l'autorité parentale ne peut pas être dans le futur."
                ),
                code="future_parental_info",
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
        raise SupportError(_("Cette situation n'appartient pas à votre cellule."), code="other_cell")
    check_consent(case=case, consent_on=consent_on, parental_info_on=parental_info_on)
    assert consent_on is not None  # checked just above; tells the type checker too
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
    # The view's own predicate, asked again so that no other caller can bypass it.
    if not can_assign_actions(by) or case.cell_id != by.cell_id:
        raise SupportError(
            _("Seuls le président et le coordonnateur de la cellule attribuent des actions."),
            code="not_manager",
        )
    if case.state != State.SUPPORT or plan.ended_on is not None:
        raise SupportError(
            _("Le plan d'accompagnement de cette situation n'est pas en cours."), code="no_plan"
        )
    if service not in service_choices(case.cell_id):
        raise SupportError(
            _("Choisissez un service parmi ceux des membres de la cellule."), code="unknown_service"
        )
    if end_on < start_on:
        raise SupportError(
            _("L'échéance ne peut pas précéder le début de l'action."), code="end_before_start"
        )
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
    """Record the result of an action (closed list) with one factual sentence; history is kept.

    Who may update it is the view's predicate (can_update_action), asked again for any caller.
    """
    if not can_update_action(by, action):
        raise SupportError(
            _("Seul le service chargé de l'action, le président ou le coordonnateur peut la mettre à jour."),
            code="not_responsible",
        )
    if result not in ActionResult.values:
        raise SupportError(_("Choisissez le résultat dans la liste."), code="unknown_result")
    note = " ".join(note.split())
    if not note:
        raise SupportError(_("Décrivez en une phrase factuelle ce qui a été fait."), code="no_note")
    if len(note) > NOTE_MAX:
        raise SupportError(
            _("Une phrase factuelle suffit : %(n)s caractères au plus.") % {"n": NOTE_MAX},
            code="note_too_long",
        )
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
