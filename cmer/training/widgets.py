"""Dashboard widgets: the user's own certification status, and what the cell must renew soon."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.training.gate import valid_certification
from cmer.training.models import Certification
from cmer.training.permissions import can_view_sessions, needs_certification

EXPIRING_WIDGET_DAYS = 60


def certification_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """For those who need a certification to report: theirs, until when it is valid, and the
    training page (which says how one is certified)."""
    if not needs_certification(membership):
        return None
    return {
        "title": _("Habilitation"),
        "template": "training/_widget_certification.html",
        "certification": valid_certification(membership),
    }


def expiring_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """For the coordinator and trainers: how many of the cell's certifications expire soon."""
    if not can_view_sessions(membership):
        return None
    today = timezone.localdate()
    count = (
        Certification.objects.visible_to(membership)
        .of_active_members()
        .valid(today)
        .filter(expires_on__lte=today + timedelta(days=EXPIRING_WIDGET_DAYS))
        .count()
    )
    return {
        "title": _("Habilitations"),
        "template": "training/_widget_expiring.html",
        "count": count,
        "url": reverse("training:expiring"),
    }
