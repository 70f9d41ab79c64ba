"""Case pages: the list, the qualification queue, the case itself, closure, archive, exact search."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.accounts.models import Membership
from cmer.audit.services import record
from cmer.cases.forms import (
    ArchiveReasonForm,
    AttachForm,
    CloseForm,
    ConfirmForm,
    InformationForm,
    PersonSearchForm,
    QualifyForm,
    StateFilterForm,
)
from cmer.cases.information import information_deadline, information_decide
from cmer.cases.links import links_for
from cmer.cases.models import Case, Transition
from cmer.cases.permissions import abilities as case_abilities
from cmer.cases.permissions import (
    archive_closed_to,
    archive_window_open,
    can_archive_case,
    can_attach_case,
    can_close_case,
    can_list_cases,
    can_qualify,
    can_read_archive,
    can_record_information,
    can_search_persons,
    can_send_to_review,
)
from cmer.cases.persons import find_known_persons
from cmer.cases.sections import sections_for
from cmer.cases.services import (
    ATTACH_TARGETS,
    archive_access_grant,
    case_attach,
    case_close,
    case_qualify,
    case_transition,
)
from cmer.cases.states import CloseReason, State
from cmer.core.errors import run_service
from cmer.core.pdf import render_pdf
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.training.services import bias_warnings_record, guarded_write

PAGE_SIZE = 50
PENDING = [State.RECEIVED, State.PREQUALIFICATION]


def _audit_read(request: CellRequest, case: Case, action: str = "case.read") -> None:
    """The one read event of the request for a page showing this case's personal data."""
    record(action=action, actor=request.membership.user_id, cell=case.cell_id, target=case)


def _case_context(case: Case) -> dict[str, Any]:
    """Identity, referrals with their facts (labels of the version used), and the history.

    The referrals come through the case's reverse relation: the referrals app builds on cases,
    so cases never imports it. Observations keep their model ordering (date of the facts).
    """
    # The observation model is reached through the relation, so cases still never imports referrals;
    # one query for the facts with their indicator and domain, not three.
    observation = case.referrals.model._meta.get_field("observations").related_model
    facts = Prefetch(
        "observations", queryset=observation._default_manager.select_related("indicator__domain")
    )
    referrals = case.referrals.select_related("submitted_by__user", "catalogue_version").prefetch_related(
        facts, "catalogue_version__caveats"
    )
    # The case itself is bound to each row: notes decrypt with its cell without a query per row.
    transitions = [*Transition.objects.filter(case=case).select_related("by__user")]
    for transition in transitions:
        transition.case = case
    person = case.person
    information = list(person.information_decisions.select_related("decided_by__user"))
    # The deadline is shown only while no decision is recorded (cases/_information.html).
    first_opened = (
        None if information else person.cases.order_by("opened_at").values_list("opened_at", flat=True)[0]
    )
    return {
        "case": case,
        "person": person,
        "referrals": referrals,
        "transitions": transitions,
        "information": information,
        "information_deadline": information_deadline(first_opened) if first_opened else None,
        "rectifications": list(person.rectifications.select_related("by__user")),
    }


@require_GET
@requires(can_list_cases, "case.list")
def case_list(request: CellRequest) -> HttpResponse:
    # Urgent signalements still awaiting qualification come first (docs/rules.md §3.1).
    cases = (
        Case.objects.visible_to(request.membership)
        .only("reference", "state", "opened_at", "prequalification_due", "closed_at", "is_minor", "urgent")
        .alias(
            urgent_pending=ExpressionWrapper(Q(urgent=True, state__in=PENDING), output_field=BooleanField())
        )
        .order_by("-urgent_pending", "-opened_at", "-pk")
    )
    filters = StateFilterForm(request.GET or None)
    if filters.is_valid() and filters.cleaned_data["state"]:
        cases = cases.filter(state=filters.cleaned_data["state"])
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/list.html", {"page": page, "filters": filters})


@require_GET
@requires(can_qualify, "case.queue")
def queue(request: CellRequest) -> HttpResponse:
    cases = (
        Case.objects.visible_to(request.membership)
        .filter(state__in=[State.RECEIVED, State.PREQUALIFICATION])
        .only(
            "reference",
            "state",
            "opened_at",
            "prequalification_due",
            "prequalification_due_at",
            "is_minor",
            "urgent",
        )
        # Urgent first, then by deadline (docs/rules.md §3.1): the queue is read top-down.
        .order_by("-urgent", "prequalification_due", "pk")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/queue.html", {"page": page, "today": timezone.localdate()})


@require_GET
def detail(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership).select_related("person"), pk=pk)
    if case.state == State.ARCHIVED:
        if not can_read_archive(membership, case):
            raise deny(request, "case.read_archive", case)
        if not archive_window_open(membership, case):
            return render(request, "cases/archive_reason.html", {"case": case, "form": ArchiveReasonForm()})
    _audit_read(request, case)
    context = _case_context(case)
    can = case_abilities(membership, case)
    context["can"] = can
    context["close_form"] = CloseForm() if can["close"] else None
    context["case_links"] = links_for(membership, case)
    if can_record_information(membership, case):
        context["information_form"] = InformationForm()
    # Meetings, support and the exchange with the State add their sections (cmer/cases/sections.py).
    context["sections"] = sections_for(membership, case)
    return render(request, "cases/detail.html", context)


