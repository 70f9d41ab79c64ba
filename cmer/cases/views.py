"""Case pages: the list, the qualification queue, the case itself, closure, archive, exact search."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.cases.forms import ArchiveReasonForm, CloseForm, PersonSearchForm, QualifyForm, StateFilterForm
from cmer.cases.links import links_for
from cmer.cases.models import Case, Transition
from cmer.cases.permissions import (
    archive_window_open,
    can_archive_case,
    can_close_case,
    can_list_cases,
    can_qualify,
    can_read_archive,
    can_search_persons,
)
from cmer.cases.persons import find_known_persons
from cmer.cases.services import archive_access_grant, case_close, case_qualify, case_transition
from cmer.cases.states import State
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires

PAGE_SIZE = 50


def _audit_read(request: CellRequest, case: Case, action: str = "case.read") -> None:
    """The one read event of the request for a page showing this case's personal data."""
    record(action=action, actor=request.membership.user_id, cell=case.cell_id, target=case)


def _case_context(case: Case) -> dict[str, Any]:
    """Identity, referrals with their facts (labels of the version used), and the history.

    The referrals come through the case's reverse relation: the referrals app builds on cases,
    so cases never imports it. Observations keep their model ordering (date of the facts).
    """
    referrals = case.referrals.select_related("submitted_by__user", "catalogue_version").prefetch_related(
        "observations__indicator__domain"
    )
    transitions = Transition.objects.filter(case=case).select_related("by__user")
    return {"case": case, "person": case.person, "referrals": referrals, "transitions": transitions}


@require_GET
@requires(can_list_cases, "case.list")
def case_list(request: CellRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.membership).only(
        "reference", "state", "opened_at", "prequalification_due", "closed_at", "is_minor"
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
        .only("reference", "state", "opened_at", "prequalification_due", "is_minor")
        .order_by("prequalification_due", "pk")
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
    context["close_form"] = CloseForm() if can_close_case(membership, case) else None
    context["can_archive"] = can_archive_case(membership, case)
    context["case_links"] = links_for(membership, case)
    return render(request, "cases/detail.html", context)


@require_POST
def archive_access(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if case.state != State.ARCHIVED or not can_read_archive(membership, case):
        raise deny(request, "case.read_archive", case)
    form = ArchiveReasonForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/archive_reason.html", {"case": case, "form": form}, status=400)
    archive_access_grant(case=case, reason=form.cleaned_data["reason"], by=membership)
    return redirect("cases:detail", pk=case.pk)


@require_http_methods(["GET", "POST"])
def qualify(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    # Scope first, so another cell's case is the same 404 for everyone; then the role.
    case = get_visible_or_404(request, Case.objects.visible_to(membership).select_related("person"), pk=pk)
    if not can_qualify(membership):
        raise deny(request, "case.qualify", case)
    form = QualifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
        oriented = run_service(
            request,
            lambda: case_qualify(case=case, to_state=decision, note=note, by=membership),
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


@require_POST
def close(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_close_case(membership, case):
        raise deny(request, "case.close", case)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez un motif de clôture dans la liste."))
        return redirect("cases:detail", pk=case.pk)
    reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
    run_service(
        request,
        lambda: case_close(case=case, reason=reason, by=membership, note=note),
        success=_("Situation clôturée."),
    )
    return redirect("cases:detail", pk=case.pk)


@require_POST
def archive(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    case = get_visible_or_404(request, Case.objects.visible_to(membership), pk=pk)
    if not can_archive_case(membership, case):
        raise deny(request, "case.archive", case)
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
