"""Meetings and support plans for tests, built on the shared case factories."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cmer.cases.models import Action, SupportPlan
from cmer.cases.states import State
from cmer.meetings.models import AgendaItem, Attendee, ItemKind, Meeting
from tests.factories import make_case
from tests.personas import CellWorld

CONVENED_ROLES = ("president", "coordinator", "member", "state_member")


def make_meeting(
    cw: CellWorld,
    *,
    convened: bool = True,
    opened: bool = False,
    validated: bool = False,
    in_window: bool = True,
    roles: tuple[str, ...] = CONVENED_ROLES,
) -> Meeting:
    now = timezone.now()
    start = now - timedelta(hours=1) if in_window else now + timedelta(days=7)
    meeting = Meeting.objects.create(
        cell=cw.cell, starts_at=start, ends_at=start + timedelta(hours=3), place="Salle du conseil"
    )
    if convened:
        meeting.convened_at = now - timedelta(days=3)
        for role in roles:
            Attendee.objects.create(meeting=meeting, membership=cw.members[role])
    if opened:
        meeting.opened_at = now
    if validated:
        meeting.minutes_validated_at = now
        meeting.minutes_validated_by = cw.members["president"]
    meeting.save()
    return meeting


def make_item(
    cw: CellWorld,
    meeting: Meeting | None = None,
    *,
    state: str = State.TO_REVIEW,
    guest: bool = True,
    **case_kw,
) -> AgendaItem:
    meeting = meeting or make_meeting(cw)
    case = make_case(cw, state, **case_kw)
    kind = {
        State.TO_REVIEW: ItemKind.REVIEW,
        State.WATCH: ItemKind.WATCH,
        State.SUPPORT: ItemKind.SUPPORT_REVIEW,
    }[state]
    order = meeting.items.count() + 1
    item = AgendaItem.objects.create(meeting=meeting, case=case, kind=kind, order=order)
    if guest:
        Attendee.objects.get_or_create(meeting=meeting, membership=cw.members["guest"])
        item.guests.add(cw.members["guest"])
    return item


def make_plan(cw: CellWorld, *, services: tuple[str, ...] = ("svc-member",), **case_kw) -> SupportPlan:
    case = make_case(cw, State.SUPPORT, **case_kw)
    today = timezone.localdate()
    plan = SupportPlan.objects.create(case=case, started_on=today, consent_on=today)
    for service in services:
        Action.objects.create(
            case=case,
            plan=plan,
            service=service,
            title="Rendez-vous mission locale",
            start_on=today,
            end_on=today + timedelta(days=10),
        )
    return plan


def make_action(cw: CellWorld, service: str = "svc-member") -> Action:
    return make_plan(cw, services=(service,)).actions.get()
