"""Views of the exchange with the State: transmissions, feedback, préfet information, briefings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.permissions import archive_closed_to
from cmer.cases.states import State
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.exchange import permissions as perms
from cmer.exchange import services
from cmer.exchange.forms import (
    AcknowledgeForm,
    BriefingForm,
    FeedbackForm,
    PrefectInformationForm,
    TransmissionForm,
)
from cmer.exchange.models import PrefectInformation, ThreatBriefing, Transmission, TransmissionStatus
from cmer.training.services import bias_warnings_record, guarded_write


def _audit_read(request: CellRequest, action: str, target: Model | None = None, **data: Any) -> None:
    m = request.membership
    record(action=action, actor=m.user_id, cell=m.cell_id, target=target, data=data or None)


# --- Transmissions -------------------------------------------------------------------------------


@require_GET
@requires(perms.can_view_register, "transmission.register")
def transmission_register(request: CellRequest) -> HttpResponse:
    m = request.membership
    rows = Transmission.objects.visible_to(m).select_related("feedback").prefetch_related("observations")
    if perms.sees_transmission_context(m):
        rows = rows.select_related("case", "prepared_by__user", "approved_by__user")
    else:
        # A State member reads what was addressed to the State, nothing of the case around it
        # (docs/rules.md §2): its reference and who prepared or approved it are not even fetched.
        rows = rows.defer("case", "prepared_by", "approved_by")
    _audit_read(request, "transmission.register_read", count=len(rows))
    # Cases the cell decided to transmit (in a meeting, or urgently) and not yet transmitted.
    to_prepare = []
    if perms.can_prepare_transmission(m):
        to_prepare = list(
            Case.objects.visible_to(m)
            .filter(state__in=[State.TRANSMITTED, State.URGENT_TRANSMITTED], transmissions__isnull=True)
            .order_by("opened_at")[:50]
        )
    return render(
        request,
        "exchange/transmission_register.html",
        {
            "rows": rows,
            "now": timezone.now(),
            # Due dates are local (Paris) dates: just after midnight, now.date (UTC) is still yesterday.
            "today": timezone.localdate(),
            "can": perms.register_abilities(m),
            "to_prepare": to_prepare,
        },
    )


@require_http_methods(["GET", "POST"])
def transmission_create(request: CellRequest, case_pk: int) -> HttpResponse:
    m = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(m), pk=case_pk)
    if not perms.can_prepare_transmission(m):
        raise deny(request, "transmission.prepare", case)
    if archive_closed_to(m, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    form = TransmissionForm(request.POST or None, case=case)
    valid = request.method == "POST" and form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        transmission = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=m.cell_id,
                write=lambda: services.transmission_prepare(case=case, by=m, **form.cleaned_data),
            ),
            success=_("Transmission préparée : elle sera envoyée après approbation du président."),
            form=form,
        )
        if transmission is not None:
            return redirect("exchange:transmission_detail", pk=transmission.pk)
    _audit_read(request, "case.read", target=case, via="transmission_form")
    return render(request, "exchange/transmission_form.html", {"form": form, "case": case})


@require_GET
def transmission_detail(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    transmission = get_visible_or_404(
        request,
        Transmission.objects.visible_to(m).select_related(
            "case", "prepared_by__user", "approved_by__user", "feedback"
        ),
        pk=pk,
    )
    if not perms.can_read_transmission(m):
        raise deny(request, "transmission.read", transmission)
    facts = transmission.observations.select_related("indicator__domain").order_by("observed_on", "pk")
    _audit_read(request, "transmission.read", target=transmission)
    # A State member gets the page of what was addressed to the State, nothing else of the case.
    template = (
        "exchange/transmission_detail.html"
        if perms.sees_transmission_context(m)
        else "exchange/transmission_state.html"
    )
    return render(
        request,
        template,
        {
            "t": transmission,
            "facts": facts,
            "can": perms.abilities(m, transmission),
            "own_draft": transmission.prepared_by.user_id == m.user_id,
            "ack_form": AcknowledgeForm(initial={"on": timezone.localdate()}),
        },
    )


@require_POST
def transmission_approve(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_approve_transmissions(m):
        raise deny(request, "transmission.approve", transmission)
    run_service(
        request,
        lambda: services.transmission_approve(transmission=transmission, by=m),
        success=_("Transmission approuvée : elle compte désormais comme envoyée."),
    )
    return redirect("exchange:transmission_detail", pk=transmission.pk)


@require_POST
def transmission_acknowledge(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_acknowledge_transmission(m):
        raise deny(request, "transmission.acknowledge", transmission)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez une date valide."))
    else:
        run_service(
            request,
            lambda: services.transmission_acknowledge(
                transmission=transmission, on=form.cleaned_data["on"], by=m
            ),
            success=_("Accusé de réception enregistré."),
        )
    return redirect("exchange:transmission_detail", pk=transmission.pk)


@require_http_methods(["GET", "POST"])
def feedback_record(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_record_feedback(m):
        raise deny(request, "transmission.feedback", transmission)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recorded = run_service(
            request,
            lambda: services.feedback_record(transmission=transmission, by=m, **form.cleaned_data),
            success=_("Retour de l'État enregistré."),
            form=form,
        )
        if recorded is not None:
            return redirect("exchange:feedback_pending")
    return render(request, "exchange/feedback_form.html", {"form": form, "t": transmission})


@require_GET
@requires(perms.can_list_pending_feedback, "transmission.feedback_pending")
def feedback_pending(request: CellRequest) -> HttpResponse:
    """« Retours attendus »: sent transmissions still without the State's feedback, oldest first."""
    m = request.membership
    rows = list(
        Transmission.objects.visible_to(m)
        .filter(status__in=[TransmissionStatus.SENT, TransmissionStatus.ACKNOWLEDGED], feedback__isnull=True)
        .only(
            "reference",
            "recipient",
            "recipient_detail",
            "purpose",
            "approved_at",
            "acknowledged_on",
            "status",
        )
        .order_by("approved_at", "pk")
    )
    _audit_read(request, "transmission.feedback_pending", count=len(rows))
    return render(
        request,
        "exchange/feedback_pending.html",
        {"rows": rows, "today": timezone.localdate(), "can": perms.register_abilities(m)},
    )


