"""Support plan screens: the plan and its actions, assigning, updating, and 'my actions'.

The forms live here too: they are only used by these views (cases/forms.py belongs to intake).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from dsfr.forms import DsfrBaseForm

from cmer.accounts.models import Membership
from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.cases import support_services as services
from cmer.cases.models import Action, ActionResult, ActionUpdate, Case
from cmer.core.policy import deny, get_visible_or_404, requires

FOLLOWERS = frozenset({Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER})
OPEN_RESULTS = (ActionResult.PLANNED, ActionResult.IN_PROGRESS)


def can_follow_actions(membership: Membership | None) -> bool:
    """Managers follow every action of the cell; members and state members those of their service."""
    return membership is not None and membership.role in FOLLOWERS


class ActionForm(DsfrBaseForm):
    title = forms.CharField(label=gettext_lazy("Action"), max_length=200)
    service = forms.ChoiceField(label=gettext_lazy("Service chargé de l'action"), choices=[])
    referent = forms.CharField(label=gettext_lazy("Référent (fonction)"), max_length=120, required=False)
    start_on = forms.DateField(
        label=gettext_lazy("Début"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_on = forms.DateField(
        label=gettext_lazy("Échéance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, services_list: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("— choisir —")), *((s, s) for s in services_list)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("L'échéance ne peut pas précéder le début de l'action."))
        return data


class ActionUpdateForm(DsfrBaseForm):
    result = forms.ChoiceField(label=gettext_lazy("Résultat"), choices=ActionResult.choices)
    note = forms.CharField(
        label=gettext_lazy("Ce qui a été fait (une phrase factuelle)"),
        max_length=services.NOTE_MAX,
        help_text=gettext_lazy(
            "Un fait daté, sans opinion ni jugement sur la personne, sans donnée sensible."
        ),
    )


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _case(request: HttpRequest, pk: int) -> Case:
    qs = Case.objects.visible_to(_membership(request)).select_related("support_plan")
    return get_visible_or_404(request, qs, pk=pk)


def _plan_response(request: HttpRequest, case: Case, form: ActionForm | None = None) -> HttpResponse:
    membership = _membership(request)
    plan = getattr(case, "support_plan", None)
    actions = Action.objects.visible_to(membership).filter(case=case).order_by("end_on", "pk")
    can_assign = services.can_assign_actions(membership) and plan is not None and plan.ended_on is None
    if can_assign and form is None:
        today = timezone.localdate()
        form = ActionForm(services_list=services.service_choices(case.cell_id), initial={"start_on": today})
    record(action="support.plan_read", actor=membership.user_id, cell=case.cell_id, target=case)
    context = {"case": case, "plan": plan, "actions": actions, "form": form if can_assign else None}
    return render(request, "cases/support_plan.html", context, status=400 if form and form.is_bound else 200)


@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if not can_follow_actions(_membership(request)):
        raise deny(request, "support.plan_read", case)
    return _plan_response(request, case)


@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    membership = _membership(request)
    plan = getattr(case, "support_plan", None)
    if not services.can_assign_actions(membership) or plan is None:
        raise deny(request, "support.action_assign", case)
    form = ActionForm(request.POST, services_list=services.service_choices(case.cell_id))
    if form.is_valid():
        try:
            services.action_assign(plan=plan, by=membership, **form.cleaned_data)
        except services.SupportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Action attribuée au service %(s)s.") % {"s": form.cleaned_data["service"]}
            )
            return redirect("support:plan", pk=case.pk)
    return _plan_response(request, case, form)


@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _membership(request)
    qs = Action.objects.visible_to(membership).select_related("case", "plan")
    action = get_visible_or_404(request, qs, pk=pk)
    if not services.can_update_action(membership, action):
        raise deny(request, "support.action_update", action)
    form = ActionUpdateForm(request.POST or None, initial={"result": action.result})
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(action=action, by=membership, **form.cleaned_data)
        except services.SupportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Action mise à jour."))
            return redirect("support:action", pk=action.pk)
    if request.method == "GET":
        record(
            action="support.action_read", actor=membership.user_id, cell=action.case.cell_id, target=action
        )
    history = ActionUpdate.objects.filter(action=action).select_related("by__user").order_by("-at", "-pk")
    context = {"action": action, "form": form, "history": history}
    return render(request, "cases/support_action.html", context, status=400 if form.is_bound else 200)


@require_GET
@requires(can_follow_actions, "support.my_actions")
def my_actions(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    actions = (
        Action.objects.visible_to(membership)
        .filter(result__in=OPEN_RESULTS)
        .select_related("case")
        .order_by("end_on", "pk")
    )
    context = {
        "actions": actions,
        "today": timezone.localdate(),
        "all_cell": membership.role not in (Role.MEMBER, Role.STATE_MEMBER),
    }
    return render(request, "cases/support_my_actions.html", context)
