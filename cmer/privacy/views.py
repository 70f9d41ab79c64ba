"""The DPO console, the retention policy, rights requests and the coordinator's purge (docs/rules.md §2, §8, §9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.accounts.models import Cell
from cmer.audit.labels import codes_like
from cmer.audit.models import AuditEvent
from cmer.audit.services import record
from cmer.cases.information import information_due
from cmer.cases.models import ArchiveAccess, Case
from cmer.cases.permissions import archive_closed_to
from cmer.cases.persons import find_known_persons
from cmer.core.errors import run_service
from cmer.core.french import format_date
from cmer.core.pdf import render_pdf
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.core.replica import replica_reads
from cmer.privacy import services
from cmer.privacy.alerts import alerts_for, case_reads_threshold
from cmer.privacy.documents import Document, register_document
from cmer.privacy.dpia import dpia_document
from cmer.privacy.forms import (
    AuditSearchForm,
    EraseForm,
    PurgeForm,
    RectifyForm,
    RetentionPolicyForm,
    RightsRequestForm,
    RightsUpdateForm,
    SubjectForm,
)
from cmer.privacy.models import YOUNG_AGE_LIMIT, PurgeReport, RightsRequest, RightsStatus
from cmer.privacy.permissions import (
    can_edit_retention,
    can_erase_person,
    can_extract_access,
    can_rectify_person,
    can_run_purge,
    can_see_destructions_coming,
    can_use_dpo_console,
    can_validate_retention,
    can_view_retention,
)
from cmer.privacy.purge import KIND_LABELS, purge_person, purge_run, restrict_person
from cmer.privacy.retention import audit_retention_statement, policy_for, policy_pending, stored_policy_for
from cmer.privacy.rights import IDENTITY_FIELDS, access_extract, person_rectify
from cmer.privacy.scopes import accounts_visible_to, audit_events_visible_to, charter_acceptances_visible_to
from cmer.privacy.trail import account_choices, account_names, describe
from cmer.referrals.models import Observation
from cmer.training.services import bias_warnings_record, guarded_write

PAGE_SIZE = 50
ALERT_DAYS = 30
DOCUMENT_FORMATS = ("html", "md", "pdf")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@require_GET
@requires(can_use_dpo_console, "dpo.console")
def dpo_home(request: CellRequest) -> HttpResponse:
    cell, membership = request.cell, request.membership
    now = timezone.now()
    alerts = alerts_for(cell.pk, since=now - dt.timedelta(days=ALERT_DAYS), until=now)
    open_requests = RightsRequest.objects.visible_to(membership).exclude(status=RightsStatus.CLOSED)
    names, outsider = account_names(membership) if alerts else {}, _("Compte extérieur à la cellule")
    context = {
        # Each alert names the account's person and role, never its id (one query for all).
        "alerts": [(a, names.get(a.actor_id, outsider)) for a in alerts[:100]],
        "alert_days": ALERT_DAYS,
        "threshold": case_reads_threshold(),
        "reports": PurgeReport.objects.visible_to(membership)[:5],
        "policy": policy_for(cell.pk),
        "open_requests": open_requests.count(),
        "information_due": len(information_due(cell.pk)),
    }
    return render(request, "privacy/dpo_home.html", context)


def _first_seq_at(moment: dt.datetime) -> int | None:
    """The first event at or after `moment`, found through the created_at index."""
    return (
        AuditEvent.objects.filter(created_at__gte=moment)
        .order_by("created_at", "seq")
        .values_list("seq", flat=True)
        .first()
    )


def _search(events: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    if data.get("actor"):
        events = events.filter(actor_id=data["actor"])
    action = data.get("action") or ""
    if action.endswith("."):
        events = events.filter(action__startswith=action)
    elif action:
        # One option of the select stands for every code under its label (refused and done).
        events = events.filter(action__in=codes_like(action))
    if data.get("target_type"):
        events = events.filter(target_type=data["target_type"])
    if data.get("target_id"):
        events = events.filter(target_id=data["target_id"])
    if data.get("outcome"):
        events = events.filter(outcome=data["outcome"])
    # A period becomes a seq range (record() stamps the time under the chain lock, so seq order is
    # time order): the search then stays on the (cell_id, seq) index whatever the filters.
    if data.get("date_from"):
        first = _first_seq_at(_day_start(data["date_from"]))
        events = events.filter(seq__gte=first) if first else events.none()
    if data.get("date_to"):
        after = _first_seq_at(_day_start(data["date_to"] + dt.timedelta(days=1)))
        if after:
            events = events.filter(seq__lt=after)
    if data.get("before"):
        events = events.filter(seq__lt=data["before"])
    return events.order_by("-seq")


@require_GET
@requires(can_use_dpo_console, "dpo.audit_search")
def audit_search(request: CellRequest) -> HttpResponse:
    """Keyset pagination on seq: each page costs the same however deep, on millions of events."""
    cell = request.cell
    membership = request.membership
    names = account_names(membership)
    form = AuditSearchForm(request.GET or None, accounts=account_choices(names))
    events: list[AuditEvent] = []
    next_query = ""
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Filtres invalides : corrigez les champs signalés."))
    else:
        data = form.cleaned_data if form.is_bound else {}
        # The search reads from the replica when there is one (cmer/core/replica.py); the event
        # below is written on the primary.
        with replica_reads():
            events = list(_search(audit_events_visible_to(request.membership), data)[: PAGE_SIZE + 1])
        if len(events) > PAGE_SIZE:
            events = events[:PAGE_SIZE]
            params = {k: str(v) for k, v in request.GET.items() if k != "before" and v}
            next_query = urlencode({**params, "before": str(events[-1].seq)})
    record(action="dpo.audit_search", actor=request.user, cell=cell.pk)
    context = {
        "form": form,
        "events": events,
        "rows": describe(events, membership, names),
        "next_query": next_query,
    }
    return render(request, "privacy/audit_search.html", context)


@require_GET
@requires(can_use_dpo_console, "dpo.charters")
def charter_acceptances(request: CellRequest) -> HttpResponse:
    cell = request.cell
    rows = (
        charter_acceptances_visible_to(request.membership)
        .select_related("membership__user", "charter")
        .order_by("-accepted_at")[:500]
    )
    record(action="dpo.charters_read", actor=request.user, cell=cell.pk)
    return render(request, "privacy/charters.html", {"rows": rows})


@require_GET
@requires(can_use_dpo_console, "dpo.accounts")
def accounts(request: CellRequest) -> HttpResponse:
    cell = request.cell
    rows = (
        accounts_visible_to(request.membership)
        .select_related("user")
        .order_by("end_date", "role", "user__last_name")
    )
    record(action="dpo.accounts_read", actor=request.user, cell=cell.pk)
    return render(request, "privacy/accounts.html", {"rows": rows, "today": timezone.localdate()})


@require_GET
@requires(can_use_dpo_console, "dpo.purge_reports")
def purge_reports(request: CellRequest) -> HttpResponse:
    reports = PurgeReport.objects.visible_to(request.membership)[:200]
    return render(request, "privacy/purge_reports.html", {"reports": reports})


@require_GET
def purge_report(request: CellRequest, pk: int) -> HttpResponse:
    report = get_visible_or_404(request, PurgeReport.objects.visible_to(request.membership), pk=pk)
    counts = [(KIND_LABELS.get(code, code), code, n) for code, n in sorted(report.counts.items())]
    return render(request, "privacy/purge_report.html", {"report": report, "counts": counts})


def _document(request: CellRequest, build: Callable[[Cell], Document], fmt: str) -> HttpResponse:
    """One GDPR document of the current cell, as a page (html) or a download (md, pdf)."""
    if fmt not in DOCUMENT_FORMATS:
        raise Http404
    doc = build(request.cell)
    record(action=f"dpo.document_{doc.slug}", actor=request.user, cell=doc.cell.pk, data={"format": fmt})
    filename = f"{doc.slug}-{doc.cell.code}-{slugify(format_date(timezone.localdate()))}"
    if fmt == "md":
        text = render_to_string("privacy/document.md", {"doc": doc})
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    elif fmt == "pdf":
        pdf = render_pdf("privacy/document_pdf.html", {"doc": doc}, membership=request.membership)
        response = HttpResponse(pdf, content_type="application/pdf")
    else:
        return render(request, "privacy/document.html", {"doc": doc})
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


@require_GET
@requires(can_use_dpo_console, "dpo.register")
def register(request: CellRequest, fmt: str) -> HttpResponse:
    """The art. 30 register entry of the cell, generated from the live configuration."""
    return _document(request, register_document, fmt)


@require_GET
@requires(can_use_dpo_console, "dpo.dpia")
def dpia(request: CellRequest, fmt: str) -> HttpResponse:
    """The cell's data protection impact assessment (DPIA), generated from the live configuration."""
    return _document(request, dpia_document, fmt)


