"""Statistics pages and exports: aggregates only, small counts suppressed, every export audited."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.core.pdf import render_pdf
from cmer.core.policy import requires
from cmer.stats.aggregates import collect, period_for
from cmer.stats.forms import StatsFilterForm
from cmer.stats.permissions import can_view_stats, stats_cells
from cmer.stats.report import Publication, build, csv_rows


def _publication(request: CellRequest) -> tuple[Publication, StatsFilterForm]:
    """Read the filters (a bad value falls back to the defaults, with a message) and build."""
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
    period = period_for(year)
    return build(collect([c.pk for c in used], period), used, period, scope), form


def _audit_export(request: CellRequest, action: str, publication: Publication) -> None:
    membership = request.membership
    record(
        action=action,
        actor=request.user,
        cell=membership.cell_id,
        data={"year": publication.period.year, "scope": publication.scope},
    )


@require_GET
@requires(can_view_stats, "stats.view")
def stats_index(request: CellRequest) -> HttpResponse:
    publication, form = _publication(request)
    return render(
        request,
        "stats/stats_index.html",
        {"pub": publication, "form": form, "query": request.GET.urlencode(), "title": _("Statistiques")},
    )


@require_GET
@requires(can_view_stats, "stats.export_csv")
def stats_csv(request: CellRequest) -> HttpResponse:
    publication, _form = _publication(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(csv_rows(publication))
    _audit_export(request, "stats.export_csv", publication)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"statistiques-{request.cell.code}-{publication.period.year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@requires(can_view_stats, "stats.export_pdf")
def annual_report_pdf(request: CellRequest) -> HttpResponse:
    publication, _form = _publication(request)
    membership = request.membership
    pdf = render_pdf("stats/annual_report_pdf.html", {"pub": publication}, membership=membership)
    _audit_export(request, "stats.export_pdf", publication)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"rapport-annuel-{membership.cell.code}-{publication.period.year}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
