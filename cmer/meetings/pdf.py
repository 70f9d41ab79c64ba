"""Meeting documents as PDF: convocation, agenda, relevé de décisions (docs/rules.md §5).

Pseudonymous case references only, never a name; each download is watermarked and audited.
The URLs are declared in cmer/stats/urls.py with the other PDF exports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.core.pdf import render_pdf
from cmer.core.policy import deny, get_visible_or_404
from cmer.meetings.models import AgendaItem, Attendee, ItemKind, Meeting

if TYPE_CHECKING:
    from cmer.accounts.models import Membership

MANAGERS = (Role.PRESIDENT, Role.COORDINATOR)


def _convened(membership: Membership, meeting: Meeting) -> bool:
    return Attendee.objects.filter(meeting=meeting, membership=membership).exists()


def can_download_convocation(membership: Membership | None, meeting: Meeting) -> bool:
    """The president, the coordinator, and anyone convened to the meeting (guests included)."""
    if membership is None or membership.cell_id != meeting.cell_id:
        return False
    return membership.role in MANAGERS or _convened(membership, meeting)


def can_download_agenda(membership: Membership | None, meeting: Meeting) -> bool:
    """Same as the convocation; a guest's copy lists only the items they are invited to."""
    return can_download_convocation(membership, meeting)


def can_download_minutes(membership: Membership | None, meeting: Meeting) -> bool:
    """The relevé de décisions: president and coordinator only."""
    return membership is not None and membership.cell_id == meeting.cell_id and membership.role in MANAGERS


def _meeting(request: HttpRequest, pk: int, predicate, action: str) -> Meeting:  # type: ignore[no-untyped-def]
    membership = request.membership  # type: ignore[attr-defined]
    meeting = get_visible_or_404(
        request, Meeting.objects.visible_to(membership).select_related("cell"), pk=pk
    )
    if not predicate(membership, meeting):
        raise deny(request, action, meeting)
    return meeting


def _pdf_response(
    request: HttpRequest, meeting: Meeting, doc: str, template: str, context: dict
) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pdf = render_pdf(template, {"meeting": meeting, **context}, membership=membership)
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


@require_GET
def convocation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, can_download_convocation, "meeting.export_convocation")
    kinds = dict(meeting.items.values_list("kind").annotate(n=Count("pk")).order_by())
    counts = [(ItemKind(k).label, n) for k, n in kinds.items()]
    convened = meeting.attendees.count()
    return _pdf_response(
        request,
        meeting,
        "convocation",
        "meetings/pdf_convocation.html",
        {"item_counts": counts, "item_total": sum(kinds.values()), "convened": convened},
    )


@require_GET
def agenda_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, can_download_agenda, "meeting.export_agenda")
    membership = request.membership  # type: ignore[attr-defined]
    items = AgendaItem.objects.filter(meeting=meeting).select_related("case").order_by("order", "pk")
    if membership.role == Role.GUEST:
        items = items.filter(guests=membership)
    return _pdf_response(
        request,
        meeting,
        "agenda",
        "meetings/pdf_agenda.html",
        {"items": list(items), "guest_copy": membership.role == Role.GUEST},
    )


@require_GET
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, can_download_minutes, "meeting.export_minutes")
    items = (
        AgendaItem.objects.filter(meeting=meeting).select_related("case", "decision").order_by("order", "pk")
    )
    return _pdf_response(request, meeting, "minutes", "meetings/pdf_minutes.html", {"items": list(items)})
