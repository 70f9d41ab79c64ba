"""Dashboard widget of the qualification queue: one aggregate query, whatever the number of cases."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.cases.models import Case
from cmer.cases.permissions import can_qualify, is_alerted_of_urgency
from cmer.cases.states import State
from cmer.cases.urgency import urgent_awaiting, urgent_awaiting_count


def qualification_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if not can_qualify(membership):
        return None
    counts = (
        Case.objects.visible_to(membership)
        .filter(state__in=[State.RECEIVED, State.PREQUALIFICATION])
        .aggregate(
            to_qualify=Count("pk"),
            overdue=Count("pk", filter=Q(prequalification_due__lt=timezone.localdate())),
        )
    )
    return {"title": _("À qualifier"), "template": "cases/widget_queue.html", **counts}


def urgent_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """The danger-imminent card: the cases for those who qualify, a count for the State side."""
    if not is_alerted_of_urgency(membership):
        return None
    if can_qualify(membership):
        cases = list(
            urgent_awaiting(Case.objects.visible_to(membership)).only(
                "reference", "state", "prequalification_due", "prequalification_due_at"
            )[:5]
        )
        count = len(cases)
    else:
        cases, count = [], urgent_awaiting_count(membership)
    return {
        "title": _("Danger imminent"),
        "template": "cases/widget_urgent.html",
        "cases": cases,
        "count": count,
        "urgent": count > 0,
    }