def _rights_page(request: CellRequest, form: RightsRequestForm, status: int = 200) -> HttpResponse:
    requests = RightsRequest.objects.visible_to(request.membership)
    # One small form per open request; distinct ids keep the page valid (RGAA: unique ids).
    rows = [
        (
            item,
            RightsUpdateForm(auto_id=f"req{item.pk}_%s", initial={"status": item.status}),
            SubjectForm(auto_id=f"subject{item.pk}_%s") if item.status != RightsStatus.CLOSED else None,
        )
        for item in requests
    ]
    context = {"rows": rows, "form": form, "today": timezone.localdate()}
    return render(request, "privacy/rights.html", context, status=status)


@require_GET
@requires(can_use_dpo_console, "rights.list")
def rights(request: CellRequest) -> HttpResponse:
    return _rights_page(request, RightsRequestForm())


@require_POST
@requires(can_use_dpo_console, "rights.create")
def rights_create(request: CellRequest) -> HttpResponse:
    form = RightsRequestForm(request.POST)
    if form.is_valid():
        created = run_service(
            request,
            lambda: services.rights_request_create(
                cell=request.cell, by=request.membership, **form.cleaned_data
            ),
            success=_("Demande enregistrée."),
            form=form,
        )
        if created is not None:
            return redirect("privacy:rights")
    return _rights_page(request, form, status=400)