@require_POST
def send_to_review(request: CellRequest, pk: int) -> HttpResponse:
    """Put a case transmitted to the State back to be examined at the cell's next meeting."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_send_to_review(membership, case):
        raise deny(request, "case.to_review", case)
    run_service(
        request,
        lambda: case_transition(case=case, to_state=State.TO_REVIEW, by=membership),
        success=_("Situation à examiner en réunion : inscrivez-la à l'ordre du jour."),
    )
    return redirect(reverse("cases:detail", kwargs={"pk": case.pk}) + "#reunions")


@require_POST
def archive_access(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if case.state != State.ARCHIVED or not can_read_archive(membership, case):
        raise deny(request, "case.read_archive", case)
    form = ArchiveReasonForm(request.POST)
    valid = form.is_valid()
    bias_warnings_record(forms=[form])
    if not valid:
        return render(request, "cases/archive_reason.html", {"case": case, "form": form}, status=400)
    guarded_write(
        forms=[form],
        cell=case.cell_id,
        write=lambda: archive_access_grant(case=case, reason=form.cleaned_data["reason"], by=membership),
        target=lambda _grant: case,
    )
    return redirect("cases:detail", pk=case.pk)


@require_http_methods(["GET", "POST"])
def qualify(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    # Scope first, so another cell's case is the same 404 for everyone; then the role.
    case = get_visible_or_404(request, Case.objects.visible_to(membership).select_related("person"), pk=pk)
    if not can_qualify(membership):
        raise deny(request, "case.qualify", case)
    if archive_closed_to(membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    form = QualifyForm(request.POST or None)
    valid = request.method == "POST" and form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
        oriented = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=case.cell_id,
                write=lambda: case_qualify(case=case, to_state=decision, note=note, by=membership),
                target=lambda _result: case,
            ),
            success=_("Situation orientée : %(state)s.") % {"state": State(decision).label},
        )
        if oriented is not None:
            return redirect("cases:queue")
    _audit_read(request, case)
    context = _case_context(case)
    known = find_known_persons(case.cell_id, case.person.last_name, case.person.first_name, _birth(case))
    context["known_cases"] = (
        Case.objects.visible_to(membership)
        .filter(person__in=known.exclude(pk=case.person_id))
        .only("reference", "state")
    )
    context["form"] = form
    if can_attach_case(membership, case) and case.state in (State.RECEIVED, State.PREQUALIFICATION):
        targets = [c for c in context["known_cases"] if c.state in ATTACH_TARGETS]
        context["attach_form"] = AttachForm(targets=targets) if targets else None
        # Known, but no situation can take the signalement yet: say why rather than show nothing.
        context["attach_blocked"] = bool(context["known_cases"]) and not targets
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/qualify.html", context, status=status)


def _birth(case: Case) -> date:
    return date.fromisoformat(case.person.birth_date)


@require_POST
def take(request: CellRequest, pk: int) -> HttpResponse:
    """Start the pre-qualification of a received case (shows who took it in the history)."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_qualify(membership):
        raise deny(request, "case.qualify", case)
    run_service(
        request,
        lambda: case_transition(case=case, to_state=State.PREQUALIFICATION, by=membership),
        success=_("Pré-qualification commencée."),
    )
    return redirect("cases:qualify", pk=case.pk)


def _confirmed(request: CellRequest) -> bool:
    form = ConfirmForm(request.POST)
    return form.is_valid() and form.cleaned_data["confirmed"]


