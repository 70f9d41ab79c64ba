"""Views of the exchange with the State and of the notification inbox."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.models import User
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.core.models import Notification
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.exchange import permissions as perms
from cmer.exchange import services
from cmer.exchange.forms import (
    AcknowledgeForm,
    BriefingForm,
    FeedbackForm,
    PrefectInformationForm,
    PreferencesForm,
    TransmissionForm,
)
from cmer.exchange.models import PrefectInformation, ThreatBriefing, Transmission


def _audit_read(request: HttpRequest, action: str, target=None, **data) -> None:  # type: ignore[no-untyped-def]
    m = request.membership  # type: ignore[attr-defined]
    record(action=action, actor=m.user_id, cell=m.cell_id, target=target, data=data or None)


# --- Transmissions -------------------------------------------------------------------------------


@require_GET
@requires(perms.can_view_register, "transmission.register")
def transmission_register(request: HttpRequest) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    rows = (
        Transmission.objects.visible_to(m)
        .select_related("case", "prepared_by__user", "approved_by__user", "feedback")
        .prefetch_related("observations")
    )
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
            "can_read": perms.can_read_transmission(m),
            "to_prepare": to_prepare,
        },
    )


@require_http_methods(["GET", "POST"])
def transmission_create(request: HttpRequest, case_pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    case = get_visible_or_404(request, Case.objects.visible_to(m), pk=case_pk)
    if not perms.can_prepare_transmission(m):
        raise deny(request, "transmission.prepare", case)
    form = TransmissionForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            transmission = services.transmission_prepare(case=case, by=m, **form.cleaned_data)
        except services.ExchangeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Transmission préparée : elle sera envoyée après approbation du président.")
            )
            return redirect("exchange:transmission_detail", pk=transmission.pk)
    _audit_read(request, "case.read", target=case, via="transmission_form")
    return render(request, "exchange/transmission_form.html", {"form": form, "case": case})


@require_GET
def transmission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    transmission = get_visible_or_404(
        request,
        Transmission.objects.visible_to(m).select_related(
            "case", "prepared_by__user", "approved_by__user", "feedback"
        ),
        pk=pk,
    )
    if not perms.can_read_transmission(m):
        raise deny(request, "transmission.read", transmission)
    facts = transmission.observations.select_related("indicator")
    _audit_read(request, "transmission.read", target=transmission)
    return render(
        request,
        "exchange/transmission_detail.html",
        {
            "t": transmission,
            "facts": facts,
            "can": perms.abilities(m, transmission),
            "own_draft": transmission.prepared_by.user_id == m.user_id,
            "ack_form": AcknowledgeForm(initial={"on": timezone.localdate()}),
        },
    )


@require_POST
def transmission_approve(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_approve_transmissions(m):
        raise deny(request, "transmission.approve", transmission)
    try:
        services.transmission_approve(transmission=transmission, by=m)
    except services.ExchangeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Transmission approuvée : elle compte désormais comme envoyée."))
    return redirect("exchange:transmission_detail", pk=transmission.pk)


@require_POST
def transmission_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_acknowledge_transmission(m):
        raise deny(request, "transmission.acknowledge", transmission)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez une date valide."))
    else:
        try:
            services.transmission_acknowledge(transmission=transmission, on=form.cleaned_data["on"], by=m)
        except services.ExchangeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Accusé de réception enregistré."))
    return redirect("exchange:transmission_detail", pk=transmission.pk)


@require_http_methods(["GET", "POST"])
def feedback_record(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    transmission = get_visible_or_404(request, Transmission.objects.visible_to(m), pk=pk)
    if not perms.can_record_feedback(m):
        raise deny(request, "transmission.feedback", transmission)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_record(transmission=transmission, by=m, **form.cleaned_data)
        except services.ExchangeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Retour de l'État enregistré."))
            return redirect("exchange:transmissions")
    return render(request, "exchange/feedback_form.html", {"form": form, "t": transmission})


# --- Information from the préfet (a compartment: P, C, and the State member's own entries) -------


@require_GET
@requires(perms.can_view_prefect_information, "prefect_info.list")
def prefect_info_list(request: HttpRequest) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    items = PrefectInformation.objects.visible_to(m).select_related("case", "recorded_by__user")
    _audit_read(request, "prefect_info.list", count=len(items))
    return render(
        request,
        "exchange/prefect_info_list.html",
        {"items": items, "can_record": perms.can_record_prefect_information(m)},
    )


@require_GET
def prefect_info_detail(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    info = get_visible_or_404(
        request, PrefectInformation.objects.visible_to(m).select_related("case", "recorded_by__user"), pk=pk
    )
    _audit_read(request, "prefect_info.read", target=info)
    return render(request, "exchange/prefect_info_detail.html", {"info": info})


@require_http_methods(["GET", "POST"])
@requires(perms.can_record_prefect_information, "prefect_info.record")
def prefect_info_create(request: HttpRequest) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    form = PrefectInformationForm(request.POST or None, cases=Case.objects.visible_to(m))
    if request.method == "POST" and form.is_valid():
        try:
            services.prefect_information_record(by=m, **form.cleaned_data)
        except services.ExchangeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Information du préfet enregistrée."))
            return redirect("exchange:prefect_info_list")
    return render(request, "exchange/prefect_info_form.html", {"form": form})


# --- Threat briefings of the maire (logged without content) --------------------------------------


@require_http_methods(["GET", "POST"])
@requires(perms.can_manage_briefings, "briefing.manage")
def briefings(request: HttpRequest) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    form = BriefingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.briefing_schedule(scheduled_on=form.cleaned_data["scheduled_on"], by=m)
        messages.success(request, _("Point de situation planifié."))
        return redirect("exchange:briefings")
    items = ThreatBriefing.objects.filter(cell_id=m.cell_id).select_related("logged_by__user")
    return render(
        request, "exchange/briefings.html", {"form": form, "items": items, "today": timezone.localdate()}
    )


@require_POST
def briefing_log(request: HttpRequest, pk: int) -> HttpResponse:
    m = request.membership  # type: ignore[attr-defined]
    scope = ThreatBriefing.objects.filter(cell_id=m.cell_id)
    if not perms.can_manage_briefings(m):
        scope = scope.none()  # 404 like another cell's briefing, before any refusal
    briefing = get_visible_or_404(request, scope, pk=pk)
    held = request.POST.get("held")
    if held not in ("yes", "no"):
        messages.error(request, _("Indiquez si le point a été tenu."))
        return redirect("exchange:briefings")
    try:
        services.briefing_log(briefing=briefing, held=held == "yes", by=m)
    except services.ExchangeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Point de situation consigné."))
    return redirect("exchange:briefings")


# --- Notification inbox (per user and current cell; never personal data) -----------------------


def _inbox(request: HttpRequest) -> QuerySet[Notification]:
    cell = getattr(request, "cell", None)
    user = cast(User, request.user)
    return Notification.objects.filter(Q(cell=cell) | Q(cell__isnull=True), recipient=user)


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = _inbox(request)[:200]
    return render(request, "core/notifications.html", {"notifications": notifications})


@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, _inbox(request), pk=pk)
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    # The stored URL was checked to be a path of this site when the notice was created.
    target = (
        notification.url if notification.url.startswith("/") and not notification.url.startswith("//") else ""
    )
    return redirect(target or "exchange:inbox")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    # An unchecked box posts nothing: bind on the method, not on the (empty) data.
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={"email_notifications": user.email_notifications},
    )
    if request.method == "POST" and form.is_valid():
        value = form.cleaned_data["email_notifications"]
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(email_notifications=value)
            record(action="notifications.preferences", actor=user, target=user, data={"email": value})
        messages.success(request, _("Préférences enregistrées."))
        return redirect("exchange:preferences")
    return render(request, "core/notifications_preferences.html", {"form": form})