@require_POST
def rights_update(request: CellRequest, pk: int) -> HttpResponse:
    item = get_visible_or_404(request, RightsRequest.objects.visible_to(request.membership), pk=pk)
    form = RightsUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Mise à jour refusée : indiquez la suite donnée pour clore la demande."))
        return redirect("privacy:rights")
    run_service(
        request,
        lambda: services.rights_request_update(request=item, by=request.membership, **form.cleaned_data),
        success=_("Demande mise à jour."),
    )
    return redirect("privacy:rights")


@require_GET
@requires(can_view_retention, "retention.view")
def retention(request: CellRequest) -> HttpResponse:
    membership = request.membership
    stored = stored_policy_for(membership.cell_id)
    context = {
        "policy": policy_for(membership.cell_id),
        "audit_applied": audit_retention_statement(membership.cell_id),
        "pending": stored if policy_pending(membership.cell_id) else None,
        "young_age_default": YOUNG_AGE_LIMIT,
        "form": RetentionPolicyForm(instance=stored) if can_edit_retention(membership) else None,
        "can_validate": can_validate_retention(membership),
        "purge_form": PurgeForm() if can_run_purge(membership) else None,
    }
    return render(request, "privacy/retention.html", context)


@require_POST
@requires(can_edit_retention, "retention.policy_update")
def retention_edit(request: CellRequest) -> HttpResponse:
    membership = request.membership
    form = RetentionPolicyForm(request.POST, instance=stored_policy_for(membership.cell_id))
    if not form.is_valid():
        context = {
            "policy": policy_for(membership.cell_id),
            "audit_applied": audit_retention_statement(membership.cell_id),
            "young_age_default": YOUNG_AGE_LIMIT,
            "form": form,
            "purge_form": PurgeForm(),
        }
        return render(request, "privacy/retention.html", context, status=400)
    services.policy_update(cell=membership.cell, values=form.cleaned_data, by=membership)
    messages.success(request, _("Politique de conservation enregistrée ; elle doit être validée par le DPO."))
    return redirect("privacy:retention")


@require_POST
@requires(can_validate_retention, "retention.policy_validate")
def retention_validate(request: CellRequest) -> HttpResponse:
    membership = request.membership
    run_service(
        request,
        lambda: services.policy_validate(cell=membership.cell, by=membership),
        success=_("Politique de conservation validée."),
    )
    return redirect("privacy:retention")


@require_POST
@requires(can_run_purge, "purge.start")
def purge_start(request: CellRequest) -> HttpResponse:
    """The coordinator previews or runs the cell's purge; the detailed report goes to the DPO."""
    membership = request.membership
    form = PurgeForm(request.POST)
    wet = form.is_valid() and form.cleaned_data["wet_run"]
    report = purge_run(cell=membership.cell, wet_run=wet, trigger="web", by=membership)
    counts = report.counts
    destroyed, archived = counts.get("cases.Case", 0), counts.get("archived", 0)
    text = "{} : {}, {}.".format(
        _("Purge exécutée") if wet else _("Simulation"),
        ngettext(
            "%(n)d situation à détruire ou détruite", "%(n)d situations à détruire ou détruites", destroyed
        )
        % {"n": destroyed},
        ngettext("%(n)d archivée", "%(n)d archivées", archived) % {"n": archived},
    )
    messages.success(request, text)
    return redirect("privacy:retention")


