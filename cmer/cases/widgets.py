"""Dashboard widgets of the intake: one aggregate query each, whatever the number of cases."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.cases.models import Case
from cmer.cases.permissions import can_qualify
from cmer.cases.states import State
from cmer.referrals.models import Referral
from cmer.referrals.permissions import can_follow_own_referrals

ENDED_FOR_SUBMITTER = [State.DISMISSED, State.COMMON_LAW, State.CLOSED, State.ARCHIVED]


def qualification_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if not can_qualify(membership):
        return None
    counts = Case.objects.filter(
        cell_id=membership.cell_id, state__in=[State.RECEIVED, State.PREQUALIFICATION]
    ).aggregate(
        to_qualify=Count("pk"),
        overdue=Count("pk", filter=Q(prequalification_due__lt=timezone.localdate())),
    )
    return {"title": _("À qualifier"), "template": "cases/widget_queue.html", **counts}


def my_referrals_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if not can_follow_own_referrals(membership) or membership.role in ("president", "coordinator"):
        return None
    counts = Referral.objects.filter(submitted_by=membership).aggregate(
        received=Count("pk", filter=Q(case__state__in=[State.RECEIVED, State.PREQUALIFICATION])),
        done=Count("pk", filter=Q(case__state__in=ENDED_FOR_SUBMITTER)),
        total=Count("pk"),
    )
    counts["in_progress"] = counts["total"] - counts["received"] - counts["done"]
    return {"title": _("Mes signalements"), "template": "cases/widget_mine.html", **counts}
