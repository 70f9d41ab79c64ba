"""Meeting documents as PDF: convocation, agenda, relevé de décisions (docs/rules.md §5).

Rendering only: pseudonymous case references, never a name; each download is watermarked and
audited. The views (cmer/meetings/views.py) check who may download what (permissions.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.core.french import format_date
from cmer.core.pdf import render_pdf
from cmer.meetings.models import Meeting


def meeting_pdf_response(
    request: CellRequest, meeting: Meeting, doc: str, template: str, context: dict[str, Any]
) -> HttpResponse:
    """Render `template` for `meeting`, audit the export, and answer it as an attachment."""
    pdf = render_pdf(template, {"meeting": meeting, **context}, membership=request.membership)
    record(
        action=f"meeting.export_{doc}",
        actor=request.user,
        cell=meeting.cell_id,
        target=meeting,
        data={"doc": doc},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(meeting, doc)}"'
    return response


# French file names: what a coordinator files away (« releve-MIR-5-decembre-2026.pdf »).
FILE_NAMES = {"convocation": "convocation", "agenda": "ordre-du-jour", "minutes": "releve"}


def pdf_filename(meeting: Meeting, doc: str) -> str:
    return f"{FILE_NAMES[doc]}-{meeting.cell.code}-{slugify(format_date(meeting.starts_at))}.pdf"
