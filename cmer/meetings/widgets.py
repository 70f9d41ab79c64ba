"""Dashboard widgets of meetings (registered in MeetingsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.meetings.models import Meeting
from cmer.meetings.permissions import (
    abilities,
    can_be_convened,
    can_see_my_meetings,
    can_validate_minutes,
    sees_every_meeting,
)

SHOWN = 5


def next_meeting(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    if membership is None or not can_be_convened(membership):
        return None
    qs = Meeting.objects.visible_to(membership).filter(
        ends_at__gte=timezone.now(), cancelled_at__isnull=True, minutes_validated_at__isnull=True
    )
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


def my_meetings(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    """A guest's meetings to come (date and place), so an invitation never needs a typed URL."""
    if membership is None or not can_see_my_meetings(membership):
        return None
    meetings = list(
        Meeting.objects.visible_to(membership)
        .filter(ends_at__gte=timezone.now(), cancelled_at__isnull=True)
        .order_by("starts_at")[:SHOWN]
    )
    return {"title": _("Mes réunions"), "template": "meetings/widget_my_meetings.html", "meetings": meetings}
