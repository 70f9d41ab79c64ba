"""Dashboard widget: transmissions awaiting approval and State feedback overdue (counts only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cmer.accounts.roles import Role
from cmer.exchange.models import Transmission, TransmissionStatus


def exchange_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if membership is None or membership.role not in (Role.PRESIDENT, Role.COORDINATOR, Role.STATE_MEMBER):
        return None
    visible = Transmission.objects.visible_to(membership)
    overdue = visible.feedback_overdue().count()
    to_approve = (
        visible.filter(status=TransmissionStatus.DRAFT)
        .exclude(prepared_by__user_id=membership.user_id)
        .count()
        if membership.role == Role.PRESIDENT
        else 0
    )
    return {
        "title": _("Échanges avec l'État"),
        "template": "exchange/widget.html",
        "overdue": overdue,
        "to_approve": to_approve,
        "delay": settings.CMER_FEEDBACK_DELAY_DAYS,
    }
