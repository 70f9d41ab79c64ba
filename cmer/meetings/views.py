"""Meeting screens: list, scheduling, agenda, session with decisions, relevé de décisions, PDFs.

Every object comes from a `visible_to` queryset through `get_visible_or_404`; every permission is
a predicate of cmer/meetings/permissions.py; refused operations come back through `run_service`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.accounts.models import Membership
from cmer.accounts.permissions import can_invite
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.permissions import can_read_archive
from cmer.cases.states import State
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.meetings import services
from cmer.meetings.forms import (
    AgendaAddForm,
    ConveneForm,
    DecisionForm,
    GuestForm,
    MeetingForm,
    MoveForm,
    OpenForm,
    UninviteForm,
)
from cmer.meetings.models import AgendaItem, ItemKind, Meeting
from cmer.meetings.pdf import meeting_pdf_response
from cmer.meetings.permissions import (
    abilities,
    can_cancel_meeting,
    can_download_agenda,
    can_download_convocation,
    can_download_minutes,
    can_list_meetings,
    can_manage_meetings,
    can_read_minutes,
    can_read_names_in_session,
    can_record_decisions,
    can_validate_minutes,
    sees_whole_agenda,
)
from cmer.support.services import service_choices
from cmer.training.models import CatalogueVersion
from cmer.training.services import bias_warnings_record, guarded_write


def _meeting(request: CellRequest, pk: int) -> Meeting:
    qs = Meeting.objects.visible_to(request.membership).select_related("cell", "minutes_validated_by__user")
    return get_visible_or_404(request, qs, pk=pk)


def _item(request: CellRequest, pk: int) -> AgendaItem:
    qs = AgendaItem.objects.visible_to(request.membership).select_related("meeting__cell", "case")
    return get_visible_or_404(request, qs, pk=pk)


def _items(meeting: Meeting, membership: Membership) -> QuerySet[AgendaItem]:
    """The agenda as this membership may see it (a guest: their own items, during the meeting)."""
    return (
        AgendaItem.objects.visible_to(membership)
        .filter(meeting=meeting)
        .select_related("case", "decision")
        .prefetch_related(Prefetch("guests", queryset=Membership.objects.select_related("user")))
        .order_by("order", "pk")
    )


def _readable_cases(membership: Membership, items: list[AgendaItem]) -> frozenset[int]:
    """The ids of the agenda's cases this membership may open, so a reference links to its page only
    then: reading a case is Case.visible_to (docs/rules.md §2: P/C the cell, M/S their scope), and
    an archived one only for whom may give a written reason. One query whatever the agenda's size."""
    cases = {item.case_id: item.case for item in items}
    visible = Case.objects.visible_to(membership).filter(pk__in=list(cases)).values_list("pk", flat=True)
    return frozenset(
        pk for pk in visible if cases[pk].state != State.ARCHIVED or can_read_archive(membership, cases[pk])
    )


@require_GET
@requires(can_list_meetings, "meeting.list")
def meeting_list(request: CellRequest) -> HttpResponse:
    meetings = list(
        Meeting.objects.visible_to(request.membership)
        .annotate(item_count=Count("items"))
        .order_by("-starts_at")
    )
    now = timezone.now()

    # A meeting is to come until it is over, validated or cancelled; then it is history.
    def to_come(m: Meeting) -> bool:
        return m.ends_at >= now and m.minutes_validated_at is None and m.cancelled_at is None

    upcoming = [m for m in reversed(meetings) if to_come(m)]
    past = [m for m in meetings if not to_come(m)]
    return render(
        request,
        "meetings/meeting_list.html",
        {"upcoming": upcoming, "past": past, "can_manage": can_manage_meetings(request.membership)},
    )