# --- Information from the préfet (a compartment: P, C, and the State member's own entries) -------


@require_GET
@requires(perms.can_view_prefect_information, "prefect_info.list")
def prefect_info_list(request: CellRequest) -> HttpResponse:
    m = request.membership
    items = PrefectInformation.objects.visible_to(m).select_related("case", "recorded_by__user")
    _audit_read(request, "prefect_info.list", count=len(items))
    return render(
        request,
        "exchange/prefect_info_list.html",
        {"items": items, "can_record": perms.can_record_prefect_information(m)},
    )


@require_GET
def prefect_info_detail(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    info = get_visible_or_404(
        request, PrefectInformation.objects.visible_to(m).select_related("case", "recorded_by__user"), pk=pk
    )
    _audit_read(request, "prefect_info.read", target=info)
    return render(request, "exchange/prefect_info_detail.html", {"info": info})


@require_http_methods(["GET", "POST"])
@requires(perms.can_record_prefect_information, "prefect_info.record")
def prefect_info_create(request: CellRequest) -> HttpResponse:
    m = request.membership
    form = PrefectInformationForm(request.POST or None, cases=Case.objects.visible_to(m))
    if request.method == "POST" and form.is_valid():
        info = run_service(
            request,
            lambda: services.prefect_information_record(by=m, **form.cleaned_data),
            success=_("Information du préfet enregistrée."),
            form=form,
        )
        if info is not None:
            return redirect("exchange:prefect_info_list")
    return render(request, "exchange/prefect_info_form.html", {"form": form})


# --- Threat briefings of the maire (logged without content) --------------------------------------


@require_http_methods(["GET", "POST"])
@requires(perms.can_manage_briefings, "briefing.manage")
def briefings(request: CellRequest) -> HttpResponse:
    m = request.membership
    form = BriefingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheduled = run_service(
            request,
            lambda: services.briefing_schedule(scheduled_on=form.cleaned_data["scheduled_on"], by=m),
            success=_("Point de situation planifié."),
            form=form,
        )
        if scheduled is not None:
            return redirect("exchange:briefings")
    items = ThreatBriefing.objects.visible_to(m).select_related("logged_by__user")
    return render(
        request, "exchange/briefings.html", {"form": form, "items": items, "today": timezone.localdate()}
    )


@require_POST
def briefing_log(request: CellRequest, pk: int) -> HttpResponse:
    m = request.membership
    # Out of scope (another cell's, or not a manager): 404 like a missing briefing, before any refusal.
    briefing = get_visible_or_404(request, ThreatBriefing.objects.visible_to(m), pk=pk)
    held = request.POST.get("held")
    if held not in ("yes", "no"):
        messages.error(request, _("Indiquez si le point a été tenu."))
        return redirect("exchange:briefings")
    run_service(
        request,
        lambda: services.briefing_log(briefing=briefing, held=held == "yes", by=m),
        success=_("Point de situation consigné."),
    )
    return redirect("exchange:briefings")
