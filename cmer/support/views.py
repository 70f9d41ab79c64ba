"""Support plan screens: the plan and its actions, assigning, updating, and 'my actions'."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.cases.models import Action, ActionUpdate, Case
from cmer.cases.permissions import archive_closed_to
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.support import services
from cmer.support.forms import ActionForm, ActionUpdateForm
from cmer.support.permissions import (
    can_assign_actions,
    can_follow_actions,
    can_follow_all_actions,
    can_update_action,
)
from cmer.training.services import bias_warnings_record, guarded_write


def _case(request: CellRequest, pk: int) -> Case:
    qs = Case.objects.visible_to(request.membership).select_related("support_plan")
    return get_visible_or_404(request, qs, pk=pk)


def _plan_response(request: CellRequest, case: Case, form: ActionForm | None = None) -> HttpResponse:
    membership = request.membership
    plan = getattr(case, "support_plan", None)
    actions = Action.objects.visible_to(membership).filter(case=case).order_by("end_on", "pk")
    can_assign = can_assign_actions(membership) and plan is not None and plan.ended_on is None
    if can_assign and form is None:
        today = timezone.localdate()
        form = ActionForm(services_list=services.service_choices(case.cell_id), initial={"start_on": today})
    record(action="support.plan_read", actor=membership.user_id, cell=case.cell_id, target=case)
    context = {"case": case, "plan": plan, "actions": actions, "form": form if can_assign else None}
    return render(request, "support/plan.html", context, status=400 if form and form.is_bound else 200)


@require_GET
def plan_detail(request: CellRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if not can_follow_actions(request.membership):
        raise deny(request, "support.plan_read", case)
    if archive_closed_to(request.membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    return _plan_response(request, case)


@require_POST
def action_add(request: CellRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    membership = request.membership
    plan = getattr(case, "support_plan", None)
    if not can_assign_actions(membership) or plan is None:
        raise deny(request, "support.action_assign", case)
    if archive_closed_to(membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    form = ActionForm(request.POST, services_list=services.service_choices(case.cell_id))
    valid = form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        cd = form.cleaned_data
        done = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=case.cell_id,
                write=lambda: services.action_assign(plan=plan, by=membership, **cd),
            ),
            success=_("Action attribuée au service %(s)s.") % {"s": cd["service"]},
            form=form,
        )
        if done is not None:
            return redirect("support:plan", pk=case.pk)
    return _plan_response(request, case, form)


@require_http_methods(["GET", "POST"])
def action_update(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    qs = Action.objects.visible_to(membership).select_related("case", "plan")
    action = get_visible_or_404(request, qs, pk=pk)
    if not can_update_action(membership, action):
        raise deny(request, "support.action_update", action)
    if archive_closed_to(membership, action.case):
        return redirect("cases:detail", pk=action.case_id)  # which asks for the written reason first
    form = ActionUpdateForm(request.POST or None, initial={"result": action.result})
    valid = request.method == "POST" and form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        cd = form.cleaned_data
        done = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=action.case.cell_id,
                write=lambda: services.action_update(action=action, by=membership, **cd),
            ),
            success=_("Action mise à jour."),
            form=form,
        )
        if done is not None:
            return redirect("support:action", pk=action.pk)
    if request.method == "GET":
        record(
            action="support.action_read", actor=membership.user_id, cell=action.case.cell_id, target=action
        )
    history = ActionUpdate.objects.filter(action=action).select_related("by__user").order_by("-at", "-pk")
    context = {
        "action": action,
        "form": form,
        "history": history,
        "abilities": {"follow_all_actions": can_follow_all_actions(membership)},
    }
    return render(request, "support/action.html", context, status=400 if form.is_bound else 200)


@require_GET
@requires(can_follow_actions, "support.my_actions")
def my_actions(request: CellRequest) -> HttpResponse:
    membership = request.membership
    actions = (
        Action.objects.visible_to(membership)
        .filter(result__in=services.OPEN_RESULTS)
        .select_related("case")
        .order_by("end_on", "pk")
    )
    context = {
        "actions": actions,
        "today": timezone.localdate(),
        "all_cell": can_follow_all_actions(membership),
    }
    return render(request, "support/my_actions.html", context)
