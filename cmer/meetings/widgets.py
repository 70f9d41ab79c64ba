"""Dashboard widgets of meetings and support actions (registered in MeetingsConfig.ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.cases.models import Action, ActionResult
from cmer.meetings.models import Meeting
from cmer.meetings.permissions import (
    abilities,
    can_be_convened,
    can_see_due_actions,
    can_validate_minutes,
    sees_every_meeting,
    sees_own_service_actions_only,
)

DUE_WITHIN_DAYS = 30
SHOWN = 5


def next_meeting(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    if membership is None or not can_be_convened(membership):
        return None
    qs = Meeting.objects.visible_to(membership).filter(ends_at__gte=timezone.now())
    if not sees_every_meeting(membership):
        # Others learn of a meeting by its convocation.
        qs = qs.filter(convened_at__isnull=False)
    meeting = qs.annotate(item_count=Count("items")).order_by("starts_at").first()
    return {
        "title": _("Prochaine réunion"),
        "template": "meetings/widget_next_meeting.html",
        "meeting": meeting,
        "can": abilities(membership, meeting),
    }


def minutes_to_validate(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    if membership is None or not can_validate_minutes(membership):
        return None
    meetings = list(
        Meeting.objects.visible_to(membership)
        .filter(opened_at__isnull=False, minutes_validated_at__isnull=True)
        .order_by("starts_at")[:SHOWN]
    )
    return {
        "title": _("Relevés de décisions à valider"),
        "template": "meetings/widget_minutes.html",
        "meetings": meetings,
    }


def actions_due(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    if membership is None or not can_see_due_actions(membership):
        return None
    today = timezone.localdate()
    qs = Action.objects.visible_to(membership).filter(
        result__in=(ActionResult.PLANNED, ActionResult.IN_PROGRESS),
        end_on__lte=today + timedelta(days=DUE_WITHIN_DAYS),
    )
    actions = list(qs.select_related("case").order_by("end_on", "pk")[: SHOWN + 1])
    own = sees_own_service_actions_only(membership)
    return {
        "title": _("Mes actions à échéance") if own else _("Actions à échéance"),
        "template": "cases/support_widget_actions.html",
        "actions": actions[:SHOWN],
        "more": len(actions) > SHOWN,
        "today": today,
        "within": DUE_WITHIN_DAYS,
    }
