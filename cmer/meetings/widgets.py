"""Dashboard widgets of meetings and support actions (registered in MeetingsConfig.ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.roles import Role
from cmer.cases.models import Action, ActionResult
from cmer.meetings.models import Meeting
from cmer.meetings.permissions import CONVENABLE

DUE_WITHIN_DAYS = 30
SHOWN = 5


def next_meeting(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if membership is None or membership.role not in CONVENABLE:
        return None
    qs = Meeting.objects.visible_to(membership).filter(ends_at__gte=timezone.now())
    if membership.role not in (Role.PRESIDENT, Role.COORDINATOR):
        qs = qs.filter(convened_at__isnull=False)
    meeting = qs.annotate(item_count=Count("items")).order_by("starts_at").first()
    return {
        "title": _("Prochaine réunion"),
        "template": "meetings/widget_next_meeting.html",
        "meeting": meeting,
    }


def minutes_to_validate(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if membership is None or membership.role != Role.PRESIDENT:
        return None
    meetings = list(
        Meeting.objects.filter(
            cell_id=membership.cell_id, opened_at__isnull=False, minutes_validated_at__isnull=True
        ).order_by("starts_at")[:SHOWN]
    )
    return {
        "title": _("Relevés de décisions à valider"),
        "template": "meetings/widget_minutes.html",
        "meetings": meetings,
    }


def actions_due(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if membership is None or membership.role not in (Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER):
        return None
    today = timezone.localdate()
    qs = Action.objects.visible_to(membership).filter(
        result__in=(ActionResult.PLANNED, ActionResult.IN_PROGRESS),
        end_on__lte=today + timedelta(days=DUE_WITHIN_DAYS),
    )
    actions = list(qs.select_related("case").order_by("end_on", "pk")[: SHOWN + 1])
    own = membership.role != Role.COORDINATOR
    return {
        "title": _("Mes actions à échéance") if own else _("Actions à échéance"),
        "template": "cases/support_widget_actions.html",
        "actions": actions[:SHOWN],
        "more": len(actions) > SHOWN,
        "today": today,
        "within": DUE_WITHIN_DAYS,
    }
