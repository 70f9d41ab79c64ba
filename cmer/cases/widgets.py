"""Dashboard widget of the qualification queue: one aggregate query, whatever the number of cases."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.cases.models import Case
from cmer.cases.permissions import can_qualify
from cmer.cases.states import State


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
