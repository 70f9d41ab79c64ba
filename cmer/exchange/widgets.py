"""Dashboard widget: transmissions awaiting approval and State feedback overdue (counts only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.exchange import permissions as perms
from cmer.exchange.models import Transmission, TransmissionStatus, overdue_since


def exchange_widget(request: HttpRequest, membership: Membership | None) -> dict[str, Any] | None:
    if not perms.can_view_register(membership):
        return None
    visible = Transmission.objects.visible_to(membership)
    # Both counts in one query: those awaiting the State's feedback, and the overdue ones among them.
    awaiting = visible.awaiting_feedback().aggregate(
        pending=Count("pk"), overdue=Count("pk", filter=overdue_since())
    )
    overdue = awaiting["overdue"]
    to_approve = (
        visible.filter(status=TransmissionStatus.DRAFT)
        .exclude(prepared_by__user_id=membership.user_id)
        .count()
        if membership is not None and perms.can_approve_transmissions(membership)
        else 0
    )
    pending = awaiting["pending"] if perms.can_list_pending_feedback(membership) else None
    return {
        "title": _("Échanges avec l'État"),
        "pending": pending,
        "template": "exchange/widget.html",
        "overdue": overdue,
        "to_approve": to_approve,
        "delay": settings.CMER_FEEDBACK_DELAY_DAYS,
    }