def _rights_text(open_count: int, due: int) -> str:
    if not open_count:
        return _("Aucune demande de droits ouverte.")
    text = ngettext("%(n)d demande de droits ouverte", "%(n)d demandes de droits ouvertes", open_count) % {
        "n": open_count
    }
    if due:
        text += ngettext(
            ", dont %(n)d à échéance sous 7 jours", ", dont %(n)d à échéance sous 7 jours", due
        ) % {"n": due}
    return text + "."


def dashboard_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """DPO: open rights requests; coordinator and president: destructions coming. Counts only,
    with the links to the pages where each goes on from there."""
    today = timezone.localdate()
    pending = (
        " "
        + _(
            "Une modification de la politique de conservation attend la validation du DPO : "
            "d'ici là, la purge applique la dernière politique validée."
        )
        if policy_pending(membership.cell_id)
        else ""
    )
    if can_use_dpo_console(membership):
        open_requests = RightsRequest.objects.visible_to(membership).exclude(status=RightsStatus.CLOSED)
        due = open_requests.filter(deadline__lte=today + dt.timedelta(days=7)).aggregate(n=Count("pk"))["n"]
        uninformed = len(information_due(membership.cell_id, today))
        requests_text = _rights_text(open_requests.count(), due)
        information_text = (
            ngettext(
                "%(n)s personne sans décision d'information valable.",
                "%(n)s personnes sans décision d'information valable.",
                uninformed,
            )
            % {"n": uninformed}
            if uninformed
            else ""
        )
        now = timezone.now()
        unusual = len(alerts_for(membership.cell_id, since=now - dt.timedelta(days=ALERT_DAYS), until=now))
        alerts_text = (
            ngettext(
                "%(n)d accès inhabituel sur les %(days)d derniers jours.",
                "%(n)d accès inhabituels sur les %(days)d derniers jours.",
                unusual,
            )
            if unusual
            else _("Aucun accès inhabituel sur les %(days)d derniers jours.")
        ) % {"n": unusual, "days": ALERT_DAYS}
        return {
            "title": _("Protection des données"),
            "template": "privacy/widget.html",
            "text": " ".join(t for t in (requests_text, information_text, alerts_text) if t) + pending,
            "dpo": True,
            "uninformed": uninformed,
        }
    if can_see_destructions_coming(membership):
        soon = (
            Case.objects.visible_to(membership)
            .filter(scheduled_deletion__lte=today + dt.timedelta(days=30))
            .count()
        )
        return {
            "title": _("Conservation"),
            "template": "privacy/widget.html",
            "text": (
                ngettext(
                    "%(n)d situation sera détruite par la purge dans les 30 jours.",
                    "%(n)d situations seront détruites par la purge dans les 30 jours.",
                    soon,
                )
                % {"n": soon}
                if soon
                else _("Aucune situation à détruire par la purge dans les 30 jours.")
            )
            + pending,
        }
    return None


@require_POST
def rights_extract(request: CellRequest, pk: int) -> HttpResponse:
    """The access extract (GDPR art. 15) of the person a request is about, as a watermarked PDF."""
    membership = request.membership
    item = get_visible_or_404(request, RightsRequest.objects.visible_to(membership), pk=pk)
    if not can_extract_access(membership):
        raise deny(request, "rights.access_extract", item)
    form = SubjectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le nom, le prénom et la date de naissance exacts."))
        return redirect("privacy:rights")
    cd = form.cleaned_data
    persons = list(find_known_persons(request.cell, cd["last_name"], cd["first_name"], cd["birth_date"]))
    extract = access_extract(persons)
    cases = sum(len(extracts) for _person, extracts in extract)
    record(
        action="rights.access_extract",
        actor=membership.user_id,
        cell=request.cell.pk,
        target=item,
        data={"persons": len(persons), "cases": cases},
    )
    if not persons:
        messages.info(request, _("Aucune donnée n'est traitée sur cette personne dans la cellule."))
        return redirect("privacy:rights")
    context = {"extract": extract, "item": item, "today": timezone.localdate()}
    pdf = render_pdf("privacy/access_extract.html", context, membership=membership)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="extrait-acces-{item.pk}.pdf"'
    return response


