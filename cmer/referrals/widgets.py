"""Dashboard widget of a submitter's own signalements: one aggregate query, whatever their number."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cmer.cases.states import State
from cmer.referrals.models import Referral
from cmer.referrals.permissions import can_choose_source, can_follow_own_referrals

ENDED_FOR_SUBMITTER = [State.DISMISSED, State.COMMON_LAW, State.CLOSED, State.ARCHIVED]


def my_referrals_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    # Managers follow every case through the queue; the card is for agents and members.
    if not can_follow_own_referrals(membership) or can_choose_source(membership):
        return None
    counts = (
        Referral.objects.visible_to(membership)
        .filter(submitted_by=membership)
        .aggregate(
            received=Count("pk", filter=Q(case__state__in=[State.RECEIVED, State.PREQUALIFICATION])),
            done=Count("pk", filter=Q(case__state__in=ENDED_FOR_SUBMITTER)),
            total=Count("pk"),
        )
    )
    counts["in_progress"] = counts["total"] - counts["received"] - counts["done"]
    return {"title": _("Mes signalements"), "template": "referrals/widget_mine.html", **counts}
