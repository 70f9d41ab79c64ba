"""Meeting documents as PDF: convocation, agenda, relevé de décisions (docs/rules.md §5).

Rendering only: pseudonymous case references, never a name; each download is watermarked and
audited. The views (cmer/meetings/views.py) check who may download what (permissions.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
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
    response["Content-Disposition"] = (
        f'attachment; filename="{doc}-{meeting.cell.code}-{meeting.starts_at:%Y-%m-%d}.pdf"'
    )
    return response
