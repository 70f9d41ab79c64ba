"""Statistics pages and exports: aggregates only, small counts suppressed, every export audited."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.core.pdf import render_pdf
from cmer.core.policy import requires
from cmer.core.replica import replica_reads
from cmer.stats.aggregates import Counts, collect, completed_quarters, period_for
from cmer.stats.forms import StatsFilterForm
from cmer.stats.permissions import can_view_stats, stats_cells
from cmer.stats.report import Publication, build, csv_rows


def _publications(request: CellRequest) -> tuple[list[Publication], StatsFilterForm, bool]:
    """Read the filters (a bad value falls back to the defaults, with a message) and build.

    A completed year is one publication; the running year is one per completed quarter
    (provisional), possibly none yet. Aggregates only: read from the replica when there is one.
    """
    with replica_reads():
        return _build_publications(request)


def _build_publications(request: CellRequest) -> tuple[list[Publication], StatsFilterForm, bool]:
    membership = request.membership
    cells = stats_cells(membership)
    data = {**StatsFilterForm.defaults(), **request.GET.dict()}
    form = StatsFilterForm(data, several_cells=len(cells) > 1)
    if not form.is_valid():
        messages.warning(request, _("Filtre invalide : les valeurs par défaut sont appliquées."))
        form = StatsFilterForm(StatsFilterForm.defaults(), several_cells=len(cells) > 1)
        form.is_valid()
    year, scope = form.cleaned_data["annee"], form.cleaned_data["perimetre"]
    used = cells if scope == "all" else cells[:1]
    ids = [c.pk for c in used]
    if year == timezone.localdate().year:
        quarters = completed_quarters(year)
        return [build(collect(ids, q), used, q, scope) for q in quarters], form, True
    period = period_for(year)
    counts = collect(ids, period, quarters=True)
    quarters_by_cell = {pk: [counts[pk].quarters.get(q, Counts()) for q in range(1, 5)] for pk in ids}
    return [build(counts, used, period, scope, quarters_by_cell)], form, False


def _audit_export(request: CellRequest, action: str, form: StatsFilterForm) -> None:
    membership = request.membership
    record(
        action=action,
        actor=request.user,
        cell=membership.cell_id,
        data={"year": form.cleaned_data["annee"], "scope": form.cleaned_data["perimetre"]},
    )


@require_GET
@requires(can_view_stats, "stats.view")
def stats_index(request: CellRequest) -> HttpResponse:
    publications, form, provisional = _publications(request)
    context = {
        "publications": publications,
        "provisional": provisional,
        "year": form.cleaned_data["annee"],
        "form": form,
        "query": request.GET.urlencode(),
        "title": _("Statistiques"),
    }
    return render(request, "stats/stats_index.html", context)


@require_GET
@requires(can_view_stats, "stats.export_csv")
# An audited read: figures and their event in one transaction on the primary (cmer/core/replica.py).
@transaction.atomic
def stats_csv(request: CellRequest) -> HttpResponse:
    publications, form, _provisional = _publications(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(csv_rows(publications))
    _audit_export(request, "stats.export_csv", form)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"statistiques-{request.cell.code}-{form.cleaned_data['annee']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@requires(can_view_stats, "stats.export_pdf")
# An audited read: figures and their event in one transaction on the primary (cmer/core/replica.py).
@transaction.atomic
def annual_report_pdf(request: CellRequest) -> HttpResponse:
    publications, form, provisional = _publications(request)
    if provisional:
        # The annual report covers a completed year; the running year is read on the page.
        messages.info(request, _("Le rapport annuel porte sur une année terminée."))
        return redirect("stats:index")
    publication = publications[0]
    membership = request.membership
    pdf = render_pdf("stats/annual_report_pdf.html", {"pub": publication}, membership=membership)
    _audit_export(request, "stats.export_pdf", form)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"rapport-annuel-{membership.cell.code}-{publication.period.year}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
