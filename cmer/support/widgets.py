"""Dashboard card of support actions coming due (registered in SupportConfig.ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.cases.models import Action
from cmer.support.permissions import can_follow_all_actions, sees_actions_due
from cmer.support.services import OPEN_RESULTS

DUE_WITHIN_DAYS = 30
SHOWN = 5


def actions_due(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if not sees_actions_due(membership):
        return None
    today = timezone.localdate()
    qs = Action.objects.visible_to(membership).filter(
        result__in=OPEN_RESULTS, end_on__lte=today + timedelta(days=DUE_WITHIN_DAYS)
    )
    # The case is joined for its reference: restricting it to the cell too lets PostgreSQL join the
    # cell's cases only, instead of hashing every case of the platform (bench P3, scale 10).
    qs = qs.filter(case__cell_id=membership.cell_id)
    actions = list(qs.select_related("case").order_by("end_on", "pk")[: SHOWN + 1])
    own = not can_follow_all_actions(membership)
    return {
        "title": _("Mes actions à échéance") if own else _("Actions à échéance"),
        "template": "support/widget_actions.html",
        "actions": actions[:SHOWN],
        "more": len(actions) > SHOWN,
        "today": today,
        "within": DUE_WITHIN_DAYS,
    }