@require_POST
def close(request: CellRequest, pk: int) -> HttpResponse:
    """Two steps: the reason chosen (never pre-selected), then a confirmation page; then it closes."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_close_case(membership, case):
        raise deny(request, "case.close", case)
    form = CloseForm(request.POST)
    valid = form.is_valid()
    bias_warnings_record(forms=[form])
    if not valid:
        if form.bias_warnings:
            # The writer must see the warning and may confirm: the page again, with the form.
            _audit_read(request, case)
            context = _case_context(case)
            context.update(close_form=form, can_archive=can_archive_case(membership, case))
            context["case_links"] = links_for(membership, case)
            return render(request, "cases/detail.html", context, status=400)
        messages.error(request, _("Choisissez un motif de clôture dans la liste."))
        return redirect("cases:detail", pk=case.pk)
    reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
    if not _confirmed(request):
        context = {"case": case, "reason": CloseReason(reason).label, "form": form}
        return render(request, "cases/confirm_close.html", context)
    run_service(
        request,
        lambda: guarded_write(
            forms=[form],
            cell=case.cell_id,
            write=lambda: case_close(case=case, reason=reason, by=membership, note=note),
            target=lambda _result: case,
        ),
        success=_("Situation clôturée."),
    )
    return redirect("cases:detail", pk=case.pk)


@require_POST
def archive(request: CellRequest, pk: int) -> HttpResponse:
    """Two steps as well: archiving hides the situation behind a written reason for good."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_archive_case(membership, case):
        raise deny(request, "case.archive", case)
    if not _confirmed(request):
        return render(request, "cases/confirm_archive.html", {"case": case})
    archived = run_service(
        request,
        lambda: case_transition(case=case, to_state=State.ARCHIVED, by=membership),
        success=_("Situation archivée."),
    )
    if archived is None:
        return redirect("cases:detail", pk=case.pk)
    return redirect("cases:list")


@require_http_methods(["GET", "POST"])
@requires(can_search_persons, "person.search")
def search(request: CellRequest) -> HttpResponse:
    # POST only for the query itself: names never travel in a URL (docs/security.md #6).
    membership = request.membership
    form = PersonSearchForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        persons = find_known_persons(membership.cell_id, cd["last_name"], cd["first_name"], cd["birth_date"])
        results = list(
            Case.objects.visible_to(membership)
            .filter(person__in=persons)
            .only("reference", "state", "opened_at")
        )
        record(
            action="person.search",
            actor=membership.user_id,
            cell=membership.cell_id,
            data={"matches": len(results)},
        )
    return render(request, "cases/search.html", {"form": form, "results": results})


def _attach_targets(membership: Membership, case: Case) -> list[Case]:
    """The same person's situations of this cell that a new signalement may join (blind-index match)."""
    known = find_known_persons(case.cell_id, case.person.last_name, case.person.first_name, _birth(case))
    return list(
        Case.objects.visible_to(membership)
        .filter(person__in=known.exclude(pk=case.person_id), state__in=ATTACH_TARGETS)
        .only("reference", "state", "cell_id", "scheduled_deletion")
    )


@require_POST
def attach(request: CellRequest, pk: int) -> HttpResponse:
    """One situation per person: fold this new case's signalement into the known person's situation."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership).select_related("person"), pk=pk)
    if not can_attach_case(membership, case):
        raise deny(request, "case.attach", case)
    if archive_closed_to(membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    targets = _attach_targets(membership, case)
    form = AttachForm(request.POST, targets=targets)
    if not form.is_valid():
        messages.error(request, _("Choisissez une situation de la liste et un motif."))
        return redirect("cases:qualify", pk=case.pk)
    into = next(t for t in targets if t.pk == form.cleaned_data["into"])
    reason = form.cleaned_data["reason"]
    attached = run_service(
        request,
        lambda: case_attach(case=case, into=into, reason=reason, by=membership),
        success=_("Signalement rattaché à la situation %(ref)s.") % {"ref": into.reference},
    )
    if attached is None:
        return redirect("cases:qualify", pk=case.pk)
    return redirect("cases:detail", pk=into.pk)


@require_POST
def information(request: CellRequest, pk: int) -> HttpResponse:
    """Record that the person was informed, or why and until when informing them is deferred."""
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership).select_related("person"), pk=pk)
    if not can_record_information(membership, case):
        raise deny(request, "person.information", case)
    if archive_closed_to(membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    form = InformationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Décision d'information incomplète : corrigez les champs signalés."))
        return redirect("cases:detail", pk=case.pk)
    data = form.cleaned_data
    run_service(
        request,
        lambda: information_decide(
            person=case.person,
            status=data["status"],
            informed_on=data["informed_on"],
            method=data["method"],
            deferral_reason=data["deferral_reason"],
            review_on=data["review_on"],
            by=membership,
        ),
        success=_("Décision d'information enregistrée."),
    )
    return redirect("cases:detail", pk=case.pk)


@require_GET
def information_letter(request: CellRequest, pk: int) -> HttpResponse:
    """The printable information letter: what the cell holds, why, how long, the person's rights.

    It names no one (the address goes on the envelope): what it says holds for every person, with
    this situation's scheduled deletion date.
    """
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_record_information(membership, case):
        raise deny(request, "case.information_letter", case)
    if archive_closed_to(membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    context = {
        "case": case,
        "controller": settings.CMER_CONTROLLER,
        "controller_address": settings.CMER_CONTROLLER_ADDRESS,
        "dpo_contact": settings.CMER_DPO_CONTACT,
        "today": timezone.localdate(),
    }
    pdf = render_pdf("cases/information_letter.html", context, membership=membership)
    record(action="case.information_letter", actor=membership.user_id, cell=case.cell_id, target=case)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="lettre-information.pdf"'
    return response
