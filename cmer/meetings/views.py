"""Meeting screens: list, scheduling, agenda, session with decisions, relevé de décisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.models import Membership
from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.services import TransitionError
from cmer.cases.support_services import service_choices
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.meetings import services
from cmer.meetings.forms import AgendaAddForm, ConveneForm, DecisionForm, GuestForm, MeetingForm, MoveForm
from cmer.meetings.models import AgendaItem, Meeting
from cmer.meetings.permissions import (
    abilities,
    can_list_meetings,
    can_manage_meetings,
    can_read_minutes,
    can_record_decisions,
    can_validate_minutes,
)


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    qs = Meeting.objects.visible_to(_membership(request)).select_related("cell", "minutes_validated_by__user")
    return get_visible_or_404(request, qs, pk=pk)


def _item(request: HttpRequest, pk: int) -> AgendaItem:
    meetings = Meeting.objects.visible_to(_membership(request))
    qs = AgendaItem.objects.filter(meeting__in=meetings).select_related("meeting__cell", "case")
    return get_visible_or_404(request, qs, pk=pk)


def _items(meeting: Meeting, membership: Membership):  # type: ignore[no-untyped-def]
    """The agenda as this membership may see it: a guest sees only the items they are invited to."""
    qs = (
        meeting.items.select_related("case", "decision")
        .prefetch_related(Prefetch("guests", queryset=Membership.objects.select_related("user")))
        .order_by("order", "pk")
    )
    if membership.role == Role.GUEST:
        qs = qs.filter(guests=membership)
    return qs


@require_GET
@requires(can_list_meetings, "meeting.list")
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = list(
        Meeting.objects.visible_to(_membership(request))
        .annotate(item_count=Count("items"))
        .order_by("-starts_at")
    )
    now = timezone.now()
    upcoming = [m for m in reversed(meetings) if m.ends_at >= now]
    past = [m for m in meetings if m.ends_at < now]
    return render(
        request,
        "meetings/meeting_list.html",
        {"upcoming": upcoming, "past": past, "can_manage": can_manage_meetings(_membership(request))},
    )


@require_http_methods(["GET", "POST"])
@requires(can_manage_meetings, "meeting.create")
def meeting_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    start = services.suggested_start(membership.cell)
    initial = {"starts_at": start, "ends_at": start + timedelta(hours=2), "place": ""}
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(cell=membership.cell, by=membership, **form.cleaned_data)
        except services.MeetingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Réunion planifiée. Convoquez maintenant les participants."))
            return redirect("meetings:detail", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/meeting_form.html", {"form": form, "suggested": start}, status=status)


def _agenda_context(request: HttpRequest, meeting: Meeting, **forms: Any) -> dict[str, Any]:
    membership = _membership(request)
    can = abilities(membership, meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "items": _items(meeting, membership),
        "attendees": meeting.attendees.select_related("membership__user").order_by("membership__role"),
        "can": can,
    }
    if can["manage"]:
        participants = services.cell_participants(meeting.cell)
        convenable = services.convenable_memberships(meeting.cell, participants)
        eligible = [c.membership for c in convenable if not c.reason]
        context.update(
            ineligible=[c for c in convenable if c.reason],
            convene_form=forms.get("convene_form") or ConveneForm(eligible=eligible),
            add_form=forms.get("add_form") or AgendaAddForm(candidates=services.agenda_candidates(meeting)),
            guest_choices=services.invitable_guests(meeting.cell, participants),
        )
    return context


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    return render(request, "meetings/meeting_detail.html", _agenda_context(request, meeting))


@require_POST
def meeting_convene(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = _membership(request)
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.convene", meeting)
    eligible = [c.membership for c in services.convenable_memberships(meeting.cell) if not c.reason]
    form = ConveneForm(request.POST, eligible=eligible)
    if form.is_valid():
        try:
            added = services.meeting_convene(meeting=meeting, memberships=form.memberships(), by=membership)
        except services.MeetingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("%(n)d participant(s) convoqué(s) et notifié(s).") % {"n": len(added)}
            )
        return redirect("meetings:detail", pk=meeting.pk)
    context = _agenda_context(request, meeting, convene_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = _membership(request)
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.item_add", meeting)
    form = AgendaAddForm(request.POST, candidates=services.agenda_candidates(meeting))
    if form.is_valid():
        try:
            services.agenda_add(meeting=meeting, case=form.cleaned_data["case"], by=membership)
        except services.MeetingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Situation inscrite à l'ordre du jour."))
        return redirect("meetings:detail", pk=meeting.pk)
    context = _agenda_context(request, meeting, add_form=form)
    return render(request, "meetings/meeting_detail.html", context, status=400)


def _item_change(request: HttpRequest, pk: int, action: str) -> tuple[AgendaItem, Membership]:
    item = _item(request, pk)
    membership = _membership(request)
    if not can_manage_meetings(membership):
        raise deny(request, action, item)
    return item, membership


@require_POST
def item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item, membership = _item_change(request, pk, "meeting.item_remove")
    try:
        services.agenda_remove(item=item, by=membership)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Point retiré de l'ordre du jour."))
    return redirect("meetings:detail", pk=item.meeting_id)


@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item, membership = _item_change(request, pk, "meeting.item_move")
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Sens de déplacement inconnu."))
        return redirect("meetings:detail", pk=item.meeting_id)
    try:
        services.agenda_move(item=item, up=form.cleaned_data["direction"] == "up", by=membership)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("meetings:detail", kwargs={"pk": item.meeting_id}) + f"#item-{item.pk}")


@require_POST
def item_guest(request: HttpRequest, pk: int) -> HttpResponse:
    item, membership = _item_change(request, pk, "meeting.guest_invite")
    form = GuestForm(request.POST, guests=services.invitable_guests(item.meeting.cell))
    if not form.is_valid():
        messages.error(request, _("Choisissez un intervenant ponctuel de la cellule."))
        return redirect("meetings:detail", pk=item.meeting_id)
    try:
        services.guest_invite(item=item, guest=form.membership(), by=membership)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Intervenant invité pour ce point uniquement."))
    return redirect("meetings:detail", pk=item.meeting_id)


@require_POST
def meeting_open(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = _membership(request)
    if not can_manage_meetings(membership):
        raise deny(request, "meeting.open", meeting)
    try:
        services.meeting_open(meeting=meeting, by=membership)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
        return redirect("meetings:detail", pk=meeting.pk)
    return redirect("meetings:session", pk=meeting.pk)


def _names_for(request: HttpRequest, meeting: Meeting, items: list[AgendaItem]) -> dict[int, str]:
    """Names of the persons of the items, only for an attendee entitled to read each case, during
    the meeting (opened, relevé not validated). One audit event per request when any is shown."""
    membership = _membership(request)
    in_session = meeting.opened_at is not None and meeting.minutes_validated_at is None
    if not in_session or not meeting.attendees.filter(membership=membership).exists():
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
    request: HttpRequest, meeting: Meeting, bound: DecisionForm | None = None, bound_item: int | None = None
) -> HttpResponse:
    membership = _membership(request)
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
        elif can["decide"] and meeting.opened_at and decision is None:
            form = DecisionForm(item_kind=item.kind, services=services_list, auto_id=f"i{item.pk}-%s")
        rows.append({"item": item, "decision": decision, "name": names.get(item.case_id), "form": form})
    context = {"meeting": meeting, "rows": rows, "can": can}
    return render(request, "meetings/meeting_session.html", context, status=400 if bound else 200)


@require_GET
def meeting_session(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_response(request, _meeting(request, pk))


@require_POST
def item_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    membership = _membership(request)
    if not can_record_decisions(membership):
        raise deny(request, "meeting.decide", item)
    form = DecisionForm(
        request.POST,
        item_kind=item.kind,
        services=service_choices(item.meeting.cell_id),
        auto_id=f"i{item.pk}-%s",
    )
    if form.is_valid():
        try:
            services.decision_record(item=item, by=membership, **form.cleaned_data)
        except (services.MeetingError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Décision enregistrée pour %(ref)s.") % {"ref": item.case.reference})
            return redirect(reverse("meetings:session", kwargs={"pk": item.meeting_id}) + f"#item-{item.pk}")
    return _session_response(request, _meeting(request, item.meeting_id), bound=form, bound_item=item.pk)


@require_GET
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = _membership(request)
    if not can_read_minutes(membership):
        raise deny(request, "meeting.minutes", meeting)
    items = meeting.items.select_related("case", "decision", "decision__recorded_by__user").order_by(
        "order", "pk"
    )
    context = {"meeting": meeting, "items": items, "can": abilities(membership, meeting)}
    return render(request, "meetings/meeting_minutes.html", context)


@require_POST
def minutes_validate(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    membership = _membership(request)
    if not can_validate_minutes(membership, meeting):
        raise deny(request, "meeting.minutes_validate", meeting)
    try:
        services.minutes_validate(meeting=meeting, by=membership)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Relevé de décisions validé."))
    return redirect("meetings:minutes", pk=meeting.pk)