@require_http_methods(["GET", "POST"])
@requires(can_manage_meetings, "meeting.create")
def meeting_create(request: CellRequest) -> HttpResponse:
    membership = request.membership
    start = services.suggested_start(membership.cell)
    initial = {"starts_at": start, "ends_at": start + timedelta(hours=2), "place": ""}
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        meeting = run_service(
            request,
            lambda: services.meeting_schedule(cell=membership.cell, by=membership, **form.cleaned_data),
            success=_("Réunion planifiée. Convoquez maintenant les participants."),
            form=form,
        )
        if meeting is not None:
            return redirect("meetings:detail", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/meeting_form.html", {"form": form, "suggested": start}, status=status)


def _agenda_context(request: CellRequest, meeting: Meeting, **forms: Any) -> dict[str, Any]:
    membership = request.membership
    can = abilities(membership, meeting)
    # A guest outside the meeting's window sees its date and place, not who attends.
    attendees = services.attendee_rows(meeting) if can["details"] else []
    items = list(_items(meeting, membership))
    context: dict[str, Any] = {
        "meeting": meeting,
        "items": items,
        "readable_cases": _readable_cases(membership, items),
        "attendees": attendees,
        "can": can,
    }
    if can["manage"]:
        participants = services.cell_participants(meeting.cell)
        convenable = services.convenable_memberships(meeting.cell, participants)
        pending = frozenset(c.membership.pk for c in convenable if c.reason)
        # Shown as a list of references and states; item_add validates against the full rows.
        candidates = services.agenda_candidates(meeting, membership).only("reference", "state")
        first, last = services.open_window(meeting)
        openable = meeting.convened_at is not None and meeting.opened_at is None
        context.update(
            charter_pending=[c for c in convenable if c.reason],
            convened_ids={a.membership_id for a in context["attendees"]},
            convene_form=forms.get("convene_form")
            or ConveneForm(eligible=[c.membership for c in convenable], pending=pending),
            add_form=forms.get("add_form") or AgendaAddForm(candidates=candidates),
            guest_choices=services.invitable_guests(meeting.cell, participants),
            # Why the guest list may be empty: no guest in the cell, or not one has accepted the charter.
            guest_pending=services.guests_pending_charter(meeting.cell, participants),
            can_invite_to_cell=can_invite(membership),
            can_uninvite=timezone.now() < meeting.starts_at,
            open_day=openable and first <= timezone.now() <= last,
            open_form=(forms.get("open_form") or OpenForm(roll=services.attendance_roll(meeting, attendees)))
            if openable
            else None,
        )
    return context


@require_GET
def meeting_detail(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    return render(request, "meetings/meeting_detail.html", _agenda_context(request, meeting))


@require_POST
def meeting_convene(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.convene", meeting)
    eligible = [c.membership for c in services.convenable_memberships(meeting.cell)]
    form = ConveneForm(request.POST, eligible=eligible)
    if form.is_valid():
        added = run_service(
            request,
            lambda: services.meeting_convene(meeting=meeting, memberships=form.memberships(), by=membership),
        )
        if added is not None:
            messages.success(
                request,
                ngettext(
                    "%(n)d participant convoqué et notifié.",
                    "%(n)d participants convoqués et notifiés.",
                    len(added),
                )
                % {"n": len(added)},
            )
        return redirect("meetings:detail", pk=meeting.pk)
    context = _agenda_context(request, meeting, convene_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


@require_POST
def item_add(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.item_add", meeting)
    form = AgendaAddForm(request.POST, candidates=services.agenda_candidates(meeting, membership))
    if form.is_valid():
        run_service(
            request,
            lambda: services.agenda_add(meeting=meeting, case=form.cleaned_data["case"], by=membership),
            success=_("Situation inscrite à l'ordre du jour."),
        )
        return redirect("meetings:detail", pk=meeting.pk)
    context = _agenda_context(request, meeting, add_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


def _item_change(request: CellRequest, pk: int, action: str) -> AgendaItem:
    item = _item(request, pk)
    if not can_manage_meetings(request.membership):
        raise deny(request, action, item)
    return item


@require_POST
def item_remove(request: CellRequest, pk: int) -> HttpResponse:
    item = _item_change(request, pk, "meeting.item_remove")
    run_service(
        request,
        lambda: services.agenda_remove(item=item, by=request.membership),
        success=_("Point retiré de l'ordre du jour."),
    )
    return redirect("meetings:detail", pk=item.meeting_id)


@require_POST
def item_move(request: CellRequest, pk: int) -> HttpResponse:
    item = _item_change(request, pk, "meeting.item_move")
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Sens de déplacement inconnu."))
        return redirect("meetings:detail", pk=item.meeting_id)
    up = form.cleaned_data["direction"] == "up"
    run_service(request, lambda: services.agenda_move(item=item, up=up, by=request.membership))
    return redirect(reverse("meetings:detail", kwargs={"pk": item.meeting_id}) + f"#{item.anchor}")


@require_POST
def item_guest(request: CellRequest, pk: int) -> HttpResponse:
    item = _item_change(request, pk, "meeting.guest_invite")
    form = GuestForm(request.POST, guests=services.invitable_guests(item.meeting.cell))
    if not form.is_valid():
        messages.error(request, _("Choisissez un intervenant ponctuel de la cellule."))
        return redirect("meetings:detail", pk=item.meeting_id)
    run_service(
        request,
        lambda: services.guest_invite(item=item, guest=form.membership(), by=request.membership),
        success=_("Intervenant invité pour ce point uniquement."),
    )
    return redirect("meetings:detail", pk=item.meeting_id)


@require_POST
def item_uninvite(request: CellRequest, pk: int) -> HttpResponse:
    item = _item_change(request, pk, "meeting.guest_uninvite")
    form = UninviteForm(request.POST, guests=list(item.guests.all()))
    if not form.is_valid():
        messages.error(request, _("Cet intervenant n'est pas invité à ce point."))
        return redirect("meetings:detail", pk=item.meeting_id)
    run_service(
        request,
        lambda: services.guest_uninvite(item=item, guest=form.membership(), by=request.membership),
        success=_("Invitation retirée ; l'intervenant en est informé."),
    )
    return redirect("meetings:detail", pk=item.meeting_id)


@require_POST
def meeting_open(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.open", meeting)
    form = OpenForm(request.POST, roll=services.attendance_roll(meeting))
    if not form.is_valid():
        context = _agenda_context(request, meeting, open_form=form)
        return render(request, "meetings/meeting_detail.html", context, status=400)
    opened = run_service(
        request,
        lambda: services.meeting_open(meeting=meeting, attendance=form.attendance(), by=membership),
        success=_("Séance ouverte, présences enregistrées."),
    )
    if opened is None:
        return redirect("meetings:detail", pk=meeting.pk)
    return redirect("meetings:session", pk=meeting.pk)


@require_http_methods(["GET", "POST"])
def meeting_cancel(request: CellRequest, pk: int) -> HttpResponse:
    """A confirmation page first (GET), then the cancellation itself (POST): no one-click loss."""
    meeting = _meeting(request, pk)
    if not can_cancel_meeting(request.membership):
        raise deny(request, "meeting.cancel", meeting)
    if request.method == "POST":
        done = run_service(
            request,
            lambda: services.meeting_cancel(meeting=meeting, by=request.membership),
            success=_("Réunion annulée ; les participants sont notifiés."),
        )
        if done is None:
            return redirect("meetings:detail", pk=meeting.pk)
        return redirect("meetings:list")
    context = {"meeting": meeting, "can": abilities(request.membership, meeting)}
    return render(request, "meetings/meeting_cancel.html", context)


def _names_for(request: CellRequest, meeting: Meeting, items: list[AgendaItem]) -> dict[int, str]:
    """Names of the persons of the items whose case the membership may read, while the session is
    open for them. One audit event per request when any is shown."""
    membership = request.membership
    if not can_read_names_in_session(membership, meeting):
        return {}
    cases = (
        Case.objects.visible_to(membership).filter(pk__in=[i.case_id for i in items]).select_related("person")
    )
    names = {c.pk: f"{c.person.first_name} {c.person.last_name}" for c in cases}
    if names:
        record(
            action="meeting.names_read",
            actor=membership.user_id,
            cell=meeting.cell_id,
            target=meeting,
            data={"cases": len(names)},
        )
    return names


def _session_response(
    request: CellRequest, meeting: Meeting, bound: DecisionForm | None = None, bound_item: int | None = None
) -> HttpResponse:
    membership = request.membership
    items = list(_items(meeting, membership))
    can = abilities(membership, meeting)
    services_list = service_choices(meeting.cell_id) if can["decide"] else []
    names = _names_for(request, meeting, items)
    rows = []
    for item in items:
        decision = getattr(item, "decision", None)
        form = None
        if bound is not None and bound_item == item.pk:
            form = bound  # a refused decision: shown with its error, whatever the meeting's stage
        elif can["decide"] and meeting.opened_at:
            # Until the relevé is validated a recorded decision can still be corrected.
            form = DecisionForm(
                item_kind=item.kind, services=services_list, decision=decision, auto_id=f"i{item.pk}-%s"
            )
        rows.append({"item": item, "decision": decision, "name": names.get(item.case_id), "form": form})
    # The official caveats wherever indicators are read (docs/indicator-catalogue.md), the session included.
    version = CatalogueVersion.objects.current()
    caveats = list(version.caveats.all()) if version and rows else []
    context = {
        "meeting": meeting,
        "rows": rows,
        "can": can,
        "caveats": caveats,
        "readable_cases": _readable_cases(membership, items),
    }
    return render(request, "meetings/meeting_session.html", context, status=400 if bound else 200)


@require_GET
def meeting_session(request: CellRequest, pk: int) -> HttpResponse:
    return _session_response(request, _meeting(request, pk))


@require_POST
def item_decide(request: CellRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    membership = request.membership
    if not can_record_decisions(membership):
        raise deny(request, "meeting.decide", item)
    form = DecisionForm(
        request.POST,
        item_kind=item.kind,
        services=service_choices(item.meeting.cell_id),
        auto_id=f"i{item.pk}-%s",
    )
    valid = form.is_valid()
    bias_warnings_record(forms=[form])
    if valid:
        decision = run_service(
            request,
            lambda: guarded_write(
                forms=[form],
                cell=membership.cell_id,
                write=lambda: services.decision_record(item=item, by=membership, **form.cleaned_data),
            ),
            success=_(
                "Décision enregistrée pour %(ref)s ; elle s'appliquera à la situation quand le président "
                "validera le relevé."
            )
            % {"ref": item.case.reference},
            form=form,
        )
        if decision is not None:
            return redirect(reverse("meetings:session", kwargs={"pk": item.meeting_id}) + f"#{item.anchor}")
    return _session_response(request, _meeting(request, item.meeting_id), bound=form, bound_item=item.pk)


@require_GET
def meeting_minutes(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_read_minutes(membership):
        raise deny(request, "meeting.minutes", meeting)
    items = list(
        AgendaItem.objects.visible_to(membership)
        .filter(meeting=meeting)
        .select_related("case", "decision", "decision__recorded_by__user")
        .order_by("order", "pk")
    )
    context = {
        "meeting": meeting,
        "items": items,
        "readable_cases": _readable_cases(membership, items),
        "can": abilities(membership, meeting),
    }
    return render(request, "meetings/meeting_minutes.html", context)


@require_POST
def minutes_validate(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not can_validate_minutes(request.membership, meeting):
        raise deny(request, "meeting.minutes_validate", meeting)
    run_service(
        request,
        lambda: services.minutes_validate(meeting=meeting, by=request.membership),
        success=_("Relevé de décisions validé : les décisions sont appliquées aux situations."),
    )
    return redirect("meetings:minutes", pk=meeting.pk)


# PDF documents (rendered by cmer/meetings/pdf.py).


@require_GET
def convocation_pdf(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if not can_download_convocation(request.membership, meeting):
        raise deny(request, "meeting.export_convocation", meeting)
    # Counts by kind only: the convocation never lists a reference.
    # A guest's copy: the date and place only.
    kinds = (
        dict(meeting.items.values_list("kind").annotate(n=Count("pk")).order_by())
        if sees_whole_agenda(request.membership)
        else {}
    )
    counts = [(ItemKind(k).label, n) for k, n in kinds.items()]
    context = {
        "item_counts": counts,
        "item_total": sum(kinds.values()),
        # The convened only: a guest is an attendee for their item, invited, not convened (§5).
        "convened": len(services.attendance_roll(meeting)),
    }
    return meeting_pdf_response(request, meeting, "convocation", "meetings/pdf_convocation.html", context)


@require_GET
def agenda_pdf(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_download_agenda(membership, meeting):
        raise deny(request, "meeting.export_agenda", meeting)
    items = (
        AgendaItem.objects.visible_to(membership)
        .filter(meeting=meeting)
        .select_related("case")
        .order_by("order", "pk")
    )
    context = {"items": list(items), "guest_copy": not sees_whole_agenda(membership)}
    return meeting_pdf_response(request, meeting, "agenda", "meetings/pdf_agenda.html", context)


@require_GET
def minutes_pdf(request: CellRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = request.membership
    if not can_download_minutes(membership, meeting):
        raise deny(request, "meeting.export_minutes", meeting)
    items = (
        AgendaItem.objects.visible_to(membership)
        .filter(meeting=meeting)
        .select_related("case", "decision")
        .order_by("order", "pk")
    )
    return meeting_pdf_response(
        request, meeting, "minutes", "meetings/pdf_minutes.html", {"items": list(items)}
    )