def _case_for_rights(request: CellRequest, pk: int, allowed: Callable[[Any], bool], action: str) -> Case:
    case = get_visible_or_404(
        request, Case.objects.visible_to(request.membership).select_related("person"), pk=pk
    )
    if not allowed(request.membership):
        raise deny(request, action, case)
    return case


@require_http_methods(["GET", "POST"])
def rectify(request: CellRequest, pk: int) -> HttpResponse:
    """Correct the identity and facts of the person of a case (GDPR art. 16)."""
    case = _case_for_rights(request, pk, can_rectify_person, "person.rectify")
    if archive_closed_to(request.membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    person = case.person
    observations = list(
        Observation.objects.filter(referral__person=person)
        .select_related("referral")
        .order_by("observed_on", "pk")
    )
    initial = {name: getattr(person, name) for name in IDENTITY_FIELDS}
    form = RectifyForm(request.POST or None, initial=initial, observations=observations)
    valid = request.method == "POST" and form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        done = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=case.cell_id,
                write=lambda: person_rectify(
                    person=person,
                    values=form.identity(),
                    facts=form.facts(),
                    reason=form.cleaned_data["reason"],
                    by=request.membership,
                ),
                target=lambda _result: case,
            ),
            form=form,
        )
        if done is not None or not form.errors:
            messages.success(request, _("Rectification enregistrée.") if done else _("Aucune modification."))
            return redirect("cases:detail", pk=case.pk)
    record(action="case.read", actor=request.membership.user_id, cell=case.cell_id, target=case)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/rectify.html", {"case": case, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def erase(request: CellRequest, pk: int) -> HttpResponse:
    """Erase the person of a case and all their situations (GDPR art. 17), through the purge."""
    case = _case_for_rights(request, pk, can_erase_person, "rights.erasure")
    if archive_closed_to(request.membership, case):
        return redirect("cases:detail", pk=case.pk)  # which asks for the written reason first
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["mode"] == "restriction":
            restricted = run_service(
                request, lambda: restrict_person(person=case.person, by=request.membership)
            )
            if restricted is not None:
                n = restricted.counts.get("archived", 0)
                messages.success(
                    request,
                    ngettext(
                        "Traitement limité : %(n)s situation archivée. Le rapport est transmis au DPO.",
                        "Traitement limité : %(n)s situations archivées. Le rapport est transmis au DPO.",
                        n,
                    )
                    % {"n": n},
                )
                return redirect("cases:list")
        else:
            report = run_service(request, lambda: purge_person(person=case.person, by=request.membership))
            if report is not None:
                n = report.counts.get("cases.Case", 0)
                messages.success(
                    request,
                    ngettext(
                        "Effacement réalisé : %(n)s situation détruite. Le rapport est transmis au DPO.",
                        "Effacement réalisé : %(n)s situations détruites. Le rapport est transmis au DPO.",
                        n,
                    )
                    % {"n": n},
                )
                return redirect("cases:list")
    count = Case.objects.visible_to(request.membership).filter(person_id=case.person_id).count()
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/erase.html", {"case": case, "form": form, "count": count}, status=status)


@require_GET
@requires(can_use_dpo_console, "dpo.information_due")
def information_due_list(request: CellRequest) -> HttpResponse:
    """Persons never decided beyond the set time, and deferrals to re-examine (pseudonymous references)."""
    rows = information_due(request.cell.pk)
    record(action="dpo.information_due", actor=request.user, cell=request.cell.pk)
    return render(
        request, "privacy/information_due.html", {"rows": rows, "days": settings.CMER_INFORMATION_DAYS}
    )


@require_GET
@requires(can_use_dpo_console, "dpo.archive_reasons")
def archive_reasons(request: CellRequest) -> HttpResponse:
    """The written reasons given to open archived situations: who, when, which case, why."""
    rows = (
        ArchiveAccess.objects.filter(case__cell_id=request.cell.pk)
        .select_related("case", "by__user")
        .order_by("-at")[:500]
    )
    record(action="dpo.archive_reasons", actor=request.user, cell=request.cell.pk)
    return render(request, "privacy/archive_reasons.html", {"rows": rows})
